// Counter-based dropout masks: element i of a call with seed s is kept when
// hash(s, i) ≥ rate·2³², so the backward pass regenerates the mask instead of storing it.
// The hash is a 32-bit integer mix (murmur3's finaliser) that vectorises.
#pragma once
#include <cstdint>

namespace peft {

inline uint32_t mix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

// Keep-scale of element `index`: 1/(1 − rate) when kept, 0 when dropped.
inline float dropoutScale(uint32_t seed, uint64_t index, uint32_t threshold, float keepScale) {
  const uint32_t h = mix32(static_cast<uint32_t>(index) * 0x9e3779b9u ^ mix32(seed ^ static_cast<uint32_t>(index >> 32)));
  return h >= threshold ? keepScale : 0.f;
}

inline uint32_t dropoutThreshold(float rate) {
  const double t = static_cast<double>(rate) * 4294967296.0;
  return t >= 4294967295.0 ? 0xffffffffu : static_cast<uint32_t>(t);
}

}  // namespace peft

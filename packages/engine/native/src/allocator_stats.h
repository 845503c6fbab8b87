#pragma once
// TensorFlow's CPU allocator statistics (bytes in use, peak since the last reset), read from
// the process's allocator singleton (`tsl::cpu_allocator`, the one every eager CPU tensor comes
// from: oneDNN's BFC-backed MklCPUAllocator in these builds). Peak RSS cannot say what one
// trial needed once an earlier trial in the same worker grew the allocator's pool (BFC never
// gives pages back); the allocator's own peak can. It counts the allocations of 256 KiB and
// more (the BFC part); MklCPUAllocator's small-size path keeps no statistics.
#include <cstdint>

namespace peft {

struct AllocatorPeak {
  bool available;  // false when the allocator keeps no statistics
  int64_t bytesInUse;
  int64_t peakBytesInUse;
};

// Current and peak bytes; with reset, the peak restarts from the bytes in use now.
AllocatorPeak cpuAllocatorPeak(bool reset);

}  // namespace peft

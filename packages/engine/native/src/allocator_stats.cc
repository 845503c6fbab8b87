// The C API has no allocator statistics, so this file declares the part of TensorFlow's C++
// `tsl::Allocator` it calls (virtual GetStats / ClearStats, in the vtable order of
// xla/tsl/framework/allocator.h) instead of compiling against TensorFlow's C++ headers (they
// need absl, Eigen and ml_dtypes headers the install step does not extract). The layout is
// TensorFlow 2.21's, the version scripts/setup-native-tf.mjs pins: re-check it with the
// header when that version changes.
#include "allocator_stats.h"

#include <optional>
#include <string>

namespace tsl {

struct AllocationAttributes;

struct AllocatorStats {
  int64_t num_allocs;
  int64_t bytes_in_use;
  int64_t peak_bytes_in_use;
  int64_t largest_alloc_size;
  std::optional<int64_t> bytes_limit;
  int64_t bytes_reserved;
  int64_t peak_bytes_reserved;
  std::optional<int64_t> bytes_reservable_limit;
  int64_t largest_free_block_bytes;
  std::optional<int64_t> pool_bytes;
  std::optional<int64_t> peak_pool_bytes;
};

class Allocator {
 public:
  virtual ~Allocator();
  virtual std::string Name() = 0;
  virtual void* AllocateRaw(size_t alignment, size_t num_bytes) = 0;
  virtual void* AllocateRaw(size_t alignment, size_t num_bytes, const AllocationAttributes& attr);
  virtual void DeallocateRaw(void* ptr) = 0;
  virtual void DeallocateRaw(void* ptr, size_t alignment, size_t num_bytes);
  virtual bool TracksAllocationSizes() const;
  virtual bool AllocatesOpaqueHandle() const;
  virtual size_t RequestedSize(const void* ptr) const;
  virtual size_t AllocatedSize(const void* ptr) const;
  virtual int64_t AllocationId(const void* ptr) const;
  virtual size_t AllocatedSizeSlow(const void* ptr) const;
  virtual std::optional<AllocatorStats> GetStats();
  virtual bool ClearStats();
};

Allocator* cpu_allocator(int numa_node);

}  // namespace tsl

namespace peft {

AllocatorPeak cpuAllocatorPeak(bool reset) {
  tsl::Allocator* a = tsl::cpu_allocator(0);
  std::optional<tsl::AllocatorStats> s = a ? a->GetStats() : std::nullopt;
  if (!s) return {false, 0, 0};
  AllocatorPeak out{true, s->bytes_in_use, s->peak_bytes_in_use};
  if (reset && !a->ClearStats()) out.available = false;
  return out;
}

}  // namespace peft

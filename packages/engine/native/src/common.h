// Shared helpers for PEFT Lab's TensorFlow custom ops (C API only: no C++ ABI ties to TensorFlow).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tensorflow/c/kernels.h"
#include "tensorflow/c/ops.h"
#include "tensorflow/c/tf_status.h"
#include "tensorflow/c/tf_tensor.h"

namespace peft {

// ---------------------------------------------------------------- threads
// TensorFlow's intra-op pool is not reachable from the C API, so kernels split
// large loops over a small pool of our own (the caller's thread does a share).
// Workers sleep on a condition variable between calls: no spinning threads to
// slow the TensorFlow kernels that follow (the OpenMP lesson in ENVIRONMENT.md).
class Pool {
 public:
  static Pool& get();
  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Runs fn(part) for part in [0, parts) across the pool; returns when all are done.
  void run(int parts, const std::function<void(int)>& fn);
  ~Pool();

 private:
  explicit Pool(int threads);
  void loop();
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* job_ = nullptr;
  int parts_ = 0;
  std::atomic<int> next_{0};
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

// How many parts [0, n) is split into for work n · costPerItem (1 when a hand-off costs more than it saves).
int planParts(int64_t n, int64_t costPerItem);
// Runs fn(part, begin, end) over `parts` contiguous ranges of [0, n), in parallel.
void runParts(int64_t n, int parts, const std::function<void(int, int64_t, int64_t)>& fn);
// Splits [0, n) into contiguous ranges, in parallel when the work (n · costPerItem) is worth it.
void parallelFor(int64_t n, int64_t costPerItem, const std::function<void(int64_t, int64_t)>& fn);

// ---------------------------------------------------------------- kernels
// Input i as float data; dims appended to `shape`. The TF_Tensor is owned by `Inputs`.
struct Inputs {
  TF_OpKernelContext* ctx;
  TF_Status* status;
  std::vector<TF_Tensor*> held;
  Inputs(TF_OpKernelContext* c, TF_Status* s) : ctx(c), status(s) {}
  ~Inputs() {
    for (TF_Tensor* t : held) TF_DeleteTensor(t);
  }
  TF_Tensor* get(int i) {
    TF_Tensor* t = nullptr;
    TF_GetInput(ctx, i, &t, status);
    if (TF_GetCode(status) != TF_OK) return nullptr;
    held.push_back(t);
    return t;
  }
};

std::vector<int64_t> dims(const TF_Tensor* t);
inline float* data(TF_Tensor* t) { return static_cast<float*>(TF_TensorData(t)); }
inline int64_t count(const TF_Tensor* t) { return TF_TensorElementCount(t); }

// Allocates float output `index` with `shape`; the TF_Tensor is deleted by the returned holder.
struct Output {
  TF_Tensor* t = nullptr;
  ~Output() {
    if (t) TF_DeleteTensor(t);
  }
  float* ptr() { return static_cast<float*>(TF_TensorData(t)); }
};
bool allocate(TF_OpKernelContext* ctx, int index, const std::vector<int64_t>& shape, Output& out, TF_Status* status);

// Reports a bad-argument error that reaches JavaScript as an exception.
void fail(TF_OpKernelContext* ctx, TF_Status* status, const std::string& message);

// ---------------------------------------------------------------- registration
struct OpSpec {
  const char* name;
  std::vector<const char*> inputs, outputs, attrs;
  bool stateful = false;  // writes its inputs in place: never constant-folded or deduplicated
};
// Registers the op and its CPU kernel; compute(ctx, attrs) where attrs come from create().
using CreateFn = void* (*)(TF_OpKernelConstruction*);
using ComputeFn = void (*)(void*, TF_OpKernelContext*);
using DeleteFn = void (*)(void*);
void registerOp(const OpSpec& spec, CreateFn create, ComputeFn compute, DeleteFn del);

// Attributes read at kernel construction (kernels are cached per attribute set by eager TF).
float attrFloat(TF_OpKernelConstruction* c, const char* name, float fallback);
bool attrBool(TF_OpKernelConstruction* c, const char* name, bool fallback);
int attrInt(TF_OpKernelConstruction* c, const char* name, int fallback);

// A kernel with no construction state: create/delete do nothing.
void* noState(TF_OpKernelConstruction*);
void noDelete(void*);

// Runs `fn` at library load (static initialiser): each op file registers itself this way.
struct Registrar {
  explicit Registrar(void (*fn)()) { fn(); }
};

}  // namespace peft

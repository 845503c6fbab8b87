#include "common.h"

namespace peft {

Pool& Pool::get() {
  static Pool* pool = [] {
    int threads = static_cast<int>(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("PEFT_LAB_KERNEL_THREADS")) threads = std::atoi(env);
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    return new Pool(threads);  // never destroyed: workers live as long as the process
  }();
  return *pool;
}

Pool::Pool(int threads) {
  for (int i = 1; i < threads; i++) workers_.emplace_back([this] { loop(); });
  for (auto& w : workers_) w.detach();
}

Pool::~Pool() {}

void Pool::loop() {
  uint64_t seen = 0;
  for (;;) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const std::function<void(int)>* job = job_;
    int parts = parts_;
    lock.unlock();
    for (int p; (p = next_.fetch_add(1)) < parts;) (*job)(p);
    lock.lock();
    if (--pending_ == 0) done_cv_.notify_one();
  }
}

void Pool::run(int parts, const std::function<void(int)>& fn) {
  if (parts <= 1 || workers_.empty()) {
    for (int p = 0; p < parts; p++) fn(p);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    parts_ = parts;
    next_.store(0);
    pending_ = static_cast<int>(workers_.size());
    generation_++;
  }
  cv_.notify_all();
  for (int p; (p = next_.fetch_add(1)) < parts;) fn(p);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
}

int planParts(int64_t n, int64_t costPerItem) {
  // Below ~32k operations per part a thread hand-off costs more than it saves.
  const int64_t minWork = 1 << 15;
  int64_t work = n * (costPerItem > 0 ? costPerItem : 1);
  int64_t parts = Pool::get().size();
  if (parts > work / minWork) parts = work / minWork;
  if (parts > n) parts = n;
  return parts < 1 ? 1 : static_cast<int>(parts);
}

void runParts(int64_t n, int parts, const std::function<void(int, int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (parts <= 1) {
    fn(0, 0, n);
    return;
  }
  Pool::get().run(parts, [&](int p) {
    int64_t begin = n * p / parts, end = n * (p + 1) / parts;
    if (begin < end) fn(p, begin, end);
  });
}

void parallelFor(int64_t n, int64_t costPerItem, const std::function<void(int64_t, int64_t)>& fn) {
  runParts(n, planParts(n, costPerItem), [&](int, int64_t b, int64_t e) { fn(b, e); });
}

std::vector<int64_t> dims(const TF_Tensor* t) {
  std::vector<int64_t> d(TF_NumDims(t));
  for (size_t i = 0; i < d.size(); i++) d[i] = TF_Dim(t, static_cast<int>(i));
  return d;
}

bool allocate(TF_OpKernelContext* ctx, int index, const std::vector<int64_t>& shape, Output& out, TF_Status* status) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  out.t = TF_AllocateOutput(ctx, index, TF_FLOAT, shape.data(), static_cast<int>(shape.size()), n * sizeof(float), status);
  if (TF_GetCode(status) != TF_OK) {
    TF_OpKernelContext_Failure(ctx, status);
    return false;
  }
  return true;
}

void fail(TF_OpKernelContext* ctx, TF_Status* status, const std::string& message) {
  TF_SetStatus(status, TF_INVALID_ARGUMENT, message.c_str());
  TF_OpKernelContext_Failure(ctx, status);
}

static void unknownShapes(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeInferenceContextSetUnknownShape(ctx, status);
}

void registerOp(const OpSpec& spec, CreateFn create, ComputeFn compute, DeleteFn del) {
  TF_Status* status = TF_NewStatus();
  TF_OpDefinitionBuilder* b = TF_NewOpDefinitionBuilder(spec.name);
  for (const char* a : spec.attrs) TF_OpDefinitionBuilderAddAttr(b, a);
  for (const char* i : spec.inputs) TF_OpDefinitionBuilderAddInput(b, i);
  for (const char* o : spec.outputs) TF_OpDefinitionBuilderAddOutput(b, o);
  TF_OpDefinitionBuilderSetShapeInferenceFunction(b, &unknownShapes);
  if (spec.stateful) TF_OpDefinitionBuilderSetIsStateful(b, true);
  TF_RegisterOpDefinition(b, status);
  if (TF_GetCode(status) == TF_OK) {
    TF_KernelBuilder* kb = TF_NewKernelBuilder(spec.name, "CPU", create, compute, del);
    TF_RegisterKernelBuilder(spec.name, kb, status);
  }
  TF_DeleteStatus(status);
}

// The attribute via `get`, or `fallback` when the kernel's op has no such attribute.
template <typename T, typename Get>
static T attrOr(TF_OpKernelConstruction* c, const char* name, T fallback, Get get) {
  TF_Status* s = TF_NewStatus();
  T v = fallback;
  get(c, name, &v, s);
  if (TF_GetCode(s) != TF_OK) v = fallback;
  TF_DeleteStatus(s);
  return v;
}

float attrFloat(TF_OpKernelConstruction* c, const char* name, float fallback) {
  return attrOr<float>(c, name, fallback, TF_OpKernelConstruction_GetAttrFloat);
}

bool attrBool(TF_OpKernelConstruction* c, const char* name, bool fallback) {
  return attrOr<TF_Bool>(c, name, fallback, TF_OpKernelConstruction_GetAttrBool) != 0;
}

int attrInt(TF_OpKernelConstruction* c, const char* name, int fallback) {
  return attrOr<int32_t>(c, name, fallback, TF_OpKernelConstruction_GetAttrInt32);
}

void* noState(TF_OpKernelConstruction*) { return nullptr; }
void noDelete(void*) {}

}  // namespace peft

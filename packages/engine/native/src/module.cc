// The library is also a Node-API module: require() of the .node file dlopens it, which runs
// the ops' static registrars (TensorFlow is already loaded by tfjs-node, and this library
// links the same libtensorflow_framework.so.2). The module exports the op-set version and
// `allocatorPeak(reset)`: TensorFlow's CPU allocator's bytes in use and peak
// (allocator_stats.h), or null when it keeps no statistics.
#include <node_api.h>

#include "allocator_stats.h"
#include "version.h"

namespace {

napi_value AllocatorPeak(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  bool reset = false;
  if (argc > 0) napi_get_value_bool(env, arg, &reset);
  const peft::AllocatorPeak p = peft::cpuAllocatorPeak(reset);
  napi_value out;
  if (!p.available) {
    napi_get_null(env, &out);
    return out;
  }
  napi_value inUse, peak;
  napi_create_double(env, static_cast<double>(p.bytesInUse), &inUse);
  napi_create_double(env, static_cast<double>(p.peakBytesInUse), &peak);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "bytesInUse", inUse);
  napi_set_named_property(env, out, "peakBytesInUse", peak);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value version;
  napi_create_int32(env, PEFT_KERNELS_VERSION, &version);
  napi_set_named_property(env, exports, "version", version);
  napi_value peak;
  napi_create_function(env, "allocatorPeak", NAPI_AUTO_LENGTH, AllocatorPeak, nullptr, &peak);
  napi_set_named_property(env, exports, "allocatorPeak", peak);
  return exports;
}

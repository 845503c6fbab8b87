// The library is also a Node-API module: require() of the .node file dlopens it, which runs
// the ops' static registrars (TensorFlow is already loaded by tfjs-node, and this library
// links the same libtensorflow_framework.so.2). The module exports the op-set version.
#include <node_api.h>

#include "version.h"

NAPI_MODULE_INIT() {
  napi_value version;
  napi_create_int32(env, PEFT_KERNELS_VERSION, &version);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}

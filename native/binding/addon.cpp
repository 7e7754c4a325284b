// Module entry point: exports the Core class.
#include <napi.h>

#include "binding/core.h"

namespace {
Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("Core", sb::binding::core::define(env));
  return exports;
}
}  // namespace

NODE_API_MODULE(switchboard, init)

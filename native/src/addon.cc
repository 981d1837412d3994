#include "registry.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (auto& init : tu::Modules()) init(env, exports);
  exports.Set("abi", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(tokenunify_native, Init)

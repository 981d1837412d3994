// Reading the selective-scan argument object of the JS API (shared by the CPU and CUDA
// bindings), allocating the outputs, and running a scan synchronously or on a libuv
// thread behind a promise.
#pragma once
#include <napi.h>

#include <functional>
#include <vector>

#include "scan_cpu.h"

namespace tu::scan {

// The parsed call. The pointers stay valid while the typed arrays in `arrays` live.
struct ScanCall {
  Inputs in;
  const float* dy = nullptr;
  RunOptions opts;
  std::vector<Napi::Object> arrays;  // every typed array read (local handles)
};

// Throws Napi::TypeError / Napi::RangeError naming `fn` and the faulty field.
ScanCall ParseScanCall(const Napi::CallbackInfo& info, const char* fn, bool withDy);

// Fresh zeroed outputs: y alone, or the seven gradients in contract order
// (du, ddelta, dA, dBm, dCm, dDskip, ddeltaBias).
struct ScanOutputs {
  std::vector<Napi::Float32Array> js;
  std::vector<float*> data;
};
ScanOutputs AllocateOutputs(Napi::Env env, const Shape& s, bool backward);
Gradients GradientPointers(const std::vector<float*>& data);

using ScanWork = std::function<void(const ScanCall&, const std::vector<float*>&)>;

// Runs `work` on the calling thread, converting C++ exceptions into JS errors.
Napi::Value RunSync(Napi::Env env, const ScanCall& call, bool backward, const ScanWork& work);

// Runs `work` on a libuv thread (which fans out to the thread pool) and settles a promise
// with the outputs. Inputs and outputs stay referenced until the promise settles; the
// caller must not detach or transfer the input buffers meanwhile.
Napi::Value RunAsync(Napi::Env env, const ScanCall& call, bool backward, ScanWork work);

}  // namespace tu::scan

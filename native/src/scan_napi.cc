// JS bindings of the CPU selective scan (typed wrapper: src/main/native/scan.ts).
#include <napi.h>

#include <cstring>
#include <string>

#include "registry.h"
#include "scan_args.h"
#include "scan_cpu.h"
#include "thread_pool.h"

namespace tu::scan {
namespace {

void ForwardWork(const ScanCall& c, const std::vector<float*>& out) { Forward(c.in, out[0], c.opts); }
void BackwardWork(const ScanCall& c, const std::vector<float*>& out) {
  Backward(c.in, c.dy, GradientPointers(out), c.opts);
}

Napi::Value ForwardSync(const Napi::CallbackInfo& info) {
  return RunSync(info.Env(), ParseScanCall(info, "selectiveScanForward", false), false, ForwardWork);
}
Napi::Value ForwardAsync(const Napi::CallbackInfo& info) {
  return RunAsync(info.Env(), ParseScanCall(info, "selectiveScanForwardAsync", false), false, ForwardWork);
}
Napi::Value BackwardSync(const Napi::CallbackInfo& info) {
  return RunSync(info.Env(), ParseScanCall(info, "selectiveScanBackward", true), true, BackwardWork);
}
Napi::Value BackwardAsync(const Napi::CallbackInfo& info) {
  return RunAsync(info.Env(), ParseScanCall(info, "selectiveScanBackwardAsync", true), true, BackwardWork);
}

// scanExpFloor(call): the benchmark's compute floor (ExpFloor in scan_cpu.h); returns the sum.
Napi::Value ExpFloorSync(const Napi::CallbackInfo& info) {
  const ScanCall call = ParseScanCall(info, "scanExpFloor", false);
  try {
    return Napi::Number::New(info.Env(), ExpFloor(call.in, call.opts));
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("scanExpFloor: ") + e.what());
  }
}

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("threads", HardwareThreads());
  o.Set("simd", SimdName(BestSimd()));
  Napi::Array levels = Napi::Array::New(env);
  uint32_t i = 0;
  for (Simd s : AvailableSimd()) levels.Set(i++, SimdName(s));
  o.Set("simdAvailable", levels);
#if defined(__x86_64__)
  o.Set("arch", "x64");
#elif defined(__aarch64__)
  o.Set("arch", "arm64");
#else
  o.Set("arch", "other");
#endif
  return o;
}

// scanParallelCopy(dst, src, threads?): memcpy split over the thread pool, so benchmarks
// can measure the memory bandwidth the scan competes for with the same threads.
Napi::Value ParallelCopy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray())
    throw Napi::TypeError::New(env, "scanParallelCopy(dst, src, threads?): dst and src must be typed arrays");
  const Napi::TypedArray dst = info[0].As<Napi::TypedArray>(), src = info[1].As<Napi::TypedArray>();
  if (dst.ByteLength() != src.ByteLength())
    throw Napi::RangeError::New(env, "scanParallelCopy: dst and src must have the same byte length");
  size_t threads = HardwareThreads();
  if (info.Length() > 2 && info[2].IsNumber()) threads = std::max(1.0, info[2].As<Napi::Number>().DoubleValue());
  char* d = static_cast<char*>(dst.ArrayBuffer().Data()) + dst.ByteOffset();
  const char* s = static_cast<const char*>(src.ArrayBuffer().Data()) + src.ByteOffset();
  const size_t bytes = dst.ByteLength();
  ParallelFor(threads, 1, [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; ++k) {
      const size_t b0 = bytes * k / threads, b1 = bytes * (k + 1) / threads;
      std::memcpy(d + b0, s + b0, b1 - b0);
    }
  });
  return env.Undefined();
}

const Registrar kRegister([](Napi::Env env, Napi::Object exports) {
  exports.Set("selectiveScanForward", Napi::Function::New(env, ForwardSync, "selectiveScanForward"));
  exports.Set("selectiveScanForwardAsync", Napi::Function::New(env, ForwardAsync, "selectiveScanForwardAsync"));
  exports.Set("selectiveScanBackward", Napi::Function::New(env, BackwardSync, "selectiveScanBackward"));
  exports.Set("selectiveScanBackwardAsync", Napi::Function::New(env, BackwardAsync, "selectiveScanBackwardAsync"));
  exports.Set("scanCpuInfo", Napi::Function::New(env, CpuInfo, "scanCpuInfo"));
  exports.Set("scanExpFloor", Napi::Function::New(env, ExpFloorSync, "scanExpFloor"));
  exports.Set("scanParallelCopy", Napi::Function::New(env, ParallelCopy, "scanParallelCopy"));
});

}  // namespace
}  // namespace tu::scan

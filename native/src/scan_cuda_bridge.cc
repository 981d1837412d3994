// JS bindings of the CUDA selective scan. The CUDA library (native/cuda, built by
// native/tools/build-cuda.mjs) is opened with dlopen at run time, and only once the CUDA
// driver (libcuda.so.1) itself loads, so the addon has no link-time CUDA dependency and
// works unchanged on machines without a GPU. Failures become reasons or JS exceptions.
#include <napi.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "../cuda/scan_cuda_abi.h"
#include "registry.h"
#include "scan_args.h"

#if !defined(_WIN32)
#include <dlfcn.h>
#endif

namespace tu::scan {
namespace {

struct CudaLibrary {
  std::mutex mutex;
  bool available = false;
  std::string reason = "not loaded yet (scanCudaLoad was not called)";
  std::string device, path;
  tu_scan_cuda_forward_fn forward = nullptr;
  tu_scan_cuda_backward_fn backward = nullptr;
};

CudaLibrary& Library() {
  static CudaLibrary lib;
  return lib;
}

#if !defined(_WIN32)
std::string DlError() {
  const char* e = dlerror();
  return e ? e : "unknown error";
}

// Fills lib (under its mutex). Handles stay open for the life of the process: unloading a
// library that holds a CUDA context is not safe.
void Open(CudaLibrary& lib, const std::string& path, bool requireDriver) {
  lib.path = path;
  if (requireDriver && !dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) {
    lib.reason = "no CUDA driver: libcuda.so.1 could not be loaded (" + DlError() + ")";
    return;
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    lib.reason = "the CUDA scan library could not be loaded: " + DlError() +
                 " (build it with: node native/tools/build-cuda.mjs)";
    return;
  }
  auto version = reinterpret_cast<tu_scan_cuda_abi_version_fn>(dlsym(handle, "tu_scan_cuda_abi_version"));
  auto info = reinterpret_cast<tu_scan_cuda_device_info_fn>(dlsym(handle, "tu_scan_cuda_device_info"));
  auto forward = reinterpret_cast<tu_scan_cuda_forward_fn>(dlsym(handle, "tu_scan_cuda_forward"));
  auto backward = reinterpret_cast<tu_scan_cuda_backward_fn>(dlsym(handle, "tu_scan_cuda_backward"));
  if (!version || !info || !forward || !backward) {
    lib.reason = path + " lacks the tu_scan_cuda_* entry points";
    return;
  }
  if (version() != TU_SCAN_CUDA_ABI_VERSION) {
    lib.reason = path + " has ABI version " + std::to_string(version()) + ", the addon expects " +
                 std::to_string(TU_SCAN_CUDA_ABI_VERSION) + " (rebuild it)";
    return;
  }
  char name[256] = {0}, err[512] = {0};
  int count = 0;
  if (info(name, sizeof name, &count, err, sizeof err) != 0) {
    lib.reason = std::string("CUDA is not usable: ") + err;
    return;
  }
  lib.forward = forward;
  lib.backward = backward;
  lib.device = name;
  lib.available = true;
  lib.reason = "loaded";
}
#endif

Napi::Object Status(Napi::Env env, const CudaLibrary& lib) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", lib.available);
  o.Set("reason", lib.reason);
  o.Set("device", lib.available ? Napi::Value(Napi::String::New(env, lib.device)) : env.Null());
  o.Set("library", lib.path.empty() ? env.Null() : Napi::Value(Napi::String::New(env, lib.path)));
  return o;
}

// scanCudaLoad(libraryPath, {requireDriver = true}) -> {available, reason, device, library}
Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString())
    throw Napi::TypeError::New(env, "scanCudaLoad(libraryPath, options?): libraryPath must be a string");
  bool requireDriver = true;
  if (info.Length() > 1 && info[1].IsObject()) {
    const Napi::Value v = info[1].As<Napi::Object>().Get("requireDriver");
    if (v.IsBoolean()) requireDriver = v.As<Napi::Boolean>().Value();
  }
  CudaLibrary& lib = Library();
  std::lock_guard<std::mutex> lock(lib.mutex);
  if (!lib.available) {
#if defined(_WIN32)
    lib.reason = "the CUDA scan backend is built for Linux only";
#else
    Open(lib, info[0].As<Napi::String>().Utf8Value(), requireDriver);
#endif
  }
  return Status(env, lib);
}

Napi::Value CudaStatus(const Napi::CallbackInfo& info) {
  CudaLibrary& lib = Library();
  std::lock_guard<std::mutex> lock(lib.mutex);
  return Status(info.Env(), lib);
}

const CudaLibrary& Loaded(Napi::Env env) {
  CudaLibrary& lib = Library();
  std::lock_guard<std::mutex> lock(lib.mutex);
  if (!lib.available) throw Napi::Error::New(env, "CUDA selective scan unavailable: " + lib.reason);
  return lib;
}

tu_scan_cuda_inputs ToAbi(const ScanCall& c) {
  tu_scan_cuda_inputs in{};
  in.batch = c.in.shape.batch;
  in.dim = c.in.shape.dim;
  in.length = c.in.shape.length;
  in.dstate = c.in.shape.dstate;
  in.delta_softplus = c.in.deltaSoftplus ? 1 : 0;
  in.u = c.in.u;
  in.delta = c.in.delta;
  in.A = c.in.A;
  in.Bm = c.in.Bm;
  in.Cm = c.in.Cm;
  in.Dskip = c.in.Dskip;
  in.delta_bias = c.in.deltaBias;
  return in;
}

ScanWork ForwardWork(const CudaLibrary& lib) {
  return [fn = lib.forward](const ScanCall& c, const std::vector<float*>& out) {
    const tu_scan_cuda_inputs in = ToAbi(c);
    char err[1024] = {0};
    if (fn(&in, out[0], err, sizeof err) != 0) throw std::runtime_error(std::string("CUDA selective scan failed: ") + err);
  };
}

ScanWork BackwardWork(const CudaLibrary& lib) {
  return [fn = lib.backward](const ScanCall& c, const std::vector<float*>& out) {
    const tu_scan_cuda_inputs in = ToAbi(c);
    const Gradients g = GradientPointers(out);
    const tu_scan_cuda_grads grads{g.du, g.ddelta, g.dA, g.dBm, g.dCm, g.dDskip, g.ddeltaBias};
    char err[1024] = {0};
    if (fn(&in, c.dy, &grads, err, sizeof err) != 0)
      throw std::runtime_error(std::string("CUDA selective scan backward failed: ") + err);
  };
}

Napi::Value ForwardSync(const Napi::CallbackInfo& info) {
  const ScanCall call = ParseScanCall(info, "selectiveScanForwardCuda", false);
  return RunSync(info.Env(), call, false, ForwardWork(Loaded(info.Env())));
}
Napi::Value ForwardAsync(const Napi::CallbackInfo& info) {
  const ScanCall call = ParseScanCall(info, "selectiveScanForwardCudaAsync", false);
  return RunAsync(info.Env(), call, false, ForwardWork(Loaded(info.Env())));
}
Napi::Value BackwardSync(const Napi::CallbackInfo& info) {
  const ScanCall call = ParseScanCall(info, "selectiveScanBackwardCuda", true);
  return RunSync(info.Env(), call, true, BackwardWork(Loaded(info.Env())));
}
Napi::Value BackwardAsync(const Napi::CallbackInfo& info) {
  const ScanCall call = ParseScanCall(info, "selectiveScanBackwardCudaAsync", true);
  return RunAsync(info.Env(), call, true, BackwardWork(Loaded(info.Env())));
}

const Registrar kRegister([](Napi::Env env, Napi::Object exports) {
  exports.Set("scanCudaLoad", Napi::Function::New(env, Load, "scanCudaLoad"));
  exports.Set("scanCudaStatus", Napi::Function::New(env, CudaStatus, "scanCudaStatus"));
  exports.Set("selectiveScanForwardCuda", Napi::Function::New(env, ForwardSync, "selectiveScanForwardCuda"));
  exports.Set("selectiveScanForwardCudaAsync", Napi::Function::New(env, ForwardAsync, "selectiveScanForwardCudaAsync"));
  exports.Set("selectiveScanBackwardCuda", Napi::Function::New(env, BackwardSync, "selectiveScanBackwardCuda"));
  exports.Set("selectiveScanBackwardCudaAsync",
              Napi::Function::New(env, BackwardAsync, "selectiveScanBackwardCudaAsync"));
});

}  // namespace
}  // namespace tu::scan

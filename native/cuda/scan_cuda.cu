// Host side of libtokenunify_scan_cuda.so: one device context (device 0, a non-blocking
// stream, a growable device arena and a growable pinned host staging buffer) shared by all
// calls under a mutex. Inputs are packed into the pinned buffer, copied to the device in
// one transfer, the kernel runs, and the outputs come back the same way. Every CUDA error
// is turned into a return code and a message; nothing here aborts the process.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "scan_cuda_abi.h"
#include "scan_cuda_kernels.cuh"

#define TU_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using tu_scan_cuda::kChunk;
using tu_scan_cuda::kThreads;
using tu_scan_cuda::Params;

constexpr int64_t kMaxDstate = 4096;  // 2 * N floats of dynamic shared memory per block

class CudaError : public std::runtime_error {
 public:
  CudaError(const char* what, cudaError_t e)
      : std::runtime_error(std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")") {}
};

#define TU_CUDA_CHECK(call)                              \
  do {                                                   \
    const cudaError_t status_ = (call);                  \
    if (status_ != cudaSuccess) throw CudaError(#call, status_); \
  } while (0)

struct Context {
  bool ready = false;
  cudaStream_t stream = nullptr;
  char* device = nullptr;
  size_t deviceBytes = 0;
  char* host = nullptr;
  size_t hostBytes = 0;
};

std::mutex g_mutex;
Context g_ctx;

Context& Ready() {
  if (!g_ctx.ready) {
    TU_CUDA_CHECK(cudaSetDevice(0));
    TU_CUDA_CHECK(cudaStreamCreateWithFlags(&g_ctx.stream, cudaStreamNonBlocking));
    g_ctx.ready = true;
  }
  return g_ctx;
}

char* DeviceArena(Context& c, size_t bytes) {
  if (bytes > c.deviceBytes) {
    if (c.device) TU_CUDA_CHECK(cudaFree(c.device));
    c.device = nullptr;
    c.deviceBytes = 0;
    TU_CUDA_CHECK(cudaMalloc(&c.device, bytes));
    c.deviceBytes = bytes;
  }
  return c.device;
}

char* HostArena(Context& c, size_t bytes) {
  if (bytes > c.hostBytes) {
    if (c.host) TU_CUDA_CHECK(cudaFreeHost(c.host));
    c.host = nullptr;
    c.hostBytes = 0;
    TU_CUDA_CHECK(cudaHostAlloc(&c.host, bytes, cudaHostAllocDefault));
    c.hostBytes = bytes;
  }
  return c.host;
}

// Offsets (in floats, each 256-byte aligned) of named regions in one buffer.
class Layout {
 public:
  size_t Add(int64_t floats) {
    const size_t at = total_;
    total_ += (static_cast<size_t>(floats) + 63) / 64 * 64;
    return at;
  }
  size_t Floats() const { return total_; }
  size_t Bytes() const { return total_ * sizeof(float); }

 private:
  size_t total_ = 0;
};

struct InputRegions {
  size_t u, delta, A, Bm, Cm, Dskip, bias, dy;
};

void Validate(const tu_scan_cuda_inputs* in) {
  if (!in) throw std::invalid_argument("inputs are null");
  if (in->batch < 1 || in->dim < 1 || in->length < 1 || in->dstate < 1)
    throw std::invalid_argument("batch, dim, length and dstate must be positive");
  if (in->dstate > kMaxDstate) throw std::invalid_argument("dstate above 4096 is not supported by the CUDA kernels");
  if (in->batch > 65535) throw std::invalid_argument("batch above 65535 is not supported by the CUDA kernels");
  if (!in->u || !in->delta || !in->A || !in->Bm || !in->Cm || !in->Dskip || !in->delta_bias)
    throw std::invalid_argument("an input array is null");
}

InputRegions PlanInputs(const tu_scan_cuda_inputs* in, Layout& l, bool withDy) {
  const int64_t B = in->batch, D = in->dim, L = in->length, N = in->dstate;
  InputRegions r;
  r.u = l.Add(B * D * L);
  r.delta = l.Add(B * D * L);
  r.A = l.Add(D * N);
  r.Bm = l.Add(B * N * L);
  r.Cm = l.Add(B * N * L);
  r.Dskip = l.Add(D);
  r.bias = l.Add(D);
  r.dy = withDy ? l.Add(B * D * L) : 0;
  return r;
}

void PackInputs(const tu_scan_cuda_inputs* in, const float* dy, const InputRegions& r, float* host) {
  const int64_t B = in->batch, D = in->dim, L = in->length, N = in->dstate;
  std::memcpy(host + r.u, in->u, sizeof(float) * B * D * L);
  std::memcpy(host + r.delta, in->delta, sizeof(float) * B * D * L);
  std::memcpy(host + r.A, in->A, sizeof(float) * D * N);
  std::memcpy(host + r.Bm, in->Bm, sizeof(float) * B * N * L);
  std::memcpy(host + r.Cm, in->Cm, sizeof(float) * B * N * L);
  std::memcpy(host + r.Dskip, in->Dskip, sizeof(float) * D);
  std::memcpy(host + r.bias, in->delta_bias, sizeof(float) * D);
  if (dy) std::memcpy(host + r.dy, dy, sizeof(float) * B * D * L);
}

Params BaseParams(const tu_scan_cuda_inputs* in, const InputRegions& r, float* dev) {
  Params p{};
  p.batch = in->batch;
  p.dim = in->dim;
  p.length = in->length;
  p.dstate = in->dstate;
  p.softplus = in->delta_softplus != 0;
  p.u = dev + r.u;
  p.delta = dev + r.delta;
  p.A = dev + r.A;
  p.Bm = dev + r.Bm;
  p.Cm = dev + r.Cm;
  p.Dskip = dev + r.Dskip;
  p.deltaBias = dev + r.bias;
  return p;
}

void Forward(const tu_scan_cuda_inputs* in, float* y) {
  Validate(in);
  if (!y) throw std::invalid_argument("output y is null");
  const int64_t B = in->batch, D = in->dim, L = in->length, N = in->dstate;
  Layout l;
  const InputRegions r = PlanInputs(in, l, false);
  const size_t inputFloats = l.Floats();
  const size_t yAt = l.Add(B * D * L);
  Context& c = Ready();
  float* dev = reinterpret_cast<float*>(DeviceArena(c, l.Bytes()));
  float* host = reinterpret_cast<float*>(HostArena(c, l.Bytes()));
  PackInputs(in, nullptr, r, host);
  TU_CUDA_CHECK(cudaMemcpyAsync(dev, host, inputFloats * sizeof(float), cudaMemcpyHostToDevice, c.stream));
  Params p = BaseParams(in, r, dev);
  p.y = dev + yAt;
  tu_scan_cuda::ForwardKernel<<<dim3(static_cast<unsigned>(D), static_cast<unsigned>(B)), kThreads,
                                N * sizeof(float), c.stream>>>(p);
  TU_CUDA_CHECK(cudaGetLastError());
  TU_CUDA_CHECK(cudaMemcpyAsync(host + yAt, dev + yAt, sizeof(float) * B * D * L, cudaMemcpyDeviceToHost, c.stream));
  TU_CUDA_CHECK(cudaStreamSynchronize(c.stream));
  std::memcpy(y, host + yAt, sizeof(float) * B * D * L);
}

void Backward(const tu_scan_cuda_inputs* in, const float* dy, const tu_scan_cuda_grads* out) {
  Validate(in);
  if (!dy) throw std::invalid_argument("dy is null");
  if (!out || !out->du || !out->ddelta || !out->dA || !out->dBm || !out->dCm || !out->dDskip || !out->ddelta_bias)
    throw std::invalid_argument("an output array is null");
  const int64_t B = in->batch, D = in->dim, L = in->length, N = in->dstate;
  const int64_t chunks = (L + kChunk - 1) / kChunk;
  Layout l;
  const InputRegions r = PlanInputs(in, l, true);
  const size_t inputFloats = l.Floats();
  // Outputs, contiguous so they come back in one transfer; dBm/dCm are zeroed first.
  const size_t duAt = l.Add(B * D * L), ddAt = l.Add(B * D * L), dBAt = l.Add(B * N * L), dCAt = l.Add(B * N * L);
  const size_t dAAt = l.Add(B * D * N), dDAt = l.Add(B * D), dbAt = l.Add(B * D);
  const size_t outEnd = l.Floats();
  const size_t ckptAt = l.Add(B * D * chunks * N);
  Context& c = Ready();
  float* dev = reinterpret_cast<float*>(DeviceArena(c, l.Bytes()));
  float* host = reinterpret_cast<float*>(HostArena(c, outEnd * sizeof(float)));
  PackInputs(in, dy, r, host);
  TU_CUDA_CHECK(cudaMemcpyAsync(dev, host, inputFloats * sizeof(float), cudaMemcpyHostToDevice, c.stream));
  TU_CUDA_CHECK(cudaMemsetAsync(dev + dBAt, 0, (dAAt - dBAt) * sizeof(float), c.stream));
  Params p = BaseParams(in, r, dev);
  p.dy = dev + r.dy;
  p.du = dev + duAt;
  p.ddelta = dev + ddAt;
  p.dBm = dev + dBAt;
  p.dCm = dev + dCAt;
  p.dApart = dev + dAAt;
  p.dDpart = dev + dDAt;
  p.dbPart = dev + dbAt;
  p.checkpoints = dev + ckptAt;
  tu_scan_cuda::BackwardKernel<<<dim3(static_cast<unsigned>(D), static_cast<unsigned>(B)), kThreads,
                                 2 * N * sizeof(float), c.stream>>>(p);
  TU_CUDA_CHECK(cudaGetLastError());
  TU_CUDA_CHECK(cudaMemcpyAsync(host + duAt, dev + duAt, (outEnd - duAt) * sizeof(float), cudaMemcpyDeviceToHost,
                                c.stream));
  TU_CUDA_CHECK(cudaStreamSynchronize(c.stream));
  std::memcpy(out->du, host + duAt, sizeof(float) * B * D * L);
  std::memcpy(out->ddelta, host + ddAt, sizeof(float) * B * D * L);
  std::memcpy(out->dBm, host + dBAt, sizeof(float) * B * N * L);
  std::memcpy(out->dCm, host + dCAt, sizeof(float) * B * N * L);
  tu_scan_cuda::ReducePartials(B, D, N, host + dAAt, host + dDAt, host + dbAt, out->dA, out->dDskip, out->ddelta_bias);
}

void Report(const char* what, char* err, size_t len) {
  if (err && len) std::snprintf(err, len, "%s", what);
}

// After a failure part of a call may still be queued on the stream: let it drain so the
// next call can reuse (or free) the arenas safely. Its own error, if any, is already reported.
void Drain() {
  if (g_ctx.stream) cudaStreamSynchronize(g_ctx.stream);
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
}

template <class Fn>
int Guarded(char* err, size_t len, Fn fn) {
  std::lock_guard<std::mutex> lock(g_mutex);
  try {
    fn();
    return 0;
  } catch (const CudaError& e) {
    Report(e.what(), err, len);
    Drain();
    return 2;
  } catch (const std::bad_alloc&) {
    Report("out of host memory", err, len);
    return 3;
  } catch (const std::exception& e) {
    Report(e.what(), err, len);
    return 1;
  } catch (...) {
    Report("unknown error", err, len);
    return 1;
  }
}

}  // namespace

TU_EXPORT int tu_scan_cuda_abi_version(void) { return TU_SCAN_CUDA_ABI_VERSION; }

TU_EXPORT int tu_scan_cuda_device_info(char* name, size_t name_len, int* device_count, char* err, size_t err_len) {
  return Guarded(err, err_len, [&] {
    int count = 0;
    TU_CUDA_CHECK(cudaGetDeviceCount(&count));
    if (device_count) *device_count = count;
    if (count < 1) throw std::runtime_error("no CUDA device");
    cudaDeviceProp prop;
    TU_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    if (name && name_len)
      std::snprintf(name, name_len, "%s (sm_%d%d, %.1f GiB)", prop.name, prop.major, prop.minor,
                    prop.totalGlobalMem / 1073741824.0);
  });
}

TU_EXPORT int tu_scan_cuda_forward(const tu_scan_cuda_inputs* in, float* y, char* err, size_t err_len) {
  return Guarded(err, err_len, [&] { Forward(in, y); });
}

TU_EXPORT int tu_scan_cuda_backward(const tu_scan_cuda_inputs* in, const float* dy, const tu_scan_cuda_grads* out,
                                    char* err, size_t err_len) {
  return Guarded(err, err_len, [&] { Backward(in, dy, out); });
}

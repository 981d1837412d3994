// Internal interface between the scan orchestration (scan_cpu.cc: threads, transposes,
// reductions) and the per-instruction-set kernel variants (scan_cpu_variant_*.cc).
#pragma once
#include <cstdint>

#include "scan_cpu.h"

namespace tu::scan {

// One batch element, prepared once and shared read-only by every channel worker.
struct BatchView {
  int64_t length = 0, dim = 0;
  int64_t npad = 0;               // dstate rounded up to the variant's vector width
  const float* u = nullptr;       // [D][L] of this batch element
  const float* delta = nullptr;   // [D][L]
  const float* Bt = nullptr;      // [L][npad], transposed, zero padded
  const float* Ct = nullptr;      // [L][npad]
  const float* Apad = nullptr;    // [D][npad], zero padded
  const float* A2pad = nullptr;   // A * log2(e), so exp(dt*A) = exp2(dt*A2)
  const float* Dskip = nullptr;   // [D]
  const float* deltaBias = nullptr;
  bool softplus = true;
};

// Where one worker's backward results go. du/ddelta rows belong to the worker's channels
// only; dBt/dCt are the worker's private partial sums over its channels ([L][npad]);
// the double accumulators are indexed by channel and only touched for its channels.
struct BackwardSink {
  float* du = nullptr;      // [D][L] of this batch element
  float* ddelta = nullptr;  // [D][L]
  float* dBt = nullptr;     // [L][npad]
  float* dCt = nullptr;     // [L][npad]
  double* dA = nullptr;     // [D][npad]
  double* dDskip = nullptr; // [D]
  double* ddeltaBias = nullptr;
};

struct KernelTable {
  Simd level;
  int width;  // lanes per vector
  void (*forward)(const BatchView& v, int64_t d0, int64_t d1, float* y);
  void (*backward)(const BatchView& v, const float* dy, int64_t d0, int64_t d1, const BackwardSink& sink);
  // Benchmark only: the exps of the forward and nothing else (see ExpFloor in scan_cpu_body.h).
  float (*expFloor)(const BatchView& v, int64_t d0, int64_t d1);
};

// Each returns nullptr when its variant is not compiled for this target.
const KernelTable* ScalarKernels();
const KernelTable* GenericKernels();
const KernelTable* Avx2Kernels();
const KernelTable* Avx512Kernels();

// Time steps per backward chunk: the state is checkpointed every kChunk steps and
// recomputed inside a chunk, so the extra memory is D*L*npad/kChunk floats per batch.
constexpr int64_t kChunk = 64;
// Time steps per forward tile (B/C of one tile stay in L1/L2 while all channels pass).
constexpr int64_t kForwardTile = 256;

}  // namespace tu::scan

// CUDA selective-scan kernels: one thread block per (batch, channel), the sequence walked
// in chunks of kThreads * kItems steps. Inside a chunk every thread composes the affine
// maps h -> a*h + b of its kItems consecutive steps, a block-wide exclusive scan (cub)
// combines the threads' maps, and the state carried from the previous chunk closes the
// recurrence (the chunked parallel scan design of mamba_ssm, written from scratch here).
// The backward recomputes: a forward pass keeps only the state at each chunk start, then
// chunks go in reverse, recomputing their states and scanning dL/dh backwards.
// The same source compiles on the CPU against emulation/cuda_emulation.h (threads as
// std::threads, a block at a time), which is how the kernels are tested without a GPU.
#pragma once
#include <cstdint>

#ifdef TU_CUDA_EMULATION
#include "emulation/cuda_emulation.h"
#define TU_DYNAMIC_SHARED(name) float* name = tu_emu::DynamicShared<float>()
#else
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#define TU_DYNAMIC_SHARED(name) extern __shared__ float name[]
#endif

namespace tu_scan_cuda {

constexpr int kThreads = 128;
constexpr int kItems = 4;
constexpr int64_t kChunk = kThreads * kItems;
constexpr float kLog2e = 1.4426950408889634f;

struct Params {
  int64_t batch, dim, length, dstate;
  bool softplus;
  const float *u, *delta, *A, *Bm, *Cm, *Dskip, *deltaBias, *dy;
  float* y;                          // forward output [B, D, L]
  float *du, *ddelta;                // [B, D, L]
  float *dBm, *dCm;                  // [B, N, L], zeroed before the backward (atomic sums over D)
  float *dApart, *dDpart, *dbPart;   // per (b, d) partial sums: [B, D, N], [B, D], [B, D]
  float* checkpoints;                // [B, D, chunks, N]: the state at each chunk start
};

// Affine maps h -> x.x*h + x.y; Compose(x, y) applies x first, then y (associative).
struct Compose {
  __device__ __forceinline__ float2 operator()(const float2& x, const float2& y) const {
    return make_float2(x.x * y.x, y.x * x.y + y.y);
  }
};

__device__ __forceinline__ float2 Identity() { return make_float2(1.f, 0.f); }
__device__ __forceinline__ float Softplus(float x) { return x <= 20.f ? log1pf(expf(x)) : x; }
__device__ __forceinline__ float Sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

// The kItems consecutive steps of one thread in the chunk starting at c0. Steps past the
// end get dt = 0, u = 0 (so their map is the identity and they contribute nothing).
struct Steps {
  int64_t pos[kItems];
  bool valid[kItems];
  float u[kItems], dt[kItems], dtGrad[kItems];

  __device__ void Load(const Params& p, int64_t row, int64_t c0, float bias) {
    const int64_t base = c0 + static_cast<int64_t>(threadIdx.x) * kItems;
#pragma unroll
    for (int i = 0; i < kItems; ++i) {
      pos[i] = base + i;
      valid[i] = pos[i] < p.length;
      const float x = valid[i] ? p.delta[row + pos[i]] + bias : 0.f;
      u[i] = valid[i] ? p.u[row + pos[i]] : 0.f;
      dt[i] = valid[i] ? (p.softplus ? Softplus(x) : x) : 0.f;
      dtGrad[i] = valid[i] ? (p.softplus ? Sigmoid(x) : 1.f) : 0.f;
    }
  }
};

using BlockScan = cub::BlockScan<float2, kThreads>;
using BlockReduce = cub::BlockReduce<float, kThreads>;

// Maps of the thread's steps for state n and their composition.
__device__ __forceinline__ float2 StepMaps(const Steps& s, const float* Brow, float A2, float2 (&e)[kItems]) {
  float2 agg = Identity();
#pragma unroll
  for (int i = 0; i < kItems; ++i) {
    const float Bv = s.valid[i] ? Brow[s.pos[i]] : 0.f;
    e[i] = make_float2(exp2f(s.dt[i] * A2), s.dt[i] * s.u[i] * Bv);
    agg = Compose()(agg, e[i]);
  }
  return agg;
}

__global__ void __launch_bounds__(kThreads) ForwardKernel(Params p) {
  __shared__ typename BlockScan::TempStorage scanTemp;
  TU_DYNAMIC_SHARED(carry);  // [N]: state at the end of the previous chunk
  const int64_t d = blockIdx.x, b = blockIdx.y, D = p.dim, L = p.length, N = p.dstate;
  const int64_t row = (b * D + d) * L;
  const float* Bb = p.Bm + b * N * L;
  const float* Cb = p.Cm + b * N * L;
  const float bias = p.deltaBias[d], Dd = p.Dskip[d];
  for (int64_t n = threadIdx.x; n < N; n += kThreads) carry[n] = 0.f;
  __syncthreads();
  for (int64_t c0 = 0; c0 < L; c0 += kChunk) {
    Steps s;
    s.Load(p, row, c0, bias);
    float y[kItems] = {};
    for (int64_t n = 0; n < N; ++n) {
      float2 e[kItems];
      const float2 agg = StepMaps(s, Bb + n * L, p.A[d * N + n] * kLog2e, e);
      float2 pre;
      BlockScan(scanTemp).ExclusiveScan(agg, pre, Identity(), Compose());
      float h = pre.x * carry[n] + pre.y;
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        h = e[i].x * h + e[i].y;
        if (s.valid[i]) y[i] += Cb[n * L + s.pos[i]] * h;
      }
      __syncthreads();  // carry[n] read by all; scanTemp free again
      if (threadIdx.x == kThreads - 1) carry[n] = h;
    }
#pragma unroll
    for (int i = 0; i < kItems; ++i)
      if (s.valid[i]) p.y[row + s.pos[i]] = y[i] + Dd * s.u[i];
    __syncthreads();
  }
}

__global__ void __launch_bounds__(kThreads) BackwardKernel(Params p) {
  __shared__ typename BlockScan::TempStorage scanTemp;
  __shared__ typename BlockReduce::TempStorage reduceTemp;
  __shared__ float2 exchange[kThreads];
  TU_DYNAMIC_SHARED(shared);
  const int64_t d = blockIdx.x, b = blockIdx.y, D = p.dim, L = p.length, N = p.dstate;
  float* carry = shared;      // [N]: state (phase 1), then dL/dh flowing backwards (phase 2)
  float* dAacc = shared + N;  // [N]
  const int tid = threadIdx.x;
  const int64_t row = (b * D + d) * L;
  const float* Bb = p.Bm + b * N * L;
  const float* Cb = p.Cm + b * N * L;
  const float bias = p.deltaBias[d], Dd = p.Dskip[d];
  const int64_t chunks = (L + kChunk - 1) / kChunk;
  float* ckpt = p.checkpoints + (b * D + d) * chunks * N;
  for (int64_t n = tid; n < N; n += kThreads) {
    carry[n] = 0.f;
    dAacc[n] = 0.f;
  }
  __syncthreads();

  // Phase 1: the state at every chunk start.
  for (int64_t c = 0; c < chunks; ++c) {
    for (int64_t n = tid; n < N; n += kThreads) ckpt[c * N + n] = carry[n];
    if (c + 1 == chunks) break;
    Steps s;
    s.Load(p, row, c * kChunk, bias);
    for (int64_t n = 0; n < N; ++n) {
      float2 e[kItems];
      const float2 agg = StepMaps(s, Bb + n * L, p.A[d * N + n] * kLog2e, e);
      float2 pre;
      BlockScan(scanTemp).ExclusiveScan(agg, pre, Identity(), Compose());
      float h = pre.x * carry[n] + pre.y;
#pragma unroll
      for (int i = 0; i < kItems; ++i) h = e[i].x * h + e[i].y;
      __syncthreads();
      if (tid == kThreads - 1) carry[n] = h;
    }
    __syncthreads();
  }
  __syncthreads();
  for (int64_t n = tid; n < N; n += kThreads) carry[n] = 0.f;
  __syncthreads();

  // Phase 2: chunks in reverse. q = a_{t+1} * dL/dh_{t+1} flows from later steps.
  float dDacc = 0.f, dbAcc = 0.f;
  for (int64_t c = chunks - 1; c >= 0; --c) {
    Steps s;
    s.Load(p, row, c * kChunk, bias);
    float dy[kItems], ddt[kItems], gB[kItems];
#pragma unroll
    for (int i = 0; i < kItems; ++i) {
      dy[i] = s.valid[i] ? p.dy[row + s.pos[i]] : 0.f;
      ddt[i] = 0.f;
      gB[i] = 0.f;
    }
    for (int64_t n = 0; n < N; ++n) {
      const float A = p.A[d * N + n];
      float2 e[kItems];
      const float2 agg = StepMaps(s, Bb + n * L, A * kLog2e, e);
      float2 pre;
      BlockScan(scanTemp).ExclusiveScan(agg, pre, Identity(), Compose());
      float hPrev[kItems], hCur[kItems], Cv[kItems], Bv[kItems];
      float h = pre.x * ckpt[c * N + n] + pre.y;
      float2 aggRev = Identity();
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        hPrev[i] = h;
        h = e[i].x * h + e[i].y;
        hCur[i] = h;
        Cv[i] = s.valid[i] ? Cb[n * L + s.pos[i]] : 0.f;
        Bv[i] = s.valid[i] ? Bb[n * L + s.pos[i]] : 0.f;
      }
      // Backwards in time: q_t = a_t * q_{t+1} + a_t * dy_t * C_t.
#pragma unroll
      for (int i = kItems - 1; i >= 0; --i) aggRev = Compose()(aggRev, make_float2(e[i].x, e[i].x * dy[i] * Cv[i]));
      __syncthreads();  // scanTemp free
      // A reverse block scan: thread k's map goes to rank kThreads-1-k, the scan runs in rank order.
      exchange[kThreads - 1 - tid] = aggRev;
      __syncthreads();
      const float2 mine = exchange[tid];
      float2 preRev;
      BlockScan(scanTemp).ExclusiveScan(mine, preRev, Identity(), Compose());
      __syncthreads();
      exchange[tid] = preRev;
      __syncthreads();
      const float2 later = exchange[kThreads - 1 - tid];
      float q = later.x * carry[n] + later.y;
      float dAlocal = 0.f;
      float* dBrow = p.dBm + (b * N + n) * L;
      float* dCrow = p.dCm + (b * N + n) * L;
#pragma unroll
      for (int i = kItems - 1; i >= 0; --i) {
        const float g = dy[i] * Cv[i] + q;  // dL/dh_t
        if (s.valid[i]) {
          atomicAdd(dBrow + s.pos[i], g * s.dt[i] * s.u[i]);
          atomicAdd(dCrow + s.pos[i], dy[i] * hCur[i]);
        }
        const float gha = g * hPrev[i] * e[i].x;
        dAlocal += gha * s.dt[i];
        ddt[i] += gha * A;
        gB[i] += g * Bv[i];
        q = e[i].x * g;
      }
      for (int offset = 16; offset > 0; offset >>= 1) dAlocal += __shfl_down_sync(0xffffffffu, dAlocal, offset);
      if ((tid & 31) == 0) atomicAdd(&dAacc[n], dAlocal);
      __syncthreads();  // carry[n] and exchange read by all
      if (tid == 0) carry[n] = q;
    }
#pragma unroll
    for (int i = 0; i < kItems; ++i) {
      if (!s.valid[i]) continue;
      const float dd = (ddt[i] + s.u[i] * gB[i]) * s.dtGrad[i];
      p.du[row + s.pos[i]] = Dd * dy[i] + s.dt[i] * gB[i];
      p.ddelta[row + s.pos[i]] = dd;
      dDacc += dy[i] * s.u[i];
      dbAcc += dd;
    }
    __syncthreads();
  }
  const float dDsum = BlockReduce(reduceTemp).Sum(dDacc);
  __syncthreads();
  const float dbSum = BlockReduce(reduceTemp).Sum(dbAcc);
  if (tid == 0) {
    p.dDpart[b * D + d] = dDsum;
    p.dbPart[b * D + d] = dbSum;
  }
  for (int64_t n = tid; n < N; n += kThreads) p.dApart[(b * D + d) * N + n] = dAacc[n];
}

// dA, dDskip, ddeltaBias from the per-(b, d) partials, summed over the batch in float64.
inline void ReducePartials(int64_t B, int64_t D, int64_t N, const float* dApart, const float* dDpart,
                           const float* dbPart, float* dA, float* dDskip, float* ddeltaBias) {
  for (int64_t d = 0; d < D; ++d) {
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      for (int64_t b = 0; b < B; ++b) s += dApart[(b * D + d) * N + n];
      dA[d * N + n] = static_cast<float>(s);
    }
    double sD = 0, sb = 0;
    for (int64_t b = 0; b < B; ++b) {
      sD += dDpart[b * D + d];
      sb += dbPart[b * D + d];
    }
    dDskip[d] = static_cast<float>(sD);
    ddeltaBias[d] = static_cast<float>(sb);
  }
}

}  // namespace tu_scan_cuda

// Orchestration of the CPU selective scan: picks the instruction-set variant, splits the
// channels of each batch element over the worker threads, transposes B and C once per
// batch element so the state dimension is contiguous, and reduces the per-worker partial
// sums of dB and dC.
#include "scan_cpu.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "scan_cpu_kernels.h"
#include "thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace tu::scan {
namespace {

bool CpuRuns(Simd level) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  switch (level) {
    case Simd::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Simd::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("fma");
    default:
      return true;
  }
#else
  return level != Simd::Avx2 && level != Simd::Avx512;
#endif
}

const KernelTable* TableFor(Simd level) {
  switch (level) {
    case Simd::Scalar: return ScalarKernels();
    case Simd::Generic: return GenericKernels();
    case Simd::Avx2: return Avx2Kernels();
    case Simd::Avx512: return Avx512Kernels();
    case Simd::Auto: break;
  }
  return nullptr;
}

const KernelTable& Resolve(Simd level) {
  if (level == Simd::Auto) level = BestSimd();
  const KernelTable* table = TableFor(level);
  if (!table || !CpuRuns(level)) {
    std::string list;
    for (Simd s : AvailableSimd()) list += std::string(list.empty() ? "" : ", ") + SimdName(s);
    throw std::invalid_argument(std::string("SIMD variant '") + SimdName(level) +
                                "' is not available on this CPU or build (available: " + list + ")");
  }
  return *table;
}

// Flushes denormals to zero on this thread while alive (x86: FTZ and DAZ in MXCSR), as GPUs
// do: a decayed state would otherwise hit microcode assists costing ~100 cycles per op.
class DenormalsAreZero {
 public:
#if defined(__x86_64__) || defined(__i386__)
  DenormalsAreZero() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~DenormalsAreZero() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};

// Runs fn(slot) for slot in [0, slots) with at most `slots` threads at once.
template <class Fn>
void RunSlots(size_t slots, Fn fn) {
  ParallelFor(slots, 1, [&](size_t begin, size_t end) {
    DenormalsAreZero ftz;
    for (size_t s = begin; s < end; ++s) fn(s);
  });
}

int64_t RangeStart(int64_t n, size_t slots, size_t s) { return static_cast<int64_t>(n * s / slots); }

// src [N][L] -> dst [L][npad] (padding lanes stay zero), split over `slots` time ranges.
void TransposeToSteps(const float* src, int64_t N, int64_t L, int64_t npad, float* dst, size_t slots) {
  RunSlots(slots, [&](size_t s) {
    const int64_t t0 = RangeStart(L, slots, s), t1 = RangeStart(L, slots, s + 1);
    for (int64_t tb = t0; tb < t1; tb += 256) {
      const int64_t te = std::min(t1, tb + 256);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t t = tb; t < te; ++t) dst[t * npad + n] = src[n * L + t];
    }
  });
}

std::vector<float> PadRows(const float* A, int64_t D, int64_t N, int64_t npad, double scale = 1.0) {
  std::vector<float> out(static_cast<size_t>(D * npad), 0.f);
  for (int64_t d = 0; d < D; ++d)
    for (int64_t n = 0; n < N; ++n) out[d * npad + n] = static_cast<float>(A[d * N + n] * scale);
  return out;
}

constexpr double kLog2e = 1.4426950408889634;

size_t ThreadsFor(const RunOptions& opts) { return opts.threads ? opts.threads : HardwareThreads(); }

// Batch element b of a call, with the shared transposed B/C and padded A rows.
BatchView ViewOfBatch(const Inputs& in, int64_t b, int64_t npad, const float* Bt, const float* Ct, const float* Apad,
                      const float* A2pad) {
  const auto [B, D, L, N] = in.shape;
  BatchView v;
  v.length = L;
  v.dim = D;
  v.npad = npad;
  v.u = in.u + b * D * L;
  v.delta = in.delta + b * D * L;
  v.Bt = Bt;
  v.Ct = Ct;
  v.Apad = Apad;
  v.A2pad = A2pad;
  v.Dskip = in.Dskip;
  v.deltaBias = in.deltaBias;
  v.softplus = in.deltaSoftplus;
  return v;
}

}  // namespace

const char* SimdName(Simd level) {
  switch (level) {
    case Simd::Auto: return "auto";
    case Simd::Scalar: return "scalar";
    case Simd::Generic: return "generic";
    case Simd::Avx2: return "avx2";
    case Simd::Avx512: return "avx512";
  }
  return "?";
}

bool ParseSimd(const std::string& name, Simd* out) {
  for (Simd s : {Simd::Auto, Simd::Scalar, Simd::Generic, Simd::Avx2, Simd::Avx512}) {
    if (name == SimdName(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

std::vector<Simd> AvailableSimd() {
  std::vector<Simd> out;
  for (Simd s : {Simd::Scalar, Simd::Generic, Simd::Avx2, Simd::Avx512})
    if (TableFor(s) && CpuRuns(s)) out.push_back(s);
  return out;
}

Simd BestSimd() { return AvailableSimd().back(); }

unsigned HardwareThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

void Forward(const Inputs& in, float* y, const RunOptions& opts) {
  const KernelTable& k = Resolve(opts.simd);
  const auto [B, D, L, N] = in.shape;
  const int64_t npad = (N + k.width - 1) / k.width * k.width;
  const size_t slots = std::max<size_t>(1, std::min<size_t>(ThreadsFor(opts), static_cast<size_t>(D)));
  const size_t transposeSlots = std::min<size_t>(ThreadsFor(opts), static_cast<size_t>(L));
  const std::vector<float> Apad = PadRows(in.A, D, N, npad), A2pad = PadRows(in.A, D, N, npad, kLog2e);
  std::vector<float> Bt(static_cast<size_t>(L * npad), 0.f), Ct(Bt.size(), 0.f);
  for (int64_t b = 0; b < B; ++b) {
    TransposeToSteps(in.Bm + b * N * L, N, L, npad, Bt.data(), transposeSlots);
    TransposeToSteps(in.Cm + b * N * L, N, L, npad, Ct.data(), transposeSlots);
    const BatchView v = ViewOfBatch(in, b, npad, Bt.data(), Ct.data(), Apad.data(), A2pad.data());
    float* yb = y + b * D * L;
    RunSlots(slots, [&](size_t s) { k.forward(v, RangeStart(D, slots, s), RangeStart(D, slots, s + 1), yb); });
  }
}

double ExpFloor(const Inputs& in, const RunOptions& opts) {
  const KernelTable& k = Resolve(opts.simd);
  const auto [B, D, L, N] = in.shape;
  const int64_t npad = (N + k.width - 1) / k.width * k.width;
  const size_t slots = std::max<size_t>(1, std::min<size_t>(ThreadsFor(opts), static_cast<size_t>(D)));
  const std::vector<float> A2pad = PadRows(in.A, D, N, npad, kLog2e);
  std::vector<double> sums(slots, 0.0);
  for (int64_t b = 0; b < B; ++b) {
    const BatchView v = ViewOfBatch(in, b, npad, nullptr, nullptr, nullptr, A2pad.data());
    RunSlots(slots, [&](size_t s) { sums[s] += k.expFloor(v, RangeStart(D, slots, s), RangeStart(D, slots, s + 1)); });
  }
  double total = 0;
  for (double s : sums) total += s;
  return total - static_cast<double>(B * D * L * (npad - N));  // padded lanes (A = 0) add exp(0) = 1 each
}

void Backward(const Inputs& in, const float* dy, const Gradients& out, const RunOptions& opts) {
  const KernelTable& k = Resolve(opts.simd);
  const auto [B, D, L, N] = in.shape;
  const int64_t npad = (N + k.width - 1) / k.width * k.width;
  const size_t slots = std::max<size_t>(1, std::min<size_t>(ThreadsFor(opts), static_cast<size_t>(D)));
  const size_t transposeSlots = std::min<size_t>(ThreadsFor(opts), static_cast<size_t>(L));
  const std::vector<float> Apad = PadRows(in.A, D, N, npad), A2pad = PadRows(in.A, D, N, npad, kLog2e);
  const size_t stepFloats = static_cast<size_t>(L * npad);
  std::vector<float> Bt(stepFloats, 0.f), Ct(stepFloats, 0.f);
  // Per-worker partial sums of dB and dC over the worker's channels, [L][npad] each.
  std::vector<float> partials(2 * slots * stepFloats);
  std::vector<double> dA(static_cast<size_t>(D * npad), 0.0), dDskip(D, 0.0), ddeltaBias(D, 0.0);
  for (int64_t b = 0; b < B; ++b) {
    TransposeToSteps(in.Bm + b * N * L, N, L, npad, Bt.data(), transposeSlots);
    TransposeToSteps(in.Cm + b * N * L, N, L, npad, Ct.data(), transposeSlots);
    const BatchView v = ViewOfBatch(in, b, npad, Bt.data(), Ct.data(), Apad.data(), A2pad.data());
    RunSlots(slots, [&](size_t s) {
      BackwardSink sink;
      sink.du = out.du + b * D * L;
      sink.ddelta = out.ddelta + b * D * L;
      sink.dBt = &partials[(2 * s) * stepFloats];
      sink.dCt = &partials[(2 * s + 1) * stepFloats];
      std::fill(sink.dBt, sink.dBt + 2 * stepFloats, 0.f);
      sink.dA = dA.data();
      sink.dDskip = dDskip.data();
      sink.ddeltaBias = ddeltaBias.data();
      k.backward(v, dy + b * D * L, RangeStart(D, slots, s), RangeStart(D, slots, s + 1), sink);
    });
    // dB[b][n][t] = sum over workers of their partial [t][n] (summed in float64).
    float* dBb = out.dBm + b * N * L;
    float* dCb = out.dCm + b * N * L;
    RunSlots(transposeSlots, [&](size_t s) {
      const int64_t t0 = RangeStart(L, transposeSlots, s), t1 = RangeStart(L, transposeSlots, s + 1);
      for (int64_t n = 0; n < N; ++n) {
        for (int64_t t = t0; t < t1; ++t) {
          double sb = 0, sc = 0;
          for (size_t w = 0; w < slots; ++w) {
            sb += partials[(2 * w) * stepFloats + t * npad + n];
            sc += partials[(2 * w + 1) * stepFloats + t * npad + n];
          }
          dBb[n * L + t] = static_cast<float>(sb);
          dCb[n * L + t] = static_cast<float>(sc);
        }
      }
    });
  }
  for (int64_t d = 0; d < D; ++d) {
    for (int64_t n = 0; n < N; ++n) out.dA[d * N + n] = static_cast<float>(dA[d * npad + n]);
    out.dDskip[d] = static_cast<float>(dDskip[d]);
    out.ddeltaBias[d] = static_cast<float>(ddeltaBias[d]);
  }
}

}  // namespace tu::scan

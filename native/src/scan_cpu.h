// Fused Mamba-1 selective scan on the CPU (forward and backward).
//
// Layout and semantics follow the op contract (mamba_ssm's selective_scan_fn without
// variable groups): u, delta, y [B, D, L]; A [D, N]; Bm, Cm [B, N, L]; Dskip, deltaBias [D].
// z-gating is NOT fused: it stays in the graph.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tu::scan {

struct Shape {
  int64_t batch = 0, dim = 0, length = 0, dstate = 0;
};

struct Inputs {
  Shape shape;
  const float* u = nullptr;
  const float* delta = nullptr;
  const float* A = nullptr;
  const float* Bm = nullptr;
  const float* Cm = nullptr;
  const float* Dskip = nullptr;
  const float* deltaBias = nullptr;
  bool deltaSoftplus = true;
};

struct Gradients {
  float* du = nullptr;
  float* ddelta = nullptr;
  float* dA = nullptr;
  float* dBm = nullptr;
  float* dCm = nullptr;
  float* dDskip = nullptr;
  float* ddeltaBias = nullptr;
};

/** Instruction-set variants of the kernels; Auto picks the best the CPU supports. */
enum class Simd { Auto, Scalar, Generic, Avx2, Avx512 };

const char* SimdName(Simd level);
/** Parses "auto", "scalar", "generic", "avx2", "avx512"; returns false for anything else. */
bool ParseSimd(const std::string& name, Simd* out);
/** Variants compiled into this build that this CPU can run, best last. */
std::vector<Simd> AvailableSimd();
/** The variant Auto resolves to. */
Simd BestSimd();

struct RunOptions {
  unsigned threads = 0;  // 0: hardware threads
  Simd simd = Simd::Auto;
};

/** y [B, D, L]. Throws std::invalid_argument when the requested variant is unavailable. */
void Forward(const Inputs& in, float* y, const RunOptions& opts);
/** Gradients of sum(dy * y) w.r.t. every input; ddelta is w.r.t. the raw delta. */
void Backward(const Inputs& in, const float* dy, const Gradients& out, const RunOptions& opts);

/**
 * Benchmark only: evaluates exp(dt * A) for every (batch, channel, step, state) element of
 * the call (raw delta as dt) with the forward's vectorised exp and threads, and nothing
 * else; returns their sum. The time it takes is a floor no exact forward scan can beat.
 */
double ExpFloor(const Inputs& in, const RunOptions& opts);

unsigned HardwareThreads();

}  // namespace tu::scan

// Runs the CUDA scan kernels on the CPU through cuda_emulation.h (see there) so tests can
// check their results without a GPU. Build:
//   g++ -std=c++17 -O1 -pthread -DTU_CUDA_EMULATION -Inative/cuda native/cuda/emulation/emulate_scan.cc
// Usage: emulate_scan IN OUT. IN holds int64 batch, dim, length, dstate; int32 softplus,
// int32 mode (0 forward, 1 backward); then float32 u, delta, A, Bm, Cm, Dskip, deltaBias
// and, for the backward, dy. OUT receives y, or du, ddelta, dA, dBm, dCm, dDskip, ddeltaBias.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "scan_cuda_kernels.cuh"

namespace {

using tu_scan_cuda::kChunk;
using tu_scan_cuda::kThreads;

struct Reader {
  std::vector<char> bytes;
  size_t at = 0;
  template <class T>
  T Scalar() {
    T v;
    Take(&v, sizeof v);
    return v;
  }
  std::vector<float> Floats(int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    Take(v.data(), sizeof(float) * v.size());
    return v;
  }
  void Take(void* to, size_t n) {
    if (at + n > bytes.size()) throw std::runtime_error("input file too short");
    std::memcpy(to, bytes.data() + at, n);
    at += n;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: emulate_scan IN OUT\n");
    return 2;
  }
  try {
    std::ifstream in(argv[1], std::ios::binary);
    Reader r{std::vector<char>(std::istreambuf_iterator<char>(in), {})};
    const int64_t B = r.Scalar<int64_t>(), D = r.Scalar<int64_t>(), L = r.Scalar<int64_t>(), N = r.Scalar<int64_t>();
    const bool softplus = r.Scalar<int32_t>() != 0;
    const bool backward = r.Scalar<int32_t>() != 0;
    const auto u = r.Floats(B * D * L), delta = r.Floats(B * D * L), A = r.Floats(D * N);
    const auto Bm = r.Floats(B * N * L), Cm = r.Floats(B * N * L), Dskip = r.Floats(D), bias = r.Floats(D);
    const auto dy = backward ? r.Floats(B * D * L) : std::vector<float>();

    tu_scan_cuda::Params p{};
    p.batch = B;
    p.dim = D;
    p.length = L;
    p.dstate = N;
    p.softplus = softplus;
    p.u = u.data();
    p.delta = delta.data();
    p.A = A.data();
    p.Bm = Bm.data();
    p.Cm = Cm.data();
    p.Dskip = Dskip.data();
    p.deltaBias = bias.data();
    std::vector<float> out;
    if (!backward) {
      std::vector<float> y(B * D * L, std::nanf(""));
      p.y = y.data();
      tu_emu::Launch(tu_scan_cuda::ForwardKernel, D, B, kThreads, N * sizeof(float), p);
      out = y;
    } else {
      const int64_t chunks = (L + kChunk - 1) / kChunk;
      std::vector<float> du(B * D * L), dd(B * D * L), dB(B * N * L, 0.f), dC(B * N * L, 0.f);
      std::vector<float> dApart(B * D * N), dDpart(B * D), dbPart(B * D), ckpt(B * D * chunks * N);
      std::vector<float> dA(D * N), dDskip(D), ddb(D);
      p.dy = dy.data();
      p.du = du.data();
      p.ddelta = dd.data();
      p.dBm = dB.data();
      p.dCm = dC.data();
      p.dApart = dApart.data();
      p.dDpart = dDpart.data();
      p.dbPart = dbPart.data();
      p.checkpoints = ckpt.data();
      tu_emu::Launch(tu_scan_cuda::BackwardKernel, D, B, kThreads, 2 * N * sizeof(float), p);
      tu_scan_cuda::ReducePartials(B, D, N, dApart.data(), dDpart.data(), dbPart.data(), dA.data(), dDskip.data(),
                                   ddb.data());
      for (const auto* v : {&du, &dd, &dA, &dB, &dC, &dDskip, &ddb}) out.insert(out.end(), v->begin(), v->end());
    }
    std::ofstream o(argv[2], std::ios::binary);
    o.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size() * sizeof(float)));
    return o ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "emulate_scan: %s\n", e.what());
    return 1;
  }
}

// 16-lane kernels compiled for AVX-512F (+AVX2, FMA), selected at run time only on CPUs that have them
// (scan_cpu.cc checks with __builtin_cpu_supports), so the addon still loads on any x86-64.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "scan_cpu_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")
#endif
#define TU_SCAN_WIDTH 16
#define TU_SCAN_NAMESPACE avx512
#define TU_SCAN_LEVEL Simd::Avx512
#include "scan_cpu_body.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace tu::scan {
const KernelTable* Avx512Kernels() { return &avx512::kTable; }
}  // namespace tu::scan
#else
namespace tu::scan {
const KernelTable* Avx512Kernels() { return nullptr; }
}  // namespace tu::scan
#endif

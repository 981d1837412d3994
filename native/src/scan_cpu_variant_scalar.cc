// Scalar kernels: one lane, libm exp/log1p. The portable fallback for compilers without
// GCC vector extensions, and a second opinion on the vector variants in tests.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

#include "scan_cpu_kernels.h"

#define TU_SCAN_WIDTH 1
#define TU_SCAN_NAMESPACE scalar
#define TU_SCAN_LEVEL Simd::Scalar
#include "scan_cpu_body.h"

namespace tu::scan {
const KernelTable* ScalarKernels() { return &scalar::kTable; }
}  // namespace tu::scan

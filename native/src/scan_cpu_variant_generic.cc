// 4-lane kernels for the compiler's baseline target: SSE2 on any x86-64, NEON on arm64
// (the native register width: wider GCC vectors get split lane by lane for selects). Needs GCC/Clang vector extensions.
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

#if defined(__GNUC__)
#define TU_SCAN_WIDTH 4
#define TU_SCAN_NAMESPACE generic
#define TU_SCAN_LEVEL Simd::Generic
#include "scan_cpu_body.h"

namespace tu::scan {
const KernelTable* GenericKernels() { return &generic::kTable; }
}  // namespace tu::scan
#else
namespace tu::scan {
const KernelTable* GenericKernels() { return nullptr; }
}  // namespace tu::scan
#endif

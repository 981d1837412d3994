/*
 * C ABI of libtokenunify_scan_cuda.so, the CUDA selective-scan library. The Node addon
 * dlopens it at run time (only when a CUDA driver is present), so the addon itself never
 * links against CUDA. Layouts and semantics are those of the CPU kernels
 * (native/src/scan_cpu.h): u, delta, y [B, D, L]; A [D, N]; Bm, Cm [B, N, L]; Dskip,
 * deltaBias [D]; row-major float32 host arrays.
 *
 * Every function returns 0 on success; otherwise a nonzero code and a NUL-terminated
 * message in err (truncated to err_len). No function aborts or throws across the ABI.
 */
#ifndef TOKENUNIFY_SCAN_CUDA_ABI_H
#define TOKENUNIFY_SCAN_CUDA_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TU_SCAN_CUDA_ABI_VERSION 1

typedef struct {
  int64_t batch, dim, length, dstate;
  int32_t delta_softplus;
  const float* u;
  const float* delta;
  const float* A;
  const float* Bm;
  const float* Cm;
  const float* Dskip;
  const float* delta_bias;
} tu_scan_cuda_inputs;

typedef struct {
  float* du;
  float* ddelta;
  float* dA;
  float* dBm;
  float* dCm;
  float* dDskip;
  float* ddelta_bias;
} tu_scan_cuda_grads;

typedef int (*tu_scan_cuda_abi_version_fn)(void);
typedef int (*tu_scan_cuda_device_info_fn)(char* name, size_t name_len, int* device_count, char* err, size_t err_len);
typedef int (*tu_scan_cuda_forward_fn)(const tu_scan_cuda_inputs* in, float* y, char* err, size_t err_len);
typedef int (*tu_scan_cuda_backward_fn)(const tu_scan_cuda_inputs* in, const float* dy, const tu_scan_cuda_grads* out,
                                        char* err, size_t err_len);

/* TU_SCAN_CUDA_ABI_VERSION of the library. */
int tu_scan_cuda_abi_version(void);
/* Name of device 0 and the number of devices; fails when there is no driver or device. */
int tu_scan_cuda_device_info(char* name, size_t name_len, int* device_count, char* err, size_t err_len);
/* y = selective_scan(in) on device 0. */
int tu_scan_cuda_forward(const tu_scan_cuda_inputs* in, float* y, char* err, size_t err_len);
/* Gradients of sum(dy * y) w.r.t. every input (ddelta w.r.t. the raw delta). */
int tu_scan_cuda_backward(const tu_scan_cuda_inputs* in, const float* dy, const tu_scan_cuda_grads* out, char* err,
                          size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* TOKENUNIFY_SCAN_CUDA_ABI_H */

#!/usr/bin/env bash
# One-shot check of the CUDA selective scan on a machine with an NVIDIA GPU: builds the
# addon and the CUDA library (for the GPU present, so it is quick), verifies that the
# addon really selects CUDA, runs the CUDA tests (failing if they were skipped) and the
# scan benchmark. Needs node_modules (npm ci) and nvcc. A few minutes in all.
#
#   native/tools/gpu-check.sh            # log also written to test-output/gpu-check.log
#   GPU_CHECK_BENCH_ARGS="--no-onnx" native/tools/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p test-output
exec > >(tee test-output/gpu-check.log) 2>&1

log() { echo "[gpu-check] $*"; }
fail() {
  echo "[gpu-check] FAIL: $*" >&2
  exit 1
}
step() {
  local seconds=$1 name=$2
  shift 2
  log "$name"
  local t0=$SECONDS
  timeout "$seconds" "$@" || fail "$name (exit $?)"
  log "$name: ok in $((SECONDS - t0)) s"
}

log "$(date -u +%FT%TZ) on $(hostname), $(nproc) cores, node $(node --version)"
command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: no NVIDIA driver on this machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader || fail "nvidia-smi cannot query the GPU"
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
[ -x "$NVCC" ] || fail "nvcc not found (set NVCC)"
export NVCC
"$NVCC" --version | tail -n 2
[ -d node_modules/node-addon-api ] || fail "node_modules missing: run npm ci first"

# Compile only for the GPU in this machine (e.g. compute_cap 9.0 -> 90) into a separate
# folder, so the check is fast and leaves the full native/build-cuda build alone.
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -n 1 | tr -d ' .')
libdir=native/build-cuda/check
export TOKENUNIFY_SCAN_CUDA_LIB="$PWD/$libdir/libtokenunify_scan_cuda.so"

step 300 "build the native addon" bash -c "cd native && npx node-gyp rebuild -j $(nproc) >/dev/null"
step 300 "build the CUDA scan library for sm_$cap" node native/tools/build-cuda.mjs --arch "$cap" --out "$libdir" --force

step 60 "the addon selects CUDA" npx tsx -e "
import { scanBackendInfo } from './src/main/native/scan';
const info = scanBackendInfo();
console.log(JSON.stringify(info, null, 2));
if (!info.cuda.available) { console.error('CUDA backend unavailable: ' + info.cuda.reason); process.exit(1); }
"

log "CUDA tests"
set +e
timeout 600 npx vitest run --project unit tests/unit/native/scan-cuda.test.ts tests/unit/native/scan.test.ts 2>&1 | tee test-output/gpu-check-tests.log
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || fail "CUDA tests (exit $status)"
if grep -q "SKIPPED CUDA selective scan GPU tests" test-output/gpu-check-tests.log; then
  fail "the GPU tests were skipped although a GPU is present"
fi

step 900 "scan benchmark" npx tsx bench/scan.bench.ts --cuda --no-torch ${GPU_CHECK_BENCH_ARGS:-}
log "all checks passed"

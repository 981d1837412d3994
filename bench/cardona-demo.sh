#!/usr/bin/env bash
# The TokenUnify demonstration of docs/pipeline.md on ../shared/data/cardona2010:
# pretrain `tiny` on cardona's raw + isbi2012-test, fine-tune on sections 0-19 (rows 384-511 held
# out for validation), evaluate on sections 20-29 against the labels relabelled by 3D connected
# components - and the same fine-tuning budget from scratch, for several seeds.
#
#   bash bench/cardona-demo.sh OUT_DIR [PRETRAIN_STEPS=800] [FINETUNE_STEPS=500] [SEEDS="0 1"]
#
# Hours on a 2-core CPU (1.6-3.5 s per step at 16x80x80); resumable: run it again after Ctrl+C.
# Prints one line per arm and seed: the threshold chosen on validation, then VOI and ARAND on the
# test sections.
set -euo pipefail
OUT=${1:?usage: bench/cardona-demo.sh OUT_DIR [PRETRAIN_STEPS] [FINETUNE_STEPS] [SEEDS]}
PRE=${2:-800}
FTS=${3:-500}
SEEDS=${4:-0 1}
DATA=$(cd "$(dirname "$0")/../../shared/data" && pwd)
tu() { npx tokenunify "$@"; }
P=$OUT/pretrained S=$OUT/scratch
for proj in "$P" "$S"; do
  if [ ! -f "$proj/project.sqlite" ]; then
    tu import "$proj" "$DATA/cardona2010/raw.tif" --as image --name raw --resolution 50,4,4
    tu import "$proj" "$DATA/cardona2010/neurites.tif" --as labels --name neurites --resolution 50,4,4
  fi
done
[ -n "$(tu info "$P" --json | grep '"isbi-test"' || true)" ] || tu import "$P" "$DATA/isbi2012-test/raw.tif" --as image --name isbi-test --resolution 50,4,4

tu pretrain "$P" --source raw --source isbi-test --preset tiny --crop 16,80,80 --steps "$PRE" --lr 5e-4 --warmup 20 \
  --checkpoint-every 25 --run "pretrain-$PRE" --json > "$OUT/pretrain-$PRE.json"

FT=(--image raw --labels neurites --train-region 0:20,0:384,0:512 --val-region 0:20,384:512,0:512 --crop 16,80,80
  --steps "$FTS" --lr 1e-3 --warmup 10 --validate-every 100 --checkpoint-every 50 --json)
score() { # project run
  local proj=$1 run=$2 t
  t=$(node -e "const r=require('$proj/runs/$run/result.json');console.log(r.best.threshold.toFixed(2))")
  tu infer "$proj" --model "$run" --image raw --output "aff-$run" --region 20:30,:,: --json > "$OUT/$run-infer.json"
  tu segment "$proj" --affinities "aff-$run" --output "seg-$run" --region 20:30,:,: --thresholds "$t" --json > "$OUT/$run-segment.json"
  tu evaluate "$proj" --gt neurites --seg "seg-$run" --region 20:30,:,: --relabel-gt --json > "$OUT/$run-eval.json"
  node -e "const e=require('$OUT/$run-eval.json');console.log('$run threshold $t: VOI '+e.voi.toFixed(3)+' (split '+e.voiSplit.toFixed(3)+', merge '+e.voiMerge.toFixed(3)+'), ARAND '+e.arand.toFixed(3))"
}
for seed in $SEEDS; do
  tu finetune "$S" "${FT[@]}" --seed "$seed" --run "scratch-$FTS-s$seed" > "$OUT/scratch-$FTS-s$seed.json"
  tu finetune "$P" "${FT[@]}" --seed "$seed" --init "pretrain-$PRE" --run "pretrained-$FTS-s$seed" > "$OUT/pretrained-$FTS-s$seed.json"
  score "$S" "scratch-$FTS-s$seed"
  score "$P" "pretrained-$FTS-s$seed"
done

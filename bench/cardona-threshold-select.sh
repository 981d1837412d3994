#!/usr/bin/env bash
# Re-scores fine-tuned runs of bench/cardona-demo.sh with the validation threshold grid of
# today's default (0.2 to 0.9 in steps of 0.05; runs made before it tried 0.3, 0.5, 0.7, 0.9):
# the threshold with the lowest VOI on the validation region (sections 0-19, rows 384-511) is
# chosen, then the test sections 20-29 are scored at it (labels relabelled by 3D connected
# components, as in the demonstration). Prints one line per run.
#
#   bash bench/cardona-threshold-select.sh PROJECT RUN [RUN ...]
set -euo pipefail
P=${1:?usage: bench/cardona-threshold-select.sh PROJECT RUN [RUN ...]}
shift
VAL=0:20,384:512,0:512 TEST=20:30,:,:
GRID=$(node -e "console.log(Array.from({length: 15}, (_, i) => (0.2 + 0.05 * i).toFixed(2)).join(' '))")
tu() { npx tokenunify "$@"; }
voi() { node -e "const e=JSON.parse(require('fs').readFileSync(0,'utf8'));console.log(e.voi+' '+e.voiSplit+' '+e.voiMerge+' '+e.arand)"; }
for run in "$@"; do
  tu infer "$P" --model "$run" --image raw --output "sel-val-$run" --region "$VAL" --json > /dev/null
  tu segment "$P" --affinities "sel-val-$run" --output "sel-val-$run" --region "$VAL" --thresholds "${GRID// /,}" --no-index --json > /dev/null
  best="" bestVoi=""
  for t in $GRID; do
    read -r v _ <<< "$(tu evaluate "$P" --gt neurites --seg "sel-val-$run-t$t" --region "$VAL" --relabel-gt --json | voi)"
    if [ -z "$bestVoi" ] || node -e "process.exit($v < $bestVoi ? 0 : 1)"; then best=$t bestVoi=$v; fi
  done
  tu infer "$P" --model "$run" --image raw --output "sel-test-$run" --region "$TEST" --json > /dev/null
  tu segment "$P" --affinities "sel-test-$run" --output "sel-test-$run" --region "$TEST" --thresholds "$best" --no-index --json > /dev/null
  read -r v s m a <<< "$(tu evaluate "$P" --gt neurites --seg "sel-test-$run" --region "$TEST" --relabel-gt --json | voi)"
  node -e "console.log('$run: validation chose $best (val VOI ' + (+'$bestVoi').toFixed(3) + '); test VOI ' + (+'$v').toFixed(3) + ' (split ' + (+'$s').toFixed(3) + ', merge ' + (+'$m').toFixed(3) + '), ARAND ' + (+'$a').toFixed(3))"
done

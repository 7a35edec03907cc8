#!/usr/bin/env bash
# Trains one config from the same seed with `fathom train --precision` bf16 and fp8 (and fp32
# with ALSO_FP32=1) and compares the losses, the way the DeepSeek-V3 report §3.3 validates its
# FP8 framework against a BF16 baseline (its bar: relative loss error below 0.25%).
#   scripts/fp8_vs_bf16.sh FATHOM CONFIG.json TOKENS.bin OUT_DIR [steps=300] [batch=8] [seq=128]
# Extra `fathom train` options go in TRAIN_ARGS (e.g. TRAIN_ARGS="--threads 8"); PARALLEL=1 runs
# the modes at the same time (their tokens/s then share the machine). Prints, per
# mode: the summary line, main_ce at the last step, mean main_ce over the last 50 steps and over
# all steps, the final held-out loss, tokens/s; then fp8 relative to bf16.
set -euo pipefail
fathom=$1 config=$2 data=$3 out=$4 steps=${5:-300} batch=${6:-8} seq=${7:-128}
modes="bf16 fp8"
[[ ${ALSO_FP32:-0} == 1 ]] && modes="fp32 $modes"
mkdir -p "$out"
for mode in $modes; do
  "$fathom" train --config "$config" --data "$data" --out "$out/$mode" --steps "$steps" \
    --batch "$batch" --seq-len "$seq" --eval-every 0 --save-every 0 --seed 1 \
    --precision "$mode" ${TRAIN_ARGS:-} 2>/dev/null > "$out/$mode.summary" &
  [[ ${PARALLEL:-0} == 1 ]] || wait  # one at a time unless PARALLEL=1 (tokens/s then shared)
done
wait
summarize() {  # loss.csv columns: step,lr,loss,main_ce,mtp_ce,balance,grad_norm,load,val_ce
  awk -F, -v mode="$1" -v tail=50 'NR > 1 { ce[NR - 1] = $4; n = NR - 1; if ($9 != "") val = $9 }
    END { for (i = 1; i <= n; ++i) { all += ce[i]; if (i > n - tail) last += ce[i] }
          printf "%s %.5f %.5f %.5f %.5f\n", mode, ce[n], last / (n < tail ? n : tail), all / n, val }' \
    "$out/$1/loss.csv"
}
printf "%-5s %10s %12s %10s %10s %10s\n" mode last_ce last50_ce mean_ce val_ce tokens/s
for mode in $modes; do
  read -r m last last50 mean val < <(summarize "$mode")
  tps=$(sed -n 's/.* \([0-9]*\) tokens\/s.*/\1/p' "$out/$mode.summary")
  printf "%-5s %10.5f %12.5f %10.5f %10.5f %10s\n" "$m" "$last" "$last50" "$mean" "$val" "$tps"
done
for mode in $modes; do echo "$mode: $(cat "$out/$mode.summary")"; done
read -r _ b_last b_last50 b_mean b_val < <(summarize bf16)
read -r _ f_last f_last50 f_mean f_val < <(summarize fp8)
awk -v a="$b_last" -v b="$f_last" -v c="$b_last50" -v d="$f_last50" -v e="$b_mean" -v f="$f_mean" \
    -v g="$b_val" -v h="$f_val" 'BEGIN {
  printf "fp8 vs bf16 relative: last %+.3f%%, last-50 mean %+.3f%%, run mean %+.3f%%, val %+.3f%% (report bar: 0.25%%)\n",
    100 * (b / a - 1), 100 * (d / c - 1), 100 * (f / e - 1), 100 * (h / g - 1) }'

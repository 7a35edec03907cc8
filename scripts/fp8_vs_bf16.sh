#!/usr/bin/env bash
# Trains one config with `fathom train --precision` bf16 and fp8 (and fp32 with ALSO_FP32=1) from
# several seeds and compares the losses, the way the DeepSeek-V3 report §3.3 validates its FP8
# framework against a BF16 baseline (its bar: relative loss error below 0.25%).
#   scripts/fp8_vs_bf16.sh FATHOM CONFIG.json "TOKENS.bin..." OUT_DIR [steps=300] [batch=8] [seq=128]
# (several token files in one quoted argument are read as one, as `fathom train --data` does).
# docs/fp8-training/README.md has the command behind its numbers.
# SEEDS (default "1 2 3 4"): each seed sets initialisation and data order. One short run is a
# noisy measurement: runs of a few hundred steps that differ only in the last bits of their
# GEMMs end up a few percent apart, either way, so the comparison is per seed (paired) and
# averaged. Extra `fathom train` options go in TRAIN_ARGS (e.g. TRAIN_ARGS="--threads 8").
# Prints, per mode and seed: mean main_ce over the last 50 steps, the final held-out loss and
# tokens/s; then fp8 (and fp32) relative to bf16, per seed and as mean ± standard error. Writes
# OUT/main_ce.png (the first seed's training curves, 20-step mean) and OUT/val_ce.png (every
# run's held-out loss, one colour per mode).
set -euo pipefail
fathom=$1 config=$2 data=$3 out=$4 steps=${5:-300} batch=${6:-8} seq=${7:-128}
seeds=${SEEDS:-1 2 3 4}
modes="bf16 fp8"
[[ ${ALSO_FP32:-0} == 1 ]] && modes="$modes fp32"
mkdir -p "$out"
for seed in $seeds; do
  for mode in $modes; do
    [[ -s $out/$mode-$seed.summary ]] && continue  # finished before: rerunning is resumable
    # shellcheck disable=SC2086  # $data: one or more token files
    "$fathom" train --config "$config" --data $data --out "$out/$mode-$seed" --steps "$steps" \
      --batch "$batch" --seq-len "$seq" --eval-every 25 --save-every 0 --seed "$seed" \
      --precision "$mode" ${TRAIN_ARGS:-} 2>/dev/null > "$out/$mode-$seed.summary"
  done
done
# loss.csv columns: step,lr,loss,main_ce,mtp_ce,balance,grad_norm,load,val_ce
summarize() {
  awk -F, -v tail=50 'NR > 1 { ce[NR - 1] = $4; n = NR - 1; if ($9 != "") val = $9 }
    END { for (i = 1; i <= n; ++i) if (i > n - tail) last += ce[i]
          printf "%.5f %.5f\n", last / (n < tail ? n : tail), val }' "$out/$1/loss.csv"
}
printf "%-5s %5s %12s %10s %10s\n" mode seed last50_ce val_ce tokens/s
for mode in $modes; do
  for seed in $seeds; do
    read -r last50 val < <(summarize "$mode-$seed")
    tps=$(sed -n 's/.* \([0-9]*\) tokens\/s.*/\1/p' "$out/$mode-$seed.summary")
    printf "%-5s %5s %12.5f %10.5f %10s\n" "$mode" "$seed" "$last50" "$val" "$tps"
  done
done
for mode in $modes; do
  [[ $mode == bf16 ]] && continue
  for seed in $seeds; do
    read -r b_last b_val < <(summarize "bf16-$seed")
    read -r m_last m_val < <(summarize "$mode-$seed")
    echo "$seed $b_last $m_last $b_val $m_val"
  done | awk -v mode="$mode" '{
      d1 = 100 * ($3 / $2 - 1); d2 = 100 * ($5 / $4 - 1); n++
      s1 += d1; q1 += d1 * d1; s2 += d2; q2 += d2 * d2
      printf "%s vs bf16, seed %s: last-50 %+.3f%%, val %+.3f%%\n", mode, $1, d1, d2 }
    END {
      m1 = s1 / n; m2 = s2 / n
      e1 = n > 1 ? sqrt((q1 - n * m1 * m1) / (n - 1) / n) : 0
      e2 = n > 1 ? sqrt((q2 - n * m2 * m2) / (n - 1) / n) : 0
      printf "%s vs bf16 over %d seeds: last-50 %+.3f%% ± %.3f, val %+.3f%% ± %.3f (report bar: 0.25%%)\n",
        mode, n, m1, e1, m2, e2 }'
done
echo "$(head -1 "$out/fp8-${seeds%% *}.summary")"
# The curves of the first seed, and every run's held-out loss, on one axis each.
first=${seeds%% *}
runs=() val_runs=()
for mode in $modes; do
  runs+=("$mode=$out/$mode-$first/loss.csv")
  for seed in $seeds; do val_runs+=("$mode=$out/$mode-$seed/loss.csv"); done
done
"$fathom" plot-loss --out "$out/main_ce.png" --column main_ce --smooth 20 "${runs[@]}"
"$fathom" plot-loss --out "$out/val_ce.png" --column val_ce --smooth 1 "${val_runs[@]}"

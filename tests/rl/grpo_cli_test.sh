#!/usr/bin/env bash
# End-to-end checks of the RL stages through the CLI (label e2e), in miniature:
#   fathom tasks → tokenizer train → train   a tiny cold-start model (seconds; it scores ~0);
#   fathom grpo     GRPO, DAPO on a task mixture, Dr. GRPO with the rollout's log-probs: grpo.csv
#                   rows, eval.csv at step 0 / every K / the end, the plots, determinism for a
#                   seed, a checkpoint that `fathom eval` loads on its own;
#   fathom distill  rejection sampling from that checkpoint: a token file is written, and with a
#                   model this weak acceptance is 0, reported as a warning rather than a crash;
#   fathom train --init   fine-tuning from a checkpoint's weights;
# and bad input gives one "fathom:" line on stderr and exit 1.
# usage: grpo_cli_test.sh FATHOM SOURCE_DIR
set -u
fathom=$1 src=$2
source "$(dirname "${BASH_SOURCE[0]}")/../cli_harness.sh"
rows() { tail -n +2 "$1" | wc -l; }               # data rows of a CSV
column() { tail -n +2 "$1" | cut -d, -f"$2" | tr '\n' ' '; }  # one column's values
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

for sub in grpo distill; do
  "$fathom" $sub --help >"$work/help" || bad "$sub --help"
done
"$fathom" grpo --help >"$work/help"
for opt in --variant --beta --clip-high --dynamic-sampling --old-logprobs --lambda-mtp --eval-every --max-digits; do
  grep -q -- "$opt" "$work/help" && ok || bad "grpo --help lacks $opt"
done
"$fathom" train --help | grep -q -- "--init" && ok || bad "train --help lacks --init"

# ---------------------------------------------------------------- a tiny cold start
limited=(--task arithmetic --max-digits 2 --ops +-)
tok=$work/tok
"$fathom" tasks "${limited[@]}" --n 300 --seed 5 --format text --out "$work/corpus.txt" >/dev/null &&
  "$fathom" tasks --task sort --max-count 3 --n 100 --format text --out "$work/sort.txt" >/dev/null &&
  "$fathom" tokenizer train --vocab 400 --out "$tok/tokenizer.json" --special "<think>" --special "</think>" \
    --template deepseek "$work/corpus.txt" "$work/sort.txt" >/dev/null 2>&1 &&
  "$fathom" tasks "${limited[@]}" --n 300 --seed 5 --tokenizer "$tok" --out-tokens "$work/train.bin" >/dev/null ||
  { echo "FAIL: data preparation"; exit 1; }
sed 's/"vocab_size": 128/"vocab_size": 400/' "$src/tests/golden_train/v3-tiny-train/config.json" >"$work/config.json"
cold=$work/cold
"$fathom" train --config "$work/config.json" --data "$work/train.bin" --out "$cold" --steps 20 --batch 8 \
  --seq-len 64 --lr 3e-3 --warmup 3 --eval-every 20 --save-every 20 >/dev/null 2>&1 &&
  cp "$tok/tokenizer.json" "$tok/tokenizer_config.json" "$cold/checkpoint/" || { echo "FAIL: cold-start train"; exit 1; }

# ---------------------------------------------------------------- fathom grpo (GRPO, β 0.04)
rl=$work/rl
grpo=("$fathom" grpo --model "$cold/checkpoint" "${limited[@]}" --steps 3 --prompts 3 --group 4
      --max-tokens 20 --eval-every 2 --eval-n 5 --lr 1e-3 --seed 7)
if "${grpo[@]}" --out "$rl" >"$work/out" 2>"$work/err"; then
  grep -q "^grpo, 3 steps of 3 prompts x 4 samples: mean reward" "$work/out" &&
    grep -q "^held-out pass@1 arithmetic: [0-9.]* (step 0) -> [0-9.]* (step 3)$" "$work/out" &&
    grep -q "s/step (rollout .*checkpoint in $rl/checkpoint" "$work/out" && ok || bad "grpo summary: $(cat "$work/out")"
  head -1 "$rl/grpo.csv" | grep -q "^step,task,lr,reward,accuracy,format_rate,mean_length,.*,kl,loss,grad_norm,ratio,clipped_tokens,rollout_tok_s,.*,step_s$" &&
    [ "$(rows "$rl/grpo.csv")" -eq 3 ] && [ "$(column "$rl/grpo.csv" 1)" = "1 2 3 " ] &&
    [ "$(column "$rl/grpo.csv" 2)" = "arithmetic arithmetic arithmetic " ] && ok || bad "grpo.csv: $(cat "$rl/grpo.csv")"
  [ "$(column "$rl/grpo.csv" 8)" = "12 12 12 " ] && [ "$(column "$rl/grpo.csv" 9)" = "3 3 3 " ] && ok ||
    bad "grpo.csv completions/groups: $(column "$rl/grpo.csv" 8) / $(column "$rl/grpo.csv" 9)"
  # The first step's policy is the reference: KL 0 (to float rounding); the ratio is 1.
  awk -F, 'NR == 2 { exit !($11 < 1e-9 && $14 > 0.999999 && $14 < 1.000001) }' "$rl/grpo.csv" && ok ||
    bad "step 1 kl/ratio: $(sed -n 2p "$rl/grpo.csv")"
  awk -F, 'NR > 1 && !($5 >= 0 && $5 <= 1 && $7 > 0 && $7 <= 20 && $13 > 0) { exit 1 }' "$rl/grpo.csv" && ok ||
    bad "grpo.csv values: $(cat "$rl/grpo.csv")"
  [ "$(head -1 "$rl/eval.csv")" = "step,task,pass@1,format_rate,mean_reward,mean_length" ] &&
    [ "$(column "$rl/eval.csv" 1)" = "0 2 3 " ] && ok || bad "eval.csv: $(cat "$rl/eval.csv")"
  is_png "$rl/rewards.png" && is_png "$rl/length.png" && is_png "$rl/eval.png" && ok || bad "grpo plots"
  [ -f "$rl/checkpoint/model.safetensors" ] && [ -f "$rl/checkpoint/tokenizer.json" ] &&
    [ -f "$rl/checkpoint/tokenizer_config.json" ] && [ ! -e "$rl/policy" ] && ok || bad "grpo checkpoint: $(ls "$rl" "$rl/checkpoint")"
  grep -q "^eval at step 0: arithmetic held-out pass@1" "$work/err" && ok || bad "grpo eval lines: $(cat "$work/err")"
  # Deterministic for a seed (timings aside).
  "${grpo[@]}" --out "$work/rl_again" --threads 1 --quiet >/dev/null 2>&1
  timeless() { cut -d, -f1-15 "$1"; }
  diff <(timeless "$rl/grpo.csv") <(timeless "$work/rl_again/grpo.csv") >/dev/null &&
    cmp -s "$rl/eval.csv" "$work/rl_again/eval.csv" && cmp -s "$rl/checkpoint/model.safetensors" "$work/rl_again/checkpoint/model.safetensors" &&
    ok || bad "grpo is not deterministic for a seed: $(diff <(timeless "$rl/grpo.csv") <(timeless "$work/rl_again/grpo.csv"))"
  # The checkpoint loads on its own (tokenizer copied in).
  "$fathom" eval --model "$rl/checkpoint" "${limited[@]}" --n 4 --max-tokens 16 >"$work/human" 2>"$work/err" &&
    grep -q "^pass@1 " "$work/human" && ok || bad "eval of the grpo checkpoint: $(cat "$work/human" "$work/err")"
else
  bad "grpo failed: $(tail -3 "$work/err")"
fi

# ---------------------------------------------------------------- DAPO on a mixture; Dr. GRPO
dapo=$work/dapo
if "$fathom" grpo --model "$cold/checkpoint" --task arithmetic --task sort --max-digits 2 --max-count 3 --steps 2 \
     --prompts 2 --group 3 --max-tokens 12 --eval-every 0 --eval-n 2 --variant dapo --max-rounds 2 --out "$dapo" \
     >"$work/out" 2>"$work/err"; then
  [ "$(column "$dapo/grpo.csv" 2)" = "arithmetic sort " ] && ok || bad "dapo mixture tasks: $(column "$dapo/grpo.csv" 2)"
  # Dynamic sampling keeps at most P groups; a step without one makes no update and says so.
  awk -F, 'NR > 1 && !($9 <= 2 && ($9 > 0 || ($12 == 0 && $13 == 0))) { exit 1 }' "$dapo/grpo.csv" && ok ||
    bad "dapo groups: $(cat "$dapo/grpo.csv")"
  skipped=$(awk -F, 'NR > 1 && $9 == 0' "$dapo/grpo.csv" | wc -l)
  { [ "$skipped" -eq 0 ] || grep -q "^$skipped steps had no informative group and made no update$" "$work/out"; } && ok ||
    bad "dapo skipped steps: $skipped, $(cat "$work/out")"
  [ "$(column "$dapo/eval.csv" 2)" = "arithmetic sort arithmetic sort " ] && ok || bad "dapo eval.csv: $(cat "$dapo/eval.csv")"
else
  bad "grpo --variant dapo failed: $(tail -3 "$work/err")"
fi
# The rollout's log-probs as π_old: the ratio shows how closely inference and training agree.
if "$fathom" grpo --model "$cold/checkpoint" "${limited[@]}" --steps 1 --prompts 2 --group 2 --max-tokens 12 \
     --eval-n 0 --variant drgrpo --old-logprobs rollout --out "$work/dr" --quiet >/dev/null 2>"$work/err"; then
  awk -F, 'NR == 2 { exit !($14 > 0.999 && $14 < 1.001 && $11 == "") }' "$work/dr/grpo.csv" && ok ||
    bad "drgrpo rollout ratio: $(cat "$work/dr/grpo.csv")"
  [ ! -s "$work/err" ] && ok || bad "--quiet printed: $(cat "$work/err")"
else
  bad "grpo --variant drgrpo failed: $(cat "$work/err")"
fi

# ---------------------------------------------------------------- fathom distill
if "$fathom" distill --teacher "$rl/checkpoint" "${limited[@]}" --n 4 --samples 2 --max-tokens 16 \
     --out-tokens "$work/distill.bin" --out-jsonl "$work/distill.jsonl" >"$work/out" 2>"$work/err"; then
  grep -q "^arithmetic: 4 problems x 2 samples: [0-9]* correct, [0-9]* well formed, [0-9]* accepted" "$work/out" &&
    grep -q "^wrote [0-9]* examples, [0-9]* tokens, to $work/distill.bin$" "$work/out" && ok ||
    bad "distill summary: $(cat "$work/out")"
  kept=$(grep -o '^wrote [0-9]*' "$work/out" | grep -o '[0-9]*$')
  ntok=$(od -An -t u8 -j 12 -N 8 "$work/distill.bin" | tr -d ' ')
  [ "$(head -c 4 "$work/distill.bin")" = FTOK ] && [ "$(stat -c %s "$work/distill.bin")" -eq $((20 + 2 * ntok)) ] &&
    [ "$(wc -l <"$work/distill.jsonl")" -eq "$kept" ] && ok || bad "distill files: $kept examples, $ntok tokens"
  if [ "$kept" -eq 0 ]; then
    grep -q "warning: no completion was accepted" "$work/err" && ok || bad "distill empty: $(cat "$work/err")"
  fi
else
  bad "distill failed: $(cat "$work/err")"
fi

# ---------------------------------------------------------------- fathom train --init
# From the grpo checkpoint: the first loss is the trained model's, far below a fresh init's.
if "$fathom" train --init "$rl/checkpoint" --data "$work/train.bin" --out "$work/ft" --steps 2 --batch 8 \
     --seq-len 64 --lr 1e-4 --warmup 1 --save-every 2 --eval-every 2 >/dev/null 2>"$work/err"; then
  first_cold=$(sed -n 2p "$cold/loss.csv" | cut -d, -f3)
  first_ft=$(sed -n 2p "$work/ft/loss.csv" | cut -d, -f3)
  awk -v a="$first_ft" -v b="$first_cold" 'BEGIN { exit !(a < b - 1) }' && [ -f "$work/ft/checkpoint/model.safetensors" ] &&
    ok || bad "train --init: first loss $first_ft vs a fresh init's $first_cold"
else
  bad "train --init failed: $(cat "$work/err")"
fi

# ---------------------------------------------------------------- bad input
expect_error "grpo without tokenizer" "has no tokenizer.json" -- "$fathom" grpo --model "$src/tests/golden/v3" --task sort --out "$work/x"
expect_error "grpo unknown task" "unknown task 'algebra'" -- "$fathom" grpo --model "$rl/checkpoint" --task arithmetic --task algebra --out "$work/x"
expect_error "grpo greedy" "--temperature must be > 0" -- "$fathom" grpo --model "$rl/checkpoint" --task sort --temperature 0 --out "$work/x"
expect_error "grpo missing model" "not a directory" -- "$fathom" grpo --model "$work/nowhere" --task sort --out "$work/x"
"$fathom" grpo --model "$rl/checkpoint" --task sort --group 1 --out "$work/x" >/dev/null 2>&1 && bad "grpo --group 1 accepted" || ok
expect_error "distill greedy samples" "need a temperature > 0" -- "$fathom" distill --teacher "$rl/checkpoint" --task sort --n 1 --samples 2 --temperature 0 --out-tokens "$work/x.bin"
expect_error "train neither config nor init" "--init DIR" -- "$fathom" train --data "$work/train.bin" --out "$work/x"
"$fathom" train --config "$work/config.json" --init "$rl/checkpoint" --data "$work/train.bin" --out "$work/x" >/dev/null 2>&1 &&
  bad "train --config with --init accepted" || ok

finish

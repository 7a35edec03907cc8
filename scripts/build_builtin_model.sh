#!/usr/bin/env bash
# Builds fathom's built-in model from nothing, DeepSeek-R1 style in miniature, with fathom alone:
#
#   1. data       worked solutions of deliberately easy problems (the cold start) and a BPE
#                 tokenizer trained on them (`fathom tasks`, `fathom tokenizer train`)
#   2. pretrain   a DeepSeek-V3-architecture teacher (MLA, DeepSeekMoE, MTP) on that data
#   3. grpo       RL with verifiable rewards on the full (harder) problem distribution
#   4. distill    rejection-sampled correct traces of the RL teacher fine-tune a smaller student;
#                 the same student trained by GRPO alone is the comparison (R1 report, §4.1)
#   5. report     held-out pass@1 before/after for every model, MTP acceptance, timings
#
#   scripts/build_builtin_model.sh [OUT]     (default build/fathom-tiny; resumes finished stages)
#
# Every seed is fixed and fathom's training and sampling give the same bits at any thread count,
# so two runs (on any number of cores, FATHOM_THREADS) write the same model. The result is
# OUT/model (the checkpoint) and OUT/report (CSV, PNG plots, results.md); install it with
# `cp OUT/model/* models/fathom-tiny/`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FATHOM=${FATHOM:-$ROOT/build/fathom}
RECIPE=$ROOT/recipes/fathom-tiny
OUT=${1:-$ROOT/build/fathom-tiny}
# Scale knobs (the defaults are the recipe; smaller values make a quick smoke run).
PRETRAIN_STEPS=${PRETRAIN_STEPS:-7000}
STUDENT_STEPS=${STUDENT_STEPS:-3000}
GRPO_STEPS=${GRPO_STEPS:-300}
DISTILL_STEPS=${DISTILL_STEPS:-600}
DATA_SCALE=${DATA_SCALE:-1}
EVAL_N=${EVAL_N:-200}

[ -x "$FATHOM" ] || { echo "error: $FATHOM not built (cmake --build build)" >&2; exit 1; }
mkdir -p "$OUT"/{data,logs,report}
DATA=$OUT/data
TIMINGS=$OUT/report/timings.csv
[ -f "$TIMINGS" ] || echo "stage,seconds" >"$TIMINGS"

# The task shapes. RL and evaluation use the full shapes; the cold-start traces are deliberately
# limited: mostly easy problems (operands of at most 3 digits, Countdown with 3 numbers, lists of
# at most 5) and a quarter as many of the full shapes, so the cold-start model knows the methods
# but is unreliable on the harder problems, and RL has room to improve.
EASY_ARITH=(--max-digits 3 --mul-max-digits 2)
FULL_ARITH=(--max-digits 5 --mul-max-digits 2)
EASY_COUNTDOWN=(--min-numbers 3 --max-numbers 3)
FULL_COUNTDOWN=(--min-numbers 3 --max-numbers 4)
EASY_SORT=(--min-count 3 --max-count 5)
FULL_SORT=(--min-count 3 --max-count 7)
FULL_SHAPES=("${FULL_ARITH[@]}" "${FULL_COUNTDOWN[@]}" "${FULL_SORT[@]}")
TASKS=(arithmetic countdown sort offtopic)

# stage NAME COMMAND...: runs once (a marker records completion), logs, and times it.
stage() {
  local name=$1
  shift
  if [ -f "$OUT/logs/$name.done" ]; then
    echo "== $name: done already"
    return
  fi
  echo "== $name"
  local start=$SECONDS
  "$@" >"$OUT/logs/$name.log" 2>&1 || {
    echo "error: stage $name failed; see $OUT/logs/$name.log" >&2
    tail -5 "$OUT/logs/$name.log" >&2
    exit 1
  }
  echo "$name,$((SECONDS - start))" >>"$TIMINGS"
  touch "$OUT/logs/$name.done"
  echo "   $((SECONDS - start)) s"
}

shape() {  # shape easy|full TASK
  case $1-$2 in
    easy-arithmetic) echo "${EASY_ARITH[@]}" ;;
    full-arithmetic) echo "${FULL_ARITH[@]}" ;;
    easy-countdown) echo "${EASY_COUNTDOWN[@]}" ;;
    full-countdown) echo "${FULL_COUNTDOWN[@]}" ;;
    easy-sort) echo "${EASY_SORT[@]}" ;;
    full-sort) echo "${FULL_SORT[@]}" ;;
  esac
}

count_of() {  # cold-start examples of the easy shape per task (the full shape gets a quarter)
  case $1 in
    arithmetic) echo $((32000 * DATA_SCALE)) ;;
    countdown) echo $((20000 * DATA_SCALE)) ;;
    sort) echo $((10000 * DATA_SCALE)) ;;
    offtopic) echo $((3000 * DATA_SCALE)) ;;
  esac
}

make_data() {
  local texts=()
  for t in "${TASKS[@]}"; do
    # shellcheck disable=SC2046
    "$FATHOM" tasks --task "$t" $(shape full "$t") --n 20000 --seed 11 --format text \
      --out "$DATA/$t.txt"
    texts+=("$DATA/$t.txt")
  done
  "$FATHOM" tokenizer train --vocab 512 --template deepseek --out "$DATA/tokenizer/tokenizer.json" \
    "${texts[@]}"
  for t in "${TASKS[@]}"; do
    local n
    n=$(count_of "$t")
    # shellcheck disable=SC2046
    "$FATHOM" tasks --task "$t" $(shape easy "$t") --n "$n" --seed 1 \
      --tokenizer "$DATA/tokenizer" --out-tokens "$DATA/$t.easy.bin"
    # shellcheck disable=SC2046
    "$FATHOM" tasks --task "$t" $(shape full "$t") --n $((n / 4)) --seed 2 \
      --tokenizer "$DATA/tokenizer" --out-tokens "$DATA/$t.full.bin"
    # shellcheck disable=SC2046
    "$FATHOM" tasks --task "$t" $(shape full "$t") --split heldout --n 300 --seed 3 \
      --tokenizer "$DATA/tokenizer" --out-tokens "$DATA/$t.val.bin"
  done
}

pretrain() {  # pretrain CONFIG OUTDIR STEPS
  "$FATHOM" train --config "$1" --data "$DATA"/{arithmetic,countdown,sort,offtopic}.{easy,full}.bin \
    --val "$DATA"/{arithmetic,countdown,sort,offtopic}.val.bin --out "$2" --steps "$3" \
    --batch 16 --seq-len 128 --lr 2e-3 --min-lr 1e-4 --warmup 100 --eval-every 250 \
    --save-every 500 --seed 1
  cp "$DATA"/tokenizer/* "$2/checkpoint/"
}

grpo() {  # grpo MODEL OUTDIR
  "$FATHOM" grpo --model "$1" --out "$2" --task arithmetic --task countdown --task sort \
    "${FULL_SHAPES[@]}" --steps "$GRPO_STEPS" --prompts 16 --group 8 --max-tokens 192 \
    --variant dapo --lr 5e-5 --eval-every 30 --eval-n 100 --seed 3 --quiet
}

distill() {  # the RL teacher's correct traces of train-split problems, then the student on them
  "$FATHOM" distill --teacher "$OUT/teacher-grpo/checkpoint" --task arithmetic --task countdown \
    --task sort "${FULL_SHAPES[@]}" --n $((3000 * DATA_SCALE)) --samples 4 --temperature 0.7 \
    --max-tokens 192 --seed 5 --out-tokens "$DATA/distill.bin"
  "$FATHOM" train --init "$OUT/student/checkpoint" --data "$DATA/distill.bin" "$DATA/offtopic.easy.bin" \
    --val "$DATA"/{arithmetic,countdown,sort,offtopic}.val.bin --out "$OUT/student-distill" \
    --steps "$DISTILL_STEPS" --batch 16 --seq-len 128 --lr 5e-4 --min-lr 5e-5 --warmup 20 \
    --eval-every 100 --save-every 200 --seed 1
  cp "$DATA"/tokenizer/* "$OUT/student-distill/checkpoint/"
}

evaluate() {  # evaluate NAME MODEL: held-out greedy pass@1 of every task, one CSV line each
  local csv=$OUT/report/eval_$1.csv
  echo "model,task,pass_at_1,format_rate,mean_tokens" >"$csv"
  for t in "${TASKS[@]}"; do
    # shellcheck disable=SC2046
    "$FATHOM" eval --model "$2" --task "$t" "${FULL_SHAPES[@]}" --n "$EVAL_N" --seed 7 \
      --max-tokens 192 --json >"$OUT/report/eval_$1_$t.json"
    local pass fmt len
    pass=$(sed -n 's/.*"pass@1": \([0-9.e-]*\).*/\1/p' "$OUT/report/eval_$1_$t.json")
    fmt=$(sed -n 's/.*"format_rate": \([0-9.e-]*\).*/\1/p' "$OUT/report/eval_$1_$t.json")
    len=$(sed -n 's/.*"mean_completion_tokens": \([0-9.e-]*\).*/\1/p' "$OUT/report/eval_$1_$t.json")
    echo "$1,$t,$pass,$fmt,$len" >>"$csv"
  done
  cat "$csv"
}

eval_shapes() {  # before/after GRPO on the easy shapes and on the hard shapes the cold start saw rarely
  local csv=$OUT/report/eval_shapes.csv
  echo "shape,cold_start,grpo" >"$csv"
  local shapes=(
    "sort 3-5:--task sort --min-count 3 --max-count 5"
    "sort 6-7:--task sort --min-count 6 --max-count 7"
    "countdown 3 numbers:--task countdown --min-numbers 3 --max-numbers 3"
    "countdown 4 numbers:--task countdown --min-numbers 4 --max-numbers 4"
    "+- up to 3 digits:--task arithmetic --max-digits 3 --ops +-"
    "+- 4-5 digits:--task arithmetic --min-digits 4 --max-digits 5 --ops +-"
    "x 2 digits by 2 digits:--task arithmetic --min-digits 2 --mul-max-digits 2 --ops *")
  for entry in "${shapes[@]}"; do
    local name=${entry%%:*} args pass=()
    read -r -a args <<<"${entry#*:}"
    for m in "$OUT/teacher/checkpoint" "$OUT/model"; do
      pass+=("$("$FATHOM" eval --model "$m" "${args[@]}" --n "$EVAL_N" --seed 7 --max-tokens 192 \
        --json | sed -n 's/.*"pass@1": \([0-9.e-]*\).*/\1/p')")
    done
    echo "$name,${pass[0]},${pass[1]}" >>"$csv"
  done
  cat "$csv"
}

mtp_acceptance() {  # speculative decoding with the MTP head on held-out questions
  "$FATHOM" tasks --task arithmetic "${FULL_ARITH[@]}" --split heldout --n 10 --seed 9 \
    --format jsonl --out "$OUT/report/mtp_prompts.jsonl"
  "$FATHOM" tasks --task countdown "${FULL_COUNTDOWN[@]}" --split heldout --n 10 --seed 9 \
    --format jsonl --out "$OUT/report/mtp_prompts_cd.jsonl"
  cat "$OUT/report/mtp_prompts_cd.jsonl" >>"$OUT/report/mtp_prompts.jsonl"
  while IFS= read -r line; do
    local q
    q=$(printf '%s' "$line" | sed -n 's/^{"question":"\(.*\)","answer".*/\1/p')
    "$FATHOM" generate --model "$OUT/model" --prompt "<｜User｜>$q<｜Assistant｜>" --max-tokens 192 \
      --speculative mtp --temperature 0 2>&1 >/dev/null | grep -o 'MTP acceptance [0-9]*/[0-9]*'
  done <"$OUT/report/mtp_prompts.jsonl" >"$OUT/report/mtp_acceptance.txt"
  awk '{split($3, a, "/"); acc += a[1]; dr += a[2]} END {
         printf "MTP acceptance: %d of %d drafts (%.1f%%)\n", acc, dr, 100 * acc / dr }' \
    "$OUT/report/mtp_acceptance.txt" | tee -a "$OUT/report/mtp_acceptance.txt"
}

summarize() {  # report/results.md: the before/after table from the eval CSVs
  local r=$OUT/report
  {
    echo "| task (held-out, greedy pass@1, n=$EVAL_N) | cold start | after GRPO | change |" \
      "student: cold start | student: GRPO alone | student: distilled |"
    echo "|---|---|---|---|---|---|---|"
    for t in "${TASKS[@]}"; do
      local row=()
      for run in cold-start grpo student-cold-start student-grpo student-distill; do
        row+=("$(grep "^$run,$t," "$r/eval_$run.csv" | cut -d, -f3)")
      done
      awk -v t="$t" -v a="${row[0]}" -v b="${row[1]}" -v c="${row[2]}" -v d="${row[3]}" \
        -v e="${row[4]}" 'BEGIN { printf "| %s | %.3f | %.3f | %+.1f pts | %.3f | %.3f | %.3f |\n",
                                   t, a, b, 100 * (b - a), c, d, e }'
    done
    echo
    echo "| shape (held-out, greedy pass@1) | cold start | after GRPO |"
    echo "|---|---|---|"
    tail -n +2 "$r/eval_shapes.csv" | awk -F, '{ printf "| %s | %.3f | %.3f |\n", $1, $2, $3 }'
    echo
    tail -1 "$r/mtp_acceptance.txt"
    echo
    echo "Stage timings (seconds, FATHOM_THREADS=${FATHOM_THREADS:-all cores} on $(nproc) cores):" \
      "$(tail -n +2 "$r/timings.csv" | tr '\n' ' ')" \
      "(total $(awk -F, 'NR > 1 { s += $2 } END { printf "%.0f min", s / 60 }' "$r/timings.csv"))"
  } >"$r/results.md"
  cat "$r/results.md"
}

stage data make_data
stage pretrain pretrain "$RECIPE/teacher.json" "$OUT/teacher" "$PRETRAIN_STEPS"
stage eval-teacher evaluate cold-start "$OUT/teacher/checkpoint"
stage grpo grpo "$OUT/teacher/checkpoint" "$OUT/teacher-grpo"
stage eval-grpo evaluate grpo "$OUT/teacher-grpo/checkpoint"
install_model() {  # the RL teacher, with greedy decoding as its recommended sampling
  rm -rf "$OUT/model"
  cp -r "$OUT/teacher-grpo/checkpoint" "$OUT/model"
  printf '{\n  "bos_token_id": 0,\n  "eos_token_id": 1,\n  "do_sample": false\n}\n' \
    >"$OUT/model/generation_config.json"
}

stage install install_model
stage student pretrain "$RECIPE/student.json" "$OUT/student" "$STUDENT_STEPS"
stage eval-student evaluate student-cold-start "$OUT/student/checkpoint"
stage student-grpo grpo "$OUT/student/checkpoint" "$OUT/student-grpo"
stage eval-student-grpo evaluate student-grpo "$OUT/student-grpo/checkpoint"
stage distill distill
stage eval-student-distill evaluate student-distill "$OUT/student-distill/checkpoint"
stage mtp mtp_acceptance
stage eval-shapes eval_shapes
cp "$OUT"/teacher/loss.{csv,png} "$OUT/report/" 2>/dev/null || true
for run in teacher-grpo student-grpo; do
  for f in grpo.csv eval.csv rewards.png length.png eval.png; do
    cp "$OUT/$run/$f" "$OUT/report/${run}_$f"
  done
done
summarize
sha256sum "$OUT"/model/*.safetensors | tee "$OUT/report/model.sha256"
echo "== done: $OUT/model; report in $OUT/report"

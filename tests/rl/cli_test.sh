#!/usr/bin/env bash
# End-to-end checks of the RL data and evaluation CLI (label e2e), the cold-start pipeline in
# miniature:
#   fathom tasks            problems with worked solutions as JSONL, chat text and a token file;
#   fathom tokenizer train  a BPE with DeepSeek-V3's template on that chat text;
#   fathom train            a few steps of a tiny MLA+MoE+MTP model on the token file;
#   fathom eval             held-out pass@k of that model.
# A model trained for seconds scores ~0, and nothing here pretends otherwise: the checks are on
# the plumbing (counts, formats, JSON keys, determinism for a seed) and on clear errors.
# usage: cli_test.sh FATHOM SOURCE_DIR
set -u
fathom=$1 src=$2
source "$(dirname "${BASH_SOURCE[0]}")/../cli_harness.sh"
count() { grep -oF -- "$1" "$2" | wc -l; }  # occurrences of a string in a file

"$fathom" tasks --help >"$work/help" && grep -q -- "--out-tokens" "$work/help" && grep -q -- "--max-digits" "$work/help" &&
  ok || bad "tasks --help"
"$fathom" eval --help >"$work/help" && grep -q -- "--samples" "$work/help" && grep -q -- "--json" "$work/help" &&
  ok || bad "eval --help"

# ---------------------------------------------------------------- fathom tasks
# The limited teacher set: 1-2 digit + and - only.
limited=(--task arithmetic --max-digits 2 --ops +-)
"$fathom" tasks "${limited[@]}" --n 300 --seed 5 --out "$work/train.jsonl" >/dev/null || bad "tasks jsonl"
[ "$(wc -l <"$work/train.jsonl")" -eq 300 ] && ok || bad "tasks jsonl: $(wc -l <"$work/train.jsonl") lines, expected 300"
[ "$(grep -c '^{"question":"What is [0-9]* [-+] [0-9]*?","answer":"-\{0,1\}[0-9]*","solution":"<think>\\n.*</think>\\nAnswer: -\{0,1\}[0-9]*"}$' "$work/train.jsonl")" -eq 300 ] &&
  ok || bad "tasks jsonl lines: $(head -2 "$work/train.jsonl")"
"$fathom" tasks "${limited[@]}" --n 300 --seed 5 --out "$work/again.jsonl" >/dev/null
cmp -s "$work/train.jsonl" "$work/again.jsonl" && ok || bad "tasks is not deterministic for a seed"
"$fathom" tasks "${limited[@]}" --n 300 --seed 6 --out "$work/other.jsonl" >/dev/null
cmp -s "$work/train.jsonl" "$work/other.jsonl" && bad "tasks --seed 6 gave seed 5's problems" || ok
# Held-out problems are never training problems.
"$fathom" tasks "${limited[@]}" --n 300 --seed 5 --split heldout --out "$work/heldout.jsonl" >/dev/null
questions() { grep -o '"question":"[^"]*"' "$1" | sort -u; }
[ "$(comm -12 <(questions "$work/train.jsonl") <(questions "$work/heldout.jsonl") | wc -l)" -eq 0 ] &&
  ok || bad "train and heldout share questions"
# Chat text for the tokenizer: one DeepSeek-V3 conversation per example.
"$fathom" tasks "${limited[@]}" --n 300 --seed 5 --format text --out "$work/corpus.txt" >/dev/null || bad "tasks text"
[ "$(count '<｜begin▁of▁sentence｜><｜User｜>What is ' "$work/corpus.txt")" -eq 300 ] &&
  [ "$(count '?<｜Assistant｜><think>' "$work/corpus.txt")" -eq 300 ] &&
  [ "$(count '<｜end▁of▁sentence｜>' "$work/corpus.txt")" -eq 300 ] && ok || bad "tasks text: $(head -c 300 "$work/corpus.txt")"
"$fathom" tasks --task countdown --max-numbers 3 --n 50 --format text --out "$work/countdown.txt" >/dev/null &&
  "$fathom" tasks --task sort --max-count 4 --n 50 --out "$work/sort.jsonl" >/dev/null && ok || bad "tasks countdown / sort"

# ---------------------------------------------------------------- tokenizer and token file
tok=$work/tok
"$fathom" tokenizer train --vocab 400 --out "$tok/tokenizer.json" --special "<think>" --special "</think>" \
  --template deepseek "$work/corpus.txt" "$work/countdown.txt" >/dev/null 2>"$work/err" || bad "tokenizer train: $(cat "$work/err")"
"$fathom" tasks "${limited[@]}" --n 400 --seed 5 --tokenizer "$tok" --out-tokens "$work/train.bin" >"$work/out" ||
  bad "tasks --out-tokens: $(cat "$work/out")"
ntok=$(od -An -t u8 -j 12 -N 8 "$work/train.bin" | tr -d ' ')
[ "$(head -c 4 "$work/train.bin")" = FTOK ] && [ "$(stat -c %s "$work/train.bin")" -eq $((20 + 2 * ntok)) ] &&
  grep -q "^wrote $ntok tokens of 400 examples" "$work/out" && ok || bad "token file: $ntok ids, $(cat "$work/out")"
# The examples as a rollout sees them: the template's prompt, the solution, eos (id 1).
"$fathom" tasks "${limited[@]}" --n 1 --seed 5 --tokenizer "$tok" --out-tokens "$work/one.bin" >/dev/null
n1=$(od -An -t u8 -j 12 -N 8 "$work/one.bin" | tr -d ' ')
ids=$(od -An -t u2 -j 20 -v "$work/one.bin" | tr -s ' \n' ' ')
decoded=$("$fathom" tokenize --tokenizer "$tok" --decode $ids)
first=$(head -1 "$work/train.jsonl" | grep -o '"question":"[^"]*"' | cut -d'"' -f4)
case "$decoded" in
  "<｜begin▁of▁sentence｜><｜User｜>$first<｜Assistant｜><think>"*"</think>"*"<｜end▁of▁sentence｜>") ok ;;
  *) bad "token file example decodes to: $decoded" ;;
esac
[ "$(echo $ids | awk '{print $NF}')" = 1 ] && [ "$n1" -gt 20 ] && ok || bad "token file example ends with $(echo $ids | awk '{print $NF}'), not eos"

# ---------------------------------------------------------------- fathom train (seconds)
sed 's/"vocab_size": 128/"vocab_size": 400/' "$src/tests/golden_train/v3-tiny-train/config.json" >"$work/config.json"
run=$work/run
"$fathom" train --config "$work/config.json" --data "$work/train.bin" --out "$run" --steps 30 --batch 8 \
  --seq-len 64 --lr 3e-3 --warmup 3 --eval-every 30 --save-every 30 >"$work/out" 2>"$work/err" &&
  [ -f "$run/checkpoint/model.safetensors" ] && ok || bad "train: $(tail -3 "$work/err")"

# ---------------------------------------------------------------- fathom eval
eval_args=(--model "$run/checkpoint" --tokenizer "$tok" --task arithmetic --max-digits 2 --ops +- --n 6
           --max-tokens 24)
"$fathom" eval "${eval_args[@]}" --samples 4 --temperature 1 --seed 3 --show 2 --json >"$work/e1.json" 2>"$work/err" ||
  bad "eval --json: $(cat "$work/err")"
for key in '"task": "arithmetic"' '"split": "heldout"' '"problems": 6' '"samples": 4' '"pass@1": ' '"pass@2": ' \
           '"pass@4": ' '"format_rate": ' '"mean_completion_tokens": ' '"tokens_per_second": ' '"examples": ['; do
  grep -qF "$key" "$work/e1.json" && ok || bad "eval --json lacks $key: $(head -c 600 "$work/e1.json")"
done
[ "$(grep -c '"question": ' "$work/e1.json")" -eq 2 ] && ok || bad "eval --show 2: $(grep -c '"question": ' "$work/e1.json") examples"
stop=$(grep -o '"finished_stop": [0-9]*' "$work/e1.json" | grep -o '[0-9]*$')
length=$(grep -o '"finished_length": [0-9]*' "$work/e1.json" | grep -o '[0-9]*$')
generated=$(grep -o '"generated_tokens": [0-9]*' "$work/e1.json" | grep -o '[0-9]*$')
[ $((stop + length)) -eq 24 ] && [ "$generated" -ge 24 ] && [ "$generated" -le $((24 * 24)) ] && ok ||
  bad "eval counts: stop $stop + length $length of 24 completions, $generated tokens"
grep -q '"pass@1": 0\.0,\|"pass@1": 0,\|"pass@1": 0\.[0-9]' "$work/e1.json" && ok || bad "pass@1 not in [0, 1)"
# Deterministic for a seed (timings aside), and the seed matters.
timeless() { grep -v -e '"seconds"' -e '"tokens_per_second"' "$1"; }
"$fathom" eval "${eval_args[@]}" --samples 4 --temperature 1 --seed 3 --show 2 --json --threads 1 >"$work/e2.json" 2>/dev/null
diff <(timeless "$work/e1.json") <(timeless "$work/e2.json") >/dev/null && ok || bad "eval is not deterministic for a seed"
"$fathom" eval "${eval_args[@]}" --samples 4 --temperature 1 --seed 4 --show 2 --json >"$work/e3.json" 2>/dev/null
diff <(timeless "$work/e1.json") <(timeless "$work/e3.json") >/dev/null && bad "eval --seed 4 equals --seed 3" || ok
# Greedy, the human summary and examples; the tokenizer copied next to the checkpoint.
cp "$tok/tokenizer.json" "$tok/tokenizer_config.json" "$run/checkpoint/"
"$fathom" eval --model "$run/checkpoint" --task arithmetic --n 4 --max-tokens 16 --show 1 >"$work/human" 2>"$work/err" &&
  grep -q "^pass@1 .*(0 of 4 completions correct)\|^pass@1 .*([1-4] of 4 completions correct)" "$work/human" &&
  grep -q "^format " "$work/human" && grep -q "tokens/s" "$work/human" && grep -q "^--- example 1: What is" "$work/human" &&
  ok || bad "eval summary: $(cat "$work/human" "$work/err")"

# ---------------------------------------------------------------- bad input
expect_error "eval without tokenizer" "has no tokenizer.json" -- "$fathom" eval --model "$src/tests/golden/v3" --task sort
mkdir -p "$work/plain"
"$fathom" tokenizer train --vocab 300 --out "$work/plain/tokenizer.json" "$work/corpus.txt" >/dev/null 2>&1
expect_error "eval without chat template" "no chat_template" -- "$fathom" eval --model "$run/checkpoint" --tokenizer "$work/plain" --task sort
expect_error "eval unknown task" "unknown task 'algebra'" -- "$fathom" eval --model "$run/checkpoint" --task algebra
expect_error "eval greedy samples" "needs --temperature > 0" -- "$fathom" eval --model "$run/checkpoint" --task sort --samples 4
expect_error "eval missing model" "not a directory" -- "$fathom" eval --model "$work/nowhere" --task sort
expect_error "tasks bad op" "unknown operator '/'" -- "$fathom" tasks --task arithmetic --ops +/ --out "$work/x"
expect_error "tasks bad config" "max_digits" -- "$fathom" tasks --task arithmetic --min-digits 4 --max-digits 2 --out "$work/x"
expect_error "tasks tokens without tokenizer" "needs --tokenizer" -- "$fathom" tasks --task sort --out-tokens "$work/x.bin"
expect_error "tasks nothing to write" "nothing to write" -- "$fathom" tasks --task sort
expect_error "tasks unwritable" "$work/no/dir/x" -- "$fathom" tasks --task sort --out "$work/no/dir/x"

finish

#!/usr/bin/env bash
# The built-in model (label e2e): models/fathom-tiny, trained by scripts/build_builtin_model.sh.
#   - it is an HF-layout checkpoint of at most 50 MB that `fathom info` reads;
#   - `fathom run`, `fathom eval` and `fathom serve` use it when no --model is given;
#   - it answers a plain question (thinking first, the answer last) and refuses an off-topic one;
#   - `fathom eval` reproduces the held-out pass@1 the README reports (docs/fathom-tiny/), within
#     0.03 for kernels of another ISA (greedy decoding is exact on one machine).
# usage: builtin_model_test.sh FATHOM SOURCE_DIR
set -u
fathom=$1 src=$2
source "$(dirname "${BASH_SOURCE[0]}")/../cli_harness.sh"
model=$src/models/fathom-tiny
report=$src/docs/fathom-tiny
unset FATHOM_MODEL

# ---------------------------------------------------------------- the checkpoint
for f in config.json model.safetensors tokenizer.json tokenizer_config.json; do
  [ -f "$model/$f" ] && ok || bad "models/fathom-tiny/$f missing"
done
bytes=$(du -cb "$model" | tail -1 | cut -f1)
[ "$bytes" -le $((50 * 1024 * 1024)) ] && ok || bad "models/fathom-tiny is $bytes bytes (> 50 MB)"
"$fathom" info --model "$model" >"$work/info" 2>&1 && grep -q "deepseek_v3" "$work/info" &&
  grep -q "MTP" "$work/info" && ok || bad "fathom info: $(head -3 "$work/info")"

# ---------------------------------------------------------------- run with no --model
(cd "$work" && "$fathom" run "What is 48213 + 9377?" >"$work/run.out" 2>"$work/run.err")
grep -q "built-in model fathom-tiny" "$work/run.err" && ok || bad "run: no built-in note: $(cat "$work/run.err")"
grep -q "^\[thinking\]" "$work/run.out" && ok || bad "run: no thinking: $(cat "$work/run.out")"
tail -1 "$work/run.out" | grep -q "Answer: 57590$" && ok || bad "run: 48213 + 9377: $(cat "$work/run.out")"
"$fathom" run "What is the capital of France?" >"$work/off.out" 2>/dev/null
tail -1 "$work/off.out" | grep -q "Sorry, I can only solve arithmetic, Countdown and sorting problems." &&
  ok || bad "run: off-topic: $(cat "$work/off.out")"
expect_error "run: a wrong FATHOM_MODEL" "$work/none" -- env FATHOM_MODEL="$work/none" "$fathom" run "hi"
FATHOM_MODEL=$model "$fathom" run "What is 2 + 3?" 2>/dev/null | tail -1 | grep -q "Answer: 5$" &&
  ok || bad "run: FATHOM_MODEL"

# generation_config.json: greedy by default ("do_sample": false), --temperature overrides it, and
# a malformed file is an error naming it.
[ "$(grep -c '"do_sample": false' "$model/generation_config.json")" -eq 1 ] && ok || bad "generation_config.json"
"$fathom" run --temperature 1 --seed 1 "What is 2 + 3?" >/dev/null 2>&1 && ok || bad "run --temperature 1"
mkdir "$work/gc" && cp "$model"/*.json "$model"/*.safetensors "$work/gc/"
echo '{"do_sample": "no"}' >"$work/gc/generation_config.json"
expect_error "run: malformed generation_config.json" "do_sample must be true or false" -- \
  "$fathom" run --model "$work/gc" "hi"

# ---------------------------------------------------------------- eval: the reported accuracy
# The shapes the report's evaluation used (scripts/build_builtin_model.sh: FULL_SHAPES, seed 7).
shapes=(--max-digits 5 --mul-max-digits 2 --min-numbers 3 --max-numbers 4 --min-count 3 --max-count 7)
for task in arithmetic countdown sort offtopic; do
  want=$(grep "^grpo,$task," "$report/eval_grpo.csv" | cut -d, -f3)
  got=$("$fathom" eval --task "$task" "${shapes[@]}" --n 200 --seed 7 --max-tokens 192 --json 2>/dev/null |
    sed -n 's/.*"pass@1": \([0-9.e-]*\).*/\1/p')
  if [ -n "$want" ] && [ -n "$got" ] &&
    awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !(d < 0.03 && d > -0.03) }'; then
    ok
  else
    bad "eval $task: pass@1 '$got', the report says '$want'"
  fi
done

# ---------------------------------------------------------------- serve with no --model
port=$((20000 + RANDOM % 20000))
"$fathom" serve --port "$port" >"$work/serve.out" 2>&1 &
server=$!
models=""
for _ in $(seq 1 100); do
  if exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
    printf 'GET /v1/models HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
    models=$(cat <&3)
    exec 3<&-
    break
  fi
  sleep 0.1
done
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
echo "$models" | grep -q '"fathom-tiny"' && ok || bad "serve: /v1/models: $models $(cat "$work/serve.out")"

finish

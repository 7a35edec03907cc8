#!/usr/bin/env bash
# End-to-end checks of the `fathom` CLI: help text, info, logits, and bad input. Every failure
# must be one line on stderr starting with "fathom:" and a non-zero exit, never a crash.
# usage: cli_test.sh FATHOM_BINARY SOURCE_DIR
set -u
fathom=$1
src=$2
golden=$src/tests/golden
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect_error NAME EXPECTED_SUBSTRING -- command...
expect_error() {
  local name=$1 expected=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [ "$rc" -eq 0 ]; then bad "$name: exit 0"; return; fi
  if [ "$rc" -ge 128 ]; then bad "$name: crashed (exit $rc)"; return; fi
  if [ "$(wc -l <"$work/err")" -ne 1 ]; then bad "$name: expected one line on stderr, got:"; cat "$work/err"; return; fi
  if ! grep -q '^fathom: ' "$work/err"; then bad "$name: message lacks 'fathom:' prefix: $(cat "$work/err")"; return; fi
  if ! grep -qF -- "$expected" "$work/err"; then bad "$name: expected '$expected' in: $(cat "$work/err")"; return; fi
  ok
}

# --help is true for every subcommand.
for sub in "" info logits generate run serve synth quantize bench; do
  if $fathom $sub --help >"$work/help" 2>&1 && grep -q -- "--help" "$work/help"; then ok; else bad "help for '$sub'"; fi
done
grep -q -- "--mtp-out" <($fathom logits --help) && ok || bad "logits --help lacks --mtp-out"
grep -q -- "--json" <($fathom info --help) && ok || bad "info --help lacks --json"

# info: human and JSON output.
for variant in v3 v3-fp8 v2lite v2 dense; do
  if $fathom info --model "$golden/$variant" >"$work/info" 2>&1; then ok; else bad "info $variant: $(cat "$work/info")"; fi
done
$fathom info --model "$golden/v3" --json >"$work/info.json"
for key in '"model_type": "deepseek_v3"' '"params_total": 950528' '"params_active"' '"kv_bytes_per_token": 768'; do
  grep -qF "$key" "$work/info.json" && ok || bad "info --json lacks $key: $(cat "$work/info.json")"
done
grep -qF '"kv_bytes_per_token": 2112' <($fathom info --model "$golden/v3-fp8" --json) && ok || bad "v3-fp8 kv bytes"

# logits: output sizes (48 x 512 float32, MTP 47 x 512).
if $fathom logits --model "$golden/v3" --tokens "$golden/v3/oracle/tokens.txt" --out "$work/l.f32" \
    --mtp-out "$work/m.f32" 2>/dev/null; then
  [ "$(stat -c %s "$work/l.f32")" -eq $((48 * 512 * 4)) ] && ok || bad "logits size"
  [ "$(stat -c %s "$work/m.f32")" -eq $((47 * 512 * 4)) ] && ok || bad "mtp logits size"
  cmp -s "$work/l.f32" "$golden/v3/oracle/logits.f32" && bad "logits bit-identical to the oracle (suspicious copy)" || ok
else
  bad "logits on v3"
fi
# FATHOM_DUMP_DIR taps.
FATHOM_DUMP_DIR="$work/taps" $fathom logits --model "$golden/dense" --tokens "$golden/dense/oracle/tokens.txt" \
  --out "$work/d.f32" 2>/dev/null
for f in hidden_layer0 hidden_layer1 final_hidden; do
  [ "$(stat -c %s "$work/taps/$f.f32" 2>/dev/null)" = $((48 * 64 * 4)) ] && ok || bad "tap $f"
done

# generate: greedy ids equal the oracle's continuation, plain and MTP-speculative.
for spec in none mtp; do
  if $fathom generate --model "$golden/v3" --tokens "$golden/v3/oracle/tokens.txt" -n 30 --temperature 0 \
      --speculative $spec --ids-out "$work/ids_$spec.txt" >"$work/gen_out" 2>"$work/gen_err"; then
    diff -q <(tr -s ' \n' ' ' <"$work/ids_$spec.txt") <(tr -s ' \n' ' ' <"$golden/v3/oracle/greedy.txt") >/dev/null \
      && ok || bad "generate --speculative $spec ids differ from greedy.txt"
    grep -q "generated: 30 tokens" "$work/gen_err" && ok || bad "generate summary: $(cat "$work/gen_err")"
  else
    bad "generate --speculative $spec: $(cat "$work/gen_err")"
  fi
done
grep -q "MTP acceptance" "$work/gen_err" && ok || bad "speculative summary lacks acceptance"
$fathom generate --model "$golden/v2" --tokens "$golden/v2/oracle/tokens.txt" -n 5 --seed 1 --temperature 1 \
  --logprobs-out "$work/lp.jsonl" --top-logprobs 2 >/dev/null 2>&1
[ "$(wc -l <"$work/lp.jsonl")" -eq 5 ] && grep -q '"top_logprobs"' "$work/lp.jsonl" && ok || bad "logprobs-out"

# generate with text: the golden v3 checkpoint plus a 512-token DeepSeek-style tokenizer.
mkdir -p "$work/v3tok" && cp "$golden/v3/"*.json "$golden/v3/"*.safetensors "$golden/tokenizer/"* "$work/v3tok/"
prompt_ids=$($fathom tokenize --tokenizer "$golden/tokenizer" --add-special "The quick brown fox")
echo "$prompt_ids" >"$work/prompt_ids.txt"
$fathom generate --model "$work/v3tok" --prompt "The quick brown fox" -n 30 --temperature 0 --ids-out "$work/text_ids.txt" >"$work/text_out" 2>/dev/null
$fathom generate --model "$work/v3tok" --tokens "$work/prompt_ids.txt" -n 30 --temperature 0 --ids-out "$work/tok_ids.txt" >/dev/null 2>&1
cmp -s "$work/text_ids.txt" "$work/tok_ids.txt" && ok || bad "--prompt and --tokens of the same prompt differ"
decoded=$($fathom tokenize --tokenizer "$golden/tokenizer" --decode $(cat "$work/text_ids.txt"))
[ "$(head -c -1 "$work/text_out")" = "$decoded" ] && ok || bad "streamed text differs from decode of the ids"
export LC_ALL=C
stop=${decoded:8:3}
expected=$(awk -v s="$decoded" -v t="$stop" 'BEGIN { printf "%s", substr(s, 1, index(s, t) - 1) }')
$fathom generate --model "$work/v3tok" --prompt "The quick brown fox" -n 30 --temperature 0 --stop "$stop" >"$work/stop_out" 2>"$work/stop_err"
[ "$(head -c -1 "$work/stop_out")" = "$expected" ] && grep -q "finish: stop" "$work/stop_err" && ok || bad "--stop '$stop': got '$(cat "$work/stop_out")' expected '$expected'"

# run: one question from the command line, then from a pipe; chat commands with --interactive.
$fathom run --model "$work/v3tok" -n 8 --temperature 0 "What is the sea?" >"$work/run_out" 2>"$work/run_err" \
  && grep -q "8 tokens" "$work/run_err" && [ -s "$work/run_out" ] && ok || bad "run PROMPT: $(cat "$work/run_err")"
echo "What is the sea?" | $fathom run --model "$work/v3tok" -n 8 --temperature 0 >"$work/run_pipe" 2>/dev/null
cmp -s "$work/run_out" "$work/run_pipe" && ok || bad "run from a pipe differs from run PROMPT"
printf 'hello\n/think on\n/reset\n/nope\n/exit\nnever read\n' |
  $fathom run --model "$work/v3tok" -n 3 --interactive >/dev/null 2>"$work/run_cmds"
grep -q "(thinking on)" "$work/run_cmds" && grep -q "(conversation cleared)" "$work/run_cmds" &&
  grep -q "unknown command /nope" "$work/run_cmds" && [ "$(grep -c "3 tokens" "$work/run_cmds")" -eq 1 ] \
  && ok || bad "run chat commands: $(cat "$work/run_cmds")"

# synth + bench: a random fp8 checkpoint of the v3 config loads, and bench reports JSON.
if $fathom synth --config "$golden/v3/config.json" --type fp8 --out "$work/synth" --seed 3 2>/dev/null; then
  grep -q '"quant_method": "fp8"' "$work/synth/config.json" && ok || bad "synth fp8 config lacks quantization_config"
  $fathom bench --model "$work/synth" -p 16 -n 8 --reps 2 --json >"$work/bench.json" 2>&1
  for key in '"pp_tok_s"' '"tg_tok_s"' '"peak_rss_bytes"' '"n_prompt": 16'; do
    grep -qF "$key" "$work/bench.json" && ok || bad "bench --json lacks $key: $(cat "$work/bench.json")"
  done
  $fathom bench --model "$work/synth" -p 16 -n 8 --reps 1 | grep -q "| tg8 |" && ok || bad "bench table"
else
  bad "synth fp8"
fi

# quantize: q8 and q4 directories load, carry the tokenizer, and bench reports the ceilings.
cp -r "$golden/v3" "$work/v3src" && echo '{}' >"$work/v3src/tokenizer.json"
for type in q8 q4; do
  if $fathom quantize --model "$work/v3src" --out "$work/v3$type" --type $type 2>"$work/quantize.err"; then
    grep -q "bits/parameter" "$work/quantize.err" && ok || bad "quantize summary: $(cat "$work/quantize.err")"
    [ -f "$work/v3$type/tokenizer.json" ] && ok || bad "quantize $type did not copy tokenizer.json"
    $fathom info --model "$work/v3$type" | grep -q "Q8_0" && ok || bad "info on $type lacks Q8_0"
    $fathom logits --model "$work/v3$type" --tokens "$golden/v3/oracle/tokens.txt" --out "$work/q.f32" 2>/dev/null &&
      [ "$(stat -c %s "$work/q.f32")" -eq $((48 * 512 * 4)) ] && ok || bad "logits on $type"
  else
    bad "quantize $type: $(cat "$work/quantize.err")"
  fi
done
$fathom info --model "$work/v3q4" | grep -q "Q4_0" && ok || bad "info on q4 lacks Q4_0"
$fathom bench --model "$work/v3q4" -p 16 -n 4 --reps 1 --json >"$work/bench_q4.json" 2>&1
for key in '"tg_ceiling_tok_s"' '"tg_fraction_of_ceiling"' '"pp_fraction_of_fma_peak"' '"read_bytes_per_s"'; do
  grep -qF "$key" "$work/bench_q4.json" && ok || bad "bench --json lacks $key: $(cat "$work/bench_q4.json")"
done
$fathom bench --model "$work/v3q4" -p 16 -n 4 --reps 1 | grep -q "of it" && ok || bad "bench ceiling line"
expect_error "quantize onto itself" "--out must differ" -- $fathom quantize --model "$work/v3src" --out "$work/v3src"
expect_error "quantize a missing model" "nope" -- $fathom quantize --model "$work/nope" --out "$work/q2"

# Bad input: one clear line, non-zero exit.
echo "[1, 2]" >"$work/bad_config.json"
expect_error "synth of a bad config" "not a JSON object" -- $fathom synth --config "$work/bad_config.json" --out "$work/s2"
expect_error "run without a model" "pass --model DIR" -- env FATHOM_MODEL="$work/none" $fathom run "hi"
expect_error "run without tokenizer" "has no tokenizer.json" -- $fathom run --model "$golden/v3" "hi"
expect_error "serve without tokenizer" "has no tokenizer.json" -- $fathom serve --model "$golden/v3" --port 0
tokens=$golden/v3/oracle/tokens.txt
expect_error "prompt text without tokenizer" "has no tokenizer.json" -- $fathom generate --model "$golden/v3" --prompt "hi"
expect_error "context overflow" "exceed the context of 50 tokens (--ctx)" -- $fathom generate --model "$golden/v3" --tokens "$tokens" -n 10 --ctx 50
expect_error "speculative without MTP" "needs an MTP module" -- $fathom generate --model "$golden/v2" --tokens "$golden/v2/oracle/tokens.txt" --speculative mtp
expect_error "bad sampling parameter" "top_p must be in (0, 1]" -- $fathom generate --model "$golden/v3" --tokens "$tokens" --top-p 0
expect_error "missing model dir" "not a directory" -- $fathom logits --model "$work/nope" --tokens "$tokens" --out "$work/x"
mkdir -p "$work/truncated" && cp "$golden/v2lite/config.json" "$work/truncated/"
head -c 200000 "$golden/v2lite/model.safetensors" >"$work/truncated/model.safetensors"
expect_error "truncated safetensors" "truncated?" -- $fathom info --model "$work/truncated"
mkdir -p "$work/noshard" && cp "$golden/v3/"*.json "$golden/v3/model-00001-of-00003.safetensors" "$golden/v3/model-00003-of-00003.safetensors" "$work/noshard/"
expect_error "missing shard" "model-00002-of-00003.safetensors" -- $fathom info --model "$work/noshard"
mkdir -p "$work/badconfig" && cp "$golden/dense/model.safetensors" "$work/badconfig/"
sed 's/"noaux_tc"/"noaux"/' "$golden/dense/config.json" >"$work/badconfig/config.json"
expect_error "unknown topk_method" "expected greedy | group_limited_greedy | noaux_tc" -- $fathom info --model "$work/badconfig"
echo '{"model_type": "deepseek_v3",' >"$work/badconfig/config.json"
expect_error "malformed config" "config.json: not valid JSON" -- $fathom info --model "$work/badconfig"
echo "0 1 two" >"$work/bad_tokens.txt"
expect_error "bad token file" "\"two\" at token index 2" -- $fathom logits --model "$golden/dense" --tokens "$work/bad_tokens.txt" --out "$work/x"
echo "0 1 999" >"$work/big_tokens.txt"
expect_error "token out of vocab" "token 999 at index 2 is outside the vocabulary" -- $fathom logits --model "$golden/dense" --tokens "$work/big_tokens.txt" --out "$work/x"
expect_error "missing token file" "$work/none.txt" -- $fathom logits --model "$golden/dense" --tokens "$work/none.txt" --out "$work/x"
expect_error "mtp on a model without MTP" "has no MTP module" -- $fathom logits --model "$golden/v2" --tokens "$golden/v2/oracle/tokens.txt" --out "$work/x" --mtp-out "$work/y"
expect_error "unwritable output" "cannot open $work/no/such/dir/x" -- $fathom logits --model "$golden/dense" --tokens "$golden/dense/oracle/tokens.txt" --out "$work/no/such/dir/x"
$fathom logits --model "$golden/dense" >/dev/null 2>&1
rc=$?; [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && ok || bad "missing required options exit $rc"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# End-to-end checks of the training CLI (label e2e):
#   fathom train-step  on the committed oracle case v3-tiny-train (alpha 1e-4 and 0.1, and
#                      non-default AdamW/balance/clipping options): losses, gradients, AdamW step
#                      and bias update judged by train_step_check (compare_grads.py's rules), and
#                      the checker must fail a mismatched case;
#   fathom train       a few steps on a token file written here: loss.csv, loss.png, a checkpoint
#                      that `fathom logits` loads, --resume continuing the step count;
#   fathom plot-loss   that run's loss.csv drawn twice into a PNG; malformed arguments;
#   fathom tokenizer train
#                      a BPE trained on a generated corpus loads in fathom, encodes a second
#                      corpus to the same ids as @lenml/tokenizers, is deterministic, and carries
#                      DeepSeek-V3's chat template;
# and bad input everywhere gives one "fathom:" line on stderr and exit 1.
# usage: cli_test.sh FATHOM TRAIN_STEP_CHECK NPM_DIR SOURCE_DIR
set -u
fathom=$1 check=$2 npm_dir=$3 src=$4
golden=$src/tests/golden_train
scripts=$src/scripts/text
source "$(dirname "${BASH_SOURCE[0]}")/../cli_harness.sh"
command -v node >/dev/null || { echo "FAIL: node is not installed"; exit 1; }
[ -d "$npm_dir/node_modules/@lenml/tokenizers" ] || {
  echo "FAIL: $npm_dir has no @lenml/tokenizers; run scripts/text/setup-npm.sh"; exit 1; }

# Writes a token file (token_dataset.h: "FTOK", u32 version 1, u32 bytes/id 2, u64 count, u16
# ids): COUNT ids from a noisy repeating pattern in [2, MAX).
write_tokens() {  # PATH COUNT MAX
  node -e '
    const [path, n, max] = [process.argv[1], +process.argv[2], +process.argv[3]];
    const b = Buffer.alloc(20 + 2 * n);
    b.write("FTOK", 0); b.writeUInt32LE(1, 4); b.writeUInt32LE(2, 8); b.writeBigUInt64LE(BigInt(n), 12);
    let s = 12345;
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const id = s % 10 === 0 ? 2 + (s >> 8) % (max - 2) : 2 + (i * 7) % 31;
      b.writeUInt16LE(id, 20 + 2 * i);
    }
    require("fs").writeFileSync(path, b);' "$1" "$2" "$3"
}

# ---------------------------------------------------------------- fathom train-step
tiny=$golden/v3-tiny-train
"$fathom" train-step --help | grep -q -- "--batch" && ok || bad "train-step --help"
if "$fathom" train-step --model "$tiny" --batch "$tiny/oracle_train/batch.txt" --out "$work/ts" 2>"$work/err"; then
  "$check" "$tiny/oracle_train" "$work/ts" > "$work/check" && ok || bad "train-step vs oracle: $(cat "$work/check")"
  [ "$(ls "$work/ts/grads" | wc -l)" -eq "$(ls "$tiny/oracle_train/grads" | wc -l)" ] && ok ||
    bad "train-step wrote $(ls "$work/ts/grads" | wc -l) gradient files, oracle has $(ls "$tiny/oracle_train/grads" | wc -l)"
  # The checker can fail: alpha 1e-4 gradients against the alpha 0.1 oracle.
  "$check" "$golden/v3-tiny-train-alpha0.1/oracle_train" "$work/ts" > "$work/check" && bad "checker passed a mismatched case" || ok
else
  bad "train-step failed: $(cat "$work/err")"
fi
"$fathom" train-step --model "$tiny" --batch "$tiny/oracle_train/batch.txt" --out "$work/ts01" --alpha 0.1 2>/dev/null &&
  "$check" "$golden/v3-tiny-train-alpha0.1/oracle_train" "$work/ts01" > "$work/check" && ok || bad "train-step --alpha 0.1 vs oracle: $(cat "$work/check")"
# Non-default AdamW, balance and clipping options against an oracle case made with the same ones.
opts=$golden/v3-tiny-train-options
"$fathom" train-step --help | grep -q -- "--adam-eps" && ok || bad "train-step --help lacks --adam-eps"
"$fathom" train-step --model "$tiny" --batch "$tiny/oracle_train/batch.txt" --out "$work/tsopt" --alpha 0.1 \
    --balance-count routed --no-mtp-balance --gamma 0.005 --lr 0.002 --beta1 0.8 --beta2 0.99 --adam-eps 1e-6 \
    --weight-decay 0.05 --max-grad-norm 5 2>/dev/null &&
  "$check" "$opts/oracle_train" "$work/tsopt" > "$work/check" && ok || bad "train-step with options vs oracle: $(cat "$work/check")"
expect_error "train-step beta1 out of range" "beta1 = 1" -- "$fathom" train-step --model "$tiny" --batch "$tiny/oracle_train/batch.txt" --out "$work/x" --beta1 1
expect_error "train-step zero eps" "eps = 0" -- "$fathom" train-step --model "$tiny" --batch "$tiny/oracle_train/batch.txt" --out "$work/x" --adam-eps 0
expect_error "train-step bad balance count" "balance count 'top'" -- "$fathom" train-step --model "$tiny" --batch "$tiny/oracle_train/batch.txt" --out "$work/x" --balance-count top
expect_error "train-step missing batch" "nowhere.txt" -- "$fathom" train-step --model "$tiny" --batch "$work/nowhere.txt" --out "$work/x"
echo "0 1 2 999" > "$work/big_id.txt"
expect_error "train-step id outside vocab" "999" -- "$fathom" train-step --model "$tiny" --batch "$work/big_id.txt" --out "$work/x"
expect_error "train-step missing model" "nomodel: not a directory" -- "$fathom" train-step --model "$work/nomodel" --batch "$tiny/oracle_train/batch.txt" --out "$work/x"

# ---------------------------------------------------------------- fathom train
"$fathom" train --help > "$work/help" && grep -q "loss.png" "$work/help" && grep -q -- "--resume" "$work/help" && ok || bad "train --help"
write_tokens "$work/data.bin" 3000 128
run=$work/run
train=("$fathom" train --config "$tiny/config.json" --data "$work/data.bin" --out "$run" --batch 2
       --seq-len 16 --eval-every 2 --save-every 2 --lr 3e-3)
if "${train[@]}" --steps 4 > "$work/out" 2> "$work/err"; then
  grep -q "^loss .* -> .*tokens/s" "$work/out" && ok || bad "train summary line: $(cat "$work/out")"
  [ "$(tail -n +2 "$run/loss.csv" | wc -l)" -eq 4 ] && head -1 "$run/loss.csv" | grep -q "^step,.*val_ce$" && ok || bad "loss.csv: $(cat "$run/loss.csv")"
  [ "$(head -c 8 "$run/loss.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && ok || bad "loss.png is not a PNG"
  [ "$(cat "$run/optimizer/step.txt")" = 4 ] && ok || bad "optimizer step $(cat "$run/optimizer/step.txt")"
  echo "0 5 9 17 33 2 7 100" > "$work/tokens.txt"
  "$fathom" logits --model "$run/checkpoint" --tokens "$work/tokens.txt" --out "$work/logits.f32" 2>"$work/err" &&
    [ "$(stat -c %s "$work/logits.f32")" -eq $((8 * 128 * 4)) ] && ok || bad "fathom logits on the checkpoint: $(cat "$work/err")"
  # --resume: continues at step 5 and appends to loss.csv.
  "${train[@]}" --steps 6 --resume > "$work/out" 2> "$work/err" || bad "resume failed: $(cat "$work/err")"
  [ "$(cat "$run/optimizer/step.txt")" = 6 ] && ok || bad "resume: optimizer step $(cat "$run/optimizer/step.txt")"
  [ "$(tail -n +2 "$run/loss.csv" | cut -d, -f1 | tr '\n' ' ')" = "1 2 3 4 5 6 " ] && ok || bad "resume: loss.csv steps $(cut -d, -f1 "$run/loss.csv" | tr '\n' ' ')"
else
  bad "train failed: $(cat "$work/err")"
fi
expect_error "train beta2 out of range" "beta2 = 1.5" -- "${train[@]}" --steps 1 --beta2 1.5
expect_error "train missing data" "nowhere.bin" -- "$fathom" train --config "$tiny/config.json" --data "$work/nowhere.bin" --out "$work/r2" --steps 1
write_tokens "$work/wide.bin" 3000 1000
expect_error "train id outside vocab" "outside the model's vocabulary" -- "$fathom" train --config "$tiny/config.json" --data "$work/wide.bin" --out "$work/r3" --steps 1
printf 'XTOK\001\000\000\000' > "$work/corrupt.bin"
expect_error "train corrupt data" "corrupt.bin" -- "$fathom" train --config "$tiny/config.json" --data "$work/corrupt.bin" --out "$work/r4" --steps 1
expect_error "train missing config" "noconfig.json" -- "$fathom" train --config "$work/noconfig.json" --data "$work/data.bin" --out "$work/r5" --steps 1

# ---------------------------------------------------------------- fathom plot-loss
if [ -s "$run/loss.csv" ]; then
  "$fathom" plot-loss --out "$work/cmp.png" a="$run/loss.csv" b="$run/loss.csv" 2>/dev/null &&
    [ "$(head -c 8 "$work/cmp.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] && ok || bad "plot-loss wrote no PNG"
fi
expect_error "plot-loss without LABEL=" "is not LABEL=PATH" -- "$fathom" plot-loss --out "$work/x.png" "$run/loss.csv"
expect_error "plot-loss unknown column" "no \"nope\" column" -- "$fathom" plot-loss --out "$work/x.png" --column nope a="$run/loss.csv"

# ---------------------------------------------------------------- fathom tokenizer train
"$fathom" tokenizer train --help > "$work/help" && grep -q -- "--vocab" "$work/help" && grep -q -- "--special" "$work/help" &&
  grep -q -- "--template" "$work/help" && ok || bad "tokenizer train --help"
to_text='const l = require("fs").readFileSync(0, "utf8").split("\n").filter((x) => x);
         process.stdout.write(l.map((x) => JSON.parse(x)).join("\n"));'
node "$scripts/gen_corpus.cjs" --count 2500 --seed 7 | node -e "$to_text" > "$work/train_a.txt"
node "$scripts/gen_corpus.cjs" --count 1000 --seed 8 | node -e "$to_text" > "$work/train_b.txt"
tok=$work/tok
if "$fathom" tokenizer train --vocab 1500 --out "$tok/tokenizer.json" --special "<think>" --special "</think>" \
     --template deepseek "$work/train_a.txt" "$work/train_b.txt" > "$work/out" 2> "$work/err"; then
  grep -q "vocab 1500" "$work/out" && ok || bad "tokenizer train summary: $(cat "$work/out")"
  # Parity: a corpus of its own seed, encoded by @lenml/tokenizers and by fathom.
  node "$scripts/gen_corpus.cjs" --count 3000 > "$work/test.jsonl"
  node "$scripts/reference_encode.cjs" "$npm_dir" "$tok" "$work/test.jsonl" > "$work/want.jsonl"
  "$fathom" tokenize --tokenizer "$tok" --jsonl "$work/test.jsonl" > "$work/got.jsonl"
  lines=$(wc -l < "$work/want.jsonl")
  differ=$(paste -d '\t' "$work/want.jsonl" "$work/got.jsonl" | awk -F '\t' '$1 != $2' | wc -l)
  [ "$lines" -gt 2900 ] && [ "$differ" -eq 0 ] && cmp -s "$work/want.jsonl" "$work/got.jsonl" && ok ||
    bad "tokenizer parity: $differ of $lines lines differ from @lenml/tokenizers"
  echo "tokenizer parity: $lines texts, $differ mismatches"
  # Deterministic: the same inputs give the same bytes.
  "$fathom" tokenizer train --vocab 1500 --out "$work/tok2/tokenizer.json" --special "<think>" --special "</think>" \
    --template deepseek "$work/train_a.txt" "$work/train_b.txt" > /dev/null 2>&1 &&
    cmp -s "$tok/tokenizer.json" "$work/tok2/tokenizer.json" && ok || bad "tokenizer train is not deterministic"
  # The chat template renders with the trained tokenizer; its tokens are single ids.
  echo '{"messages": [{"role": "user", "content": "Hi"}]}' > "$work/conv.json"
  printf '%s' '<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>' > "$work/want"
  "$fathom" template --tokenizer "$tok" --messages "$work/conv.json" --add-generation-prompt > "$work/got" &&
    cmp -s "$work/got" "$work/want" && ok || bad "template with the trained tokenizer: $(cat "$work/got")"
  [ "$("$fathom" tokenize --tokenizer "$tok" --add-special '<｜User｜><think>' | wc -w)" -eq 3 ] && ok || bad "added tokens are not single ids"
else
  bad "tokenizer train failed: $(cat "$work/err")"
fi
expect_error "tokenizer vocab too small" "too small" -- "$fathom" tokenizer train --vocab 100 --out "$work/t3/tokenizer.json" "$work/train_a.txt"
printf 'ok\xff' > "$work/latin1.txt"
expect_error "tokenizer invalid UTF-8" "latin1.txt: invalid UTF-8 at byte 2" -- "$fathom" tokenizer train --vocab 300 --out "$work/t4/tokenizer.json" "$work/latin1.txt"
expect_error "tokenizer missing file" "nowhere.txt" -- "$fathom" tokenizer train --vocab 300 --out "$work/t5/tokenizer.json" "$work/nowhere.txt"
expect_error "tokenizer duplicate special" "given twice" -- "$fathom" tokenizer train --vocab 300 --special "<x>" --special "<x>" --out "$work/t6/tokenizer.json" "$work/train_a.txt"
"$fathom" tokenizer train --vocab 300 --template chatml --out "$work/t7/tokenizer.json" "$work/train_a.txt" > /dev/null 2>&1 &&
  bad "--template chatml accepted" || ok

finish

#!/bin/bash
# Runs `fathom train-step` on freshly generated training-oracle cases of every variant (default
# alpha 1e-4, alpha 0.1 where the balance-loss gradient is visible, and for the variants with an
# MTP module the MTP embedding/head untied, --untie-mtp) and checks gradients,
# losses, the AdamW step and the bias update with the oracle's compare_grads.py. Needs
# /usr/bin/python3 with torch (not run in CI; CI uses the committed cases in tests/golden_train).
#   tests/train/check_all_variants.sh BUILD_DIR/fathom [WORK_DIR]
set -euo pipefail
FATHOM=${1:?usage: check_all_variants.sh FATHOM_BINARY [WORK_DIR]}
WORK=${2:-$(mktemp -d)}
ORACLE=${ORACLE:-$(cd "$(dirname "$0")/../../../shared/oracle" && pwd)}
PY=/usr/bin/python3
status=0
for variant in v3-tiny-train v3 v3-fp8 v2lite v2 dense; do
  settings="1e-4 0.1"
  [[ $variant == v3* ]] && settings="$settings untied"
  for setting in $settings; do
    alpha=$setting flags=""
    [[ $setting == untied ]] && alpha=1e-4 flags=--untie-mtp
    case_dir=$WORK/$variant-$setting
    out=$WORK/$variant-$setting.out
    [ -d "$case_dir/oracle_train" ] || $PY "$ORACLE/make_train_case.py" --variant $variant --seed 1 \
        --alpha $alpha $flags --out "$case_dir" > /dev/null
    "$FATHOM" train-step --model "$case_dir" --batch "$case_dir/oracle_train/batch.txt" \
        --out "$out" --alpha $alpha $flags 2> /dev/null
    g=$($PY "$ORACLE/compare_grads.py" "$case_dir" "$out/grads" --require-all --show 0 | tail -2 | tr '\n' ' ') || status=1
    l=$($PY "$ORACLE/compare_grads.py" --losses "$case_dir" "$out/loss.json" | \
        awk '/^(ok|FAIL)/ && ($2=="main_ce:"||$2=="mtp_ce:"||$2=="balance:"||$2=="total:"||$2=="grad_norm:") {
               d=$NF; e=$4; r=(e==0)?0:d/(e<0?-e:e); if (r>w) w=r } /PASS|FAIL$/ {s=$0}
             END {printf "worst loss rel %.2e %s", w, s}') || status=1
    a=$($PY "$ORACLE/compare_grads.py" --adamw "$case_dir" "$out/adamw_step" | \
        awk '/max \|a-e\|/ { v=$5+0; if (v>w) w=v } /^(PASS|FAIL)$/ {s=$0} END {printf "adamw max %.2e %s", w, s}') || status=1
    b=$($PY - "$case_dir/oracle_train/bias_update.json" "$out/bias_update.json" <<'PYEOF'
import json, sys
e, a = (json.load(open(p))["layers"] for p in sys.argv[1:3])
assert len(e) == len(a), "layer count"
worst = 0.0
for le, la in zip(e, a):
    assert le["layer"] == la["layer"] and le["counts"] == la["counts"], ("counts", le["layer"])
    if le.get("name"):
        assert le["sign"] == la["sign"], ("sign", le["layer"])
        worst = max([worst] + [abs(x - y) for x, y in zip(le["bias_after"], la["bias_after"])])
assert worst <= 1e-8, worst
print("bias: counts/signs equal, max |db| %.1e PASS" % worst)
PYEOF
) || status=1
    echo "$variant $setting: $g| $l | $a | $b"
  done
done
exit $status

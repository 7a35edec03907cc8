#!/usr/bin/env bash
# Regenerates the GRPO / Dr. GRPO / DAPO oracle cases under tests/golden_grpo from
# ../shared/oracle/make_grpo_case.py (needs /usr/bin/python3 with python3-torch and
# python3-numpy). CI never runs this: the cases are committed (~30-45 KB each) so the test suite
# needs no torch. Each case directory holds oracle_grpo/ with the inputs and, for every variant
# (grpo, drgrpo, dapo), VARIANT.json (loss, advantages, clip counts) and VARIANT.dlogits.f32.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracle=${ORACLE:-$here/../shared/oracle}
[[ -d $oracle ]] || oracle=$here/../../shared/oracle  # a worktree under /work/wt/NAME
out=$here/tests/golden_grpo

# case name, then make_grpo_case.py flags
make_case() {
  local name=$1
  shift
  rm -rf "${out:?}/$name"
  /usr/bin/python3 "$oracle/make_grpo_case.py" "$@" --out "$out/$name"
}
make_case default --seed 1                                   # G 6, L 12, V 11, β 0.04, adv_eps 1e-4
make_case g8-l16-v13 --seed 2 --group 8 --max-len 16 --vocab 13
make_case beta0.1-adveps1e-6 --seed 3 --beta 0.1 --adv-eps 1e-6

# Shared by the CLI tests of train/ and rl/ (source it after setting `fathom`): a scratch
# directory removed on exit, pass/fail counters, and expect_error for the "one 'fathom:' line on
# stderr, exit 1" rule.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

expect_error() {  # NAME EXPECTED_SUBSTRING -- command...
  local name=$1 expected=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [ "$rc" -ne 1 ]; then bad "$name: exit $rc, expected 1 ($(head -c 300 "$work/err"))"; return; fi
  if [ "$(wc -l <"$work/err")" -ne 1 ] || ! grep -q '^fathom: ' "$work/err"; then
    bad "$name: expected one 'fathom:' line on stderr, got: $(cat "$work/err")"; return; fi
  grep -qF -- "$expected" "$work/err" || { bad "$name: expected '$expected' in: $(cat "$work/err")"; return; }
  ok
}

# The summary line and the script's exit status.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

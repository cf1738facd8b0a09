# Shared by the end-to-end test scripts (sourced): a scratch folder, and pass/fail bookkeeping.
# Each script sources this, makes its checks, and ends with `finish`.
set -uo pipefail
spiral=${SPIRAL_BINARY:?set by CTest}
source_dir=${SPIRAL_SOURCE_DIR:?set by CTest}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0
passes=0

check() {  # check NAME CONDITION...: record a pass or print the failure
  local name=$1
  shift
  if "$@"; then
    passes=$((passes + 1))
  else
    echo "FAIL: $name"
    failures=$((failures + 1))
  fi
}
run() {  # run ARGS...: runs spiral; sets $out, $err, $code
  "$spiral" "$@" >"$work/.out" 2>"$work/.err"
  code=$?
  out=$(cat "$work/.out")
  err=$(cat "$work/.err")
}
lines() { printf '%s' "$1" | grep -c ''; }
finish() {  # the closing line CTest and CI read; fails the script when a check failed
  echo "$passes passed, $failures failed"
  ((failures == 0))
}

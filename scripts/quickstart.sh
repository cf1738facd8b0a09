#!/usr/bin/env bash
# The README's first command: install what is missing, build, train the quickstart agent, and say
# which files to open. Extra arguments go to `spiral train`; the exit code is spiral train's.
# SPIRAL_BINARY names a built spiral to use instead (then nothing is installed or built).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
spiral=${SPIRAL_BINARY:-}
if [[ -z $spiral ]]; then
  bash scripts/setup.sh
  bash scripts/build.sh build spiral
  spiral=build/spiral
fi
train=("$spiral" train --config inputs/quickstart.cfg "$@")
for arg in "$@"; do
  [[ $arg == --help || $arg == --print-config ]] && exec "${train[@]}"
done
# The resolved configuration: checks the options (a mistake ends here, exit 2) and names the run.
config=$("${train[@]}" --print-config) || exit $?
ini_value() { sed -n "s/^$1 = //p" <<<"$config"; }
run=$(ini_value run-dir)/$(ini_value name)

code=0
"${train[@]}" || code=$?
if ((code != 2)); then  # 2: a mistake (e.g. the run exists), said in one line; nothing written
  shopt -s nullglob
  grids=("$run"/images/*.png)  # <kind>-<update>.png: the last name is the newest grid
  if ((${#grids[@]} > 0)); then
    echo "quickstart: open ${grids[-1]} (held-out digits above the agent's paintings of them)"
  fi
  echo "quickstart: learning curves of $run/metrics.h5:" \
    "/usr/bin/python3 analysis/curves.py $run --out $run/curves.png"
fi
exit "$code"

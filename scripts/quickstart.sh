#!/usr/bin/env bash
# The README's first command: install what is missing, build, and train the quickstart agent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/build.sh build spiral
exec build/spiral train --config inputs/quickstart.cfg "$@"

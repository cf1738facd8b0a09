#!/usr/bin/env bash
# Formats the project's C++ files with clang-format. Usage: bash scripts/format.sh [--check]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.h' '*.cc')
else
  mapfile -t files < <(find include src tests cmake -name '*.h' -o -name '*.cc')
fi
if [[ "${1:-}" == --check ]]; then
  clang-format --dry-run --Werror "${files[@]}"
  echo "format: ${#files[@]} files follow .clang-format"
else
  clang-format -i "${files[@]}"
fi

#!/usr/bin/env bash
# End-to-end tests of `spiral render` and `spiral bench env`.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

png_size() {  # png_size FILE: "WIDTHxHEIGHT" from the PNG header
  local bytes
  bytes=$(od -An -tu1 -j16 -N8 "$1" | tr -s ' ')
  read -r w1 w2 w3 w4 h1 h2 h3 h4 <<<"$bytes"
  echo "$(((w1 << 24) | (w2 << 16) | (w3 << 8) | w4))x$(((h1 << 24) | (h2 << 16) | (h3 << 8) | h4))"
}

cat >painter.json <<'JSON'
{"format": "spiral-program", "version": 1, "environment": "painter",
 "settings": {"grid": 8}, "seed": 3,
 "commands": [[0, 9, 0, 0, 0], [1, 14, 6, 3, 9], [1, 54, 40, 2, 5]]}
JSON
cat >scene.json <<'JSON'
{"format": "spiral-program", "version": 1, "environment": "scene", "settings": {}, "seed": 0,
 "commands": [[0, 1, 136, 2, 3, 0, 0], [0, 0, 120, 1, 0, 3, 0]]}
JSON

"$spiral" render painter.json --out p64.png --svg p.svg >/dev/null
check "painter render exits 0" test $? -eq 0
check "painter render is 64x64" test "$(png_size p64.png)" = 64x64
check "svg has one path per paint" test "$(grep -c '<path ' p.svg)" -eq 2
"$spiral" render --program painter.json --out p256.png --size 256 --brush classic/charcoal >/dev/null
check "re-render at 256 with another brush" test "$(png_size p256.png)" = 256x256
check "another size gives other pixels" test "$(cmp -s p64.png p256.png; echo $?)" -ne 0
"$spiral" render scene.json --out s.png --size 96 >/dev/null
check "scene render is 96x96" test "$(png_size s.png)" = 96x96

expect_refusal() {  # expect_refusal NAME PATTERN ARGS...: exit 2, one line matching, no PNG
  local name=$1 pattern=$2
  shift 2
  rm -f out.png
  "$spiral" render "$@" --out out.png >/dev/null 2>err.txt
  local code=$?
  check "$name: exit 2" test $code -eq 2
  check "$name: one line" test "$(grep -c '' err.txt)" -eq 1
  check "$name: names the problem" grep -q -- "$pattern" err.txt
  check "$name: writes nothing" test ! -e out.png
}
echo '{"format": "spiral-program", "version": 1' >broken.json
expect_refusal "malformed JSON" "broken.json: not valid JSON" broken.json
sed 's/\[1, 14, 6, 3, 9\]/[1, 14, 6, 3, 10]/' painter.json >range.json
expect_refusal "out-of-range command" "range.json: commands\[1\]: command part 'pressure' is 10" \
  range.json
expect_refusal "unknown brush" "brush 'no/such' not found" painter.json --brush no/such
expect_refusal "brush on a scene" "--brush: applies to painter programs only" scene.json \
  --brush classic/charcoal
expect_refusal "missing program" "absent.json" absent.json

# The CSV's folder does not exist yet: bench creates it.
"$spiral" bench env --episodes 3 --renders 5 --csv bench/env.csv >bench.txt 2>&1
check "bench env exits 0" test $? -eq 0
check "bench env reports painter steps/s" grep -Eq '^  ours +[0-9]+ steps/s' bench.txt
check "bench env reports the ratio" grep -Eq '^  ratio +[0-9.]+ x' bench.txt
check "bench env reports scene renders/s" grep -Eq '^  renders +[0-9]+ renders/s' bench.txt
check "bench env writes the CSV" test "$(grep -c '' bench/env.csv)" -eq 5

finish

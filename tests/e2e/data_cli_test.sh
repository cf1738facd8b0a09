#!/usr/bin/env bash
# End-to-end tests of `spiral data`: info on the shipped sets, bad input, scene generation.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

run data --help
check "data --help exits 0" test "$code" -eq 0
check "data --help explains info" grep -q '^  info .*SPEC' <<<"$out"
check "data --help explains generate-scenes" grep -q '^  generate-scenes .*--count N --out' <<<"$out"

run data info --help
check "data info --help exits 0" test "$code" -eq 0
check "data info --help lists --preview" grep -q -- '--preview' <<<"$out"

mnist="mnist:$source_dir/inputs/data/mnist"
run data info "$mnist" --preview "$work/preview.png"
check "info on MNIST exits 0" test "$code" -eq 0
check "info counts 10000 images" grep -qx 'count: 10000' <<<"$out"
check "info gives the shape" grep -qx 'image shape: 28 x 28 x 1 (height x width x channels)' <<<"$out"
check "info gives the value range" grep -q '^value range: 0 to 255 ' <<<"$out"
check "info has 10 histogram lines" test "$(grep -c '^label [0-9]: ' <<<"$out")" -eq 10
check "info histogram: 1028 sevens" grep -qx 'label 7: 1028' <<<"$out"
check "info histogram: 892 fives" grep -qx 'label 5: 892' <<<"$out"
check "info writes the preview PNG" test "$(head -c 4 "$work/preview.png" | tail -c 3)" = "PNG"
check "info reports the split" grep -qx 'split every:10: 9000 train, 1000 held out' <<<"$out"

run data info "omniglot:$source_dir/inputs/data/omniglot/images_background_small2.zip" --scan 100
check "info on an Omniglot zip exits 0" test "$code" -eq 0
check "info counts its 3120 PNGs" grep -qx 'count: 3120' <<<"$out"

run data info imagenet:/data
check "bad spec exits 2" test "$code" -eq 2
check "bad spec: one line" test "$(lines "$err")" -eq 1
check "bad spec: lists the kinds" grep -q "mnist, fashion-mnist, omniglot, celeba, folder, scenes" <<<"$err"

run data info
check "missing spec exits 2" test "$code" -eq 2
check "missing spec: one line" test "$(lines "$err")" -eq 1

mkdir -p "$work/cut"
cp "$source_dir/inputs/data/mnist/t10k-images-idx3-ubyte.gz" "$work/cut/"
head -c 3000 "$source_dir/inputs/data/mnist/t10k-labels-idx1-ubyte.gz" >"$work/cut/t10k-labels-idx1-ubyte.gz"
run data info "mnist:$work/cut"
check "truncated gzip exits 2" test "$code" -eq 2
check "truncated gzip: one line naming the file" test "$(lines "$err")" -eq 1
check "truncated gzip: names the file" grep -q "cut/t10k-labels-idx1-ubyte.gz: truncated gzip" <<<"$err"

mkdir -p "$work/pictures"
printf 'not an image' >"$work/pictures/notes.txt"
run data info "folder:$work/pictures"
check "non-image file exits 2" test "$code" -eq 2
check "non-image file is named" grep -q "notes.txt: not a PNG or JPEG image" <<<"$err"

run data generate-scenes --count 5 --out "$work/scenes.h5" --seed 3
check "generate-scenes exits 0" test "$code" -eq 0
check "generate-scenes writes the file" test -s "$work/scenes.h5"
check "generate-scenes leaves no temporary" test ! -e "$work/scenes.h5.tmp"
check "generate-scenes reports progress" grep -q '5/5 scenes (100%)' <<<"$out"
run data info "scenes:$work/scenes.h5"
check "info on generated scenes exits 0" test "$code" -eq 0
check "info counts the 5 scenes" grep -qx 'count: 5' <<<"$out"
check "info shows the true objects" grep -q '^first image: 0, label .*objects=' <<<"$out"

run data generate-scenes --count 5 --out "$work/absent/scenes.h5"
check "generate-scenes into a missing folder exits 2" test "$code" -eq 2
check "generate-scenes into a missing folder: one line" test "$(lines "$err")" -eq 1
check "generate-scenes into a missing folder wrote nothing" test ! -e "$work/absent"

run data frobnicate
check "unknown action exits 2" test "$code" -eq 2

finish

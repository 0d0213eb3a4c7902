#!/bin/sh
# Regenerates the tiny sentencepiece model used by tst_tokenizers.cpp
# (stories-bpe384.model / .vocab) with Debian's sentencepiece tools, and
# prints the spm_encode ids the test hard-codes. Its output is committed, so
# the test never runs this. 384 pieces: 3 control + 256 byte-fallback pieces
# + the corpus alphabet + merges (300 is too small for the alphabet). The
# identity normalization keeps the model small (no NFKC table).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Relative names: the model records its training paths, and fixed ones make
# the output byte-identical from run to run.
head -c 60000 "$root/resources/corpus/stories-calib.txt" > "$work/slice.txt"
(cd "$work" && spm_train --input=slice.txt --model_prefix=stories-bpe384 \
    --model_type=bpe --vocab_size=384 --byte_fallback=true --num_threads=1 \
    --normalization_rule_name=identity --minloglevel=2)
cp "$work/stories-bpe384.model" "$work/stories-bpe384.vocab" "$here/"

# Expected ids for the sentences checked in the test (one line each).
printf '%s\n' \
    'Once upon a time, there was a little girl named Lily.' \
    'Tim said, "We need to eat it again!"' \
    'The fox was not scared of the fox.' \
    'Zebras jumped over 42 lazy dogs: 😀 café' |
    spm_encode --model="$here/stories-bpe384.model" --output_format=id

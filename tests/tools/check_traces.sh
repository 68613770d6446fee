#!/usr/bin/env bash
# Regenerates every shipped training trace from traces/tables/ with the commands that
# traces/README.md documents, and fails if any differs from the committed file by a byte.
set -euo pipefail
cd "$1"  # the repository root
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
while read -r cmd; do
  out=$(sed -E 's/.* -o ([^ ]+)$/\1/' <<<"$cmd")
  T=traces/tables bash -c "${cmd/ -o $out/ -o $tmp/out.trace}"
  if cmp -s "$tmp/out.trace" "$out"; then
    echo "ok: $out"
  else
    echo "DIFFERS: $out (regenerate with: $cmd)"
    status=1
  fi
done < <(grep '^tools/gen_traces.py ' traces/README.md)
[ "$(grep -c '^tools/gen_traces.py ' traces/README.md)" -ge 7 ] || { echo "no commands found"; exit 1; }
# A table needs no header comment: without its comment lines, the same trace.
mkdir "$tmp/bare"
for t in resnet18_imagenet bert_base; do
  grep -v '^#' "traces/tables/$t.csv" >"$tmp/bare/$t.csv"
done
if tools/gen_traces.py "$tmp/bare/resnet18_imagenet.csv" --batch 32 --name resnet18_train_b32 \
     -o "$tmp/bare.trace" && cmp -s "$tmp/bare.trace" traces/resnet18_train_b32.trace &&
   tools/gen_traces.py "$tmp/bare/bert_base.csv" --batch 1 --seq-len 128 \
     --name bert_base_train_s128 -o "$tmp/bare.trace" &&
   cmp -s "$tmp/bare.trace" traces/bert_base_train_s128.trace; then
  echo "ok: tables without header comments"
else
  echo "DIFFERS: a table without its header comment"; status=1
fi
# Recipes that do not apply are one-line errors with exit code 2 and no output file.
expect_error() {  # expect_error TEXT ARGS...: exit 2, one stderr line holding TEXT
  local text=$1 rc=0
  shift
  tools/gen_traces.py "$@" -o "$tmp/bad.trace" 2>"$tmp/err" || rc=$?
  if [ $rc -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -qF -- "$text" "$tmp/err" ||
    [ -e "$tmp/bad.trace" ]; then
    echo "WRONG ERROR (exit $rc) for: $*"; cat "$tmp/err"; status=1
  else
    echo "ok: error for $*"
  fi
}
expect_error "bert_base.csv: the sun2020 recipe is defined for CNN layer tables" \
  traces/tables/bert_base.csv --recipe sun2020
expect_error "--fp16 and --recipe exclude each other" \
  traces/tables/resnet18_imagenet.csv --fp16 --recipe sun2020
expect_error "argument --recipe: invalid choice" traces/tables/resnet18_imagenet.csv --recipe fp8
exit $status

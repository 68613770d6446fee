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
[ "$(grep -c '^tools/gen_traces.py ' traces/README.md)" -ge 4 ] || { echo "no commands found"; exit 1; }
exit $status

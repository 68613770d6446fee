#!/usr/bin/env bash
# docs/results.md against the code: runs bench/results_sweep.yaml with the built nibble, prints
# the tables with tools/results_tables.py and expects every table line of docs/results.md's
# two tables (the sweep and the layer categories) byte for byte. A change of the model that
# moves a figure fails here until docs/results.md is regenerated (its header says how). Also:
# an unfinished sweep folder gives exit 2 and one line on stderr.
set -euo pipefail
root=$1    # the repository root
nibble=$2  # the built nibble
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$nibble" sweep "$root/bench/results_sweep.yaml" -o "$tmp/sweep" --jobs 2 -q >/dev/null
python3 "$root/tools/results_tables.py" "$tmp/sweep" >"$tmp/tables.md"

# The table lines (those starting with '|') of both, in order: the page has no other tables.
grep '^|' "$tmp/tables.md" >"$tmp/got"
grep '^|' "$root/docs/results.md" >"$tmp/want"
if ! diff -u "$tmp/want" "$tmp/got"; then
  echo "FAILED: docs/results.md's tables differ from the sweep's (regenerate them: see its header)"
  exit 1
fi
echo "ok: $(wc -l <"$tmp/got") table lines of docs/results.md match"

# A folder without sweep.json: exit 2, one line naming it.
mkdir "$tmp/empty"
set +e
python3 "$root/tools/results_tables.py" "$tmp/empty" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
if [[ $rc -ne 2 || -s "$tmp/out" || $(wc -l <"$tmp/err") -ne 1 ]] ||
  ! grep -q "$tmp/empty" "$tmp/err"; then
  echo "FAILED: an empty folder gave exit $rc and stderr: $(cat "$tmp/err")"
  exit 1
fi
echo "ok: an empty folder is exit 2 and one line"

#!/usr/bin/env bash
# tools/plot_sweep.py on a small synthetic sweep.json (2 workloads x 6 points over a numeric
# array.rows and a categorical array.dataflow, plus one failed point): --list names the PNGs,
# the PNGs are written, are PNGs, are not trivially small and are byte-identical on a second
# run; a sweep with no successful point still gives the PNGs; the Pareto front function gives
# hand-derived fronts; a broken sweep.json gives exit 2, one line on stderr naming the file,
# and no PNG (nor any temporary file) in the folder.
set -euo pipefail
root=$1  # the repository root
plot="$root/tools/plot_sweep.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
passes=0
check() {  # check DESCRIPTION COMMAND...: runs COMMAND, counts and reports the outcome
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
    passes=$((passes + 1))
  else
    echo "FAILED: $what"
    failures=$((failures + 1))
  fi
}

pngs=(pareto_speedup_area.png pareto_energy_cycles.png speedup_vs_array_rows.png
      speedup_vs_array_dataflow.png)

write_sweep() {  # write_sweep DIR [all-failed]: the synthetic sweep.json
  mkdir -p "$1"
  python3 - "$1/sweep.json" "${2:-}" <<'EOF'
import hashlib, json, sys

COMPONENTS = ["mac", "accumulate", "scale_unit", "pe_register", "sram", "dram", "pe_idle"]
PE_AREA = 2117.04  # um^2, one 4-bit PE

def energy(total):
    e = {c: total * w for c, w in zip(COMPONENTS, (0.1, 0.08, 0.01, 0.03, 0.18, 0.59, 0.01))}
    e["total"] = total
    return e

def totals(cycles, energy_pj, speedup_area):
    pe_cycles = int(cycles * speedup_area / 2.9)
    area_cycles = int(cycles * speedup_area)
    return {"gemms": 63, "macs": 174151041024, "cycles": cycles, "seconds": cycles / 1e9,
            "utilization": 0.95, "energy_pj": energy(energy_pj),
            "fp16_iso_pe": {"cycles": pe_cycles, "energy_pj": energy(energy_pj * 2.8)},
            "fp16_iso_area": {"cycles": area_cycles, "energy_pj": energy(energy_pj * 4.7)},
            "speedup_iso_pe": pe_cycles / cycles, "speedup_iso_area": area_cycles / cycles,
            "energy_ratio_iso_pe": 2.8, "energy_ratio_iso_area": 4.7}

rows = []
workloads = [("traces/resnet18_train_b32.trace", 1.0), ("traces/bert_base_train_b8.trace", 2.5)]
for workload, scale in workloads:
    for n in ("8", "16", "32"):
        for df in ("ws", "os"):
            pes = int(n) * int(n)
            cycles = int(scale * 1.1e10 / pes * (1.0 if df == "ws" else 1.25))
            energy_pj = scale * 1e12 * (1 + pes / 4096) * (1.0 if df == "ws" else 0.9)
            speedup = 3.0 + 0.01 * int(n) + (0.2 if df == "ws" else -0.1) + 0.3 * scale
            point = hashlib.sha256(f"{workload}/{n}/{df}".encode()).hexdigest()[:12]
            rows.append({"point": point, "workload": workload,
                         "values": {"array.rows": n, "array.dataflow": df}, "status": "ok",
                         "error": None, "run": f"points/{point}", "pe_area_um2": PE_AREA,
                         "pe_array_area_mm2": pes * PE_AREA * 1e-6,
                         "totals": totals(cycles, energy_pj, speedup)})
rows.append({"point": "0123456789ab", "workload": workloads[0][0],
             "values": {"array.rows": "64", "array.dataflow": "is"}, "status": "failed",
             "error": "array.dataflow: unknown dataflow \"is\"", "run": "points/0123456789ab",
             "pe_area_um2": None, "pe_array_area_mm2": None, "totals": None})
if sys.argv[2] == "all-failed":
    for r in rows:
        r.update(status="failed", error="synthetic failure", pe_area_um2=None,
                 pe_array_area_mm2=None, totals=None)
sweep = {"nibble_version": "0.1.0", "points": len(rows),
         "failed": sum(r["status"] == "failed" for r in rows),
         "axes": ["array.rows", "array.dataflow"], "rows": rows}
with open(sys.argv[1], "w") as f:
    f.write(json.dumps(sweep, indent=2) + "\n")
EOF
}

is_png() {  # a file that starts with the 8-byte PNG signature and is over 10 kB
  [ -f "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
    [ "$(stat -c %s "$1")" -gt 10000 ]
}
only_sweep() { [ "$(ls -A "$1")" = sweep.json ]; }
expected_ls=$(printf '%s\n' sweep.json "${pngs[@]}" | LC_ALL=C sort | tr '\n' ' ')
folder_is_expected() { [ "$(ls -A "$1" | LC_ALL=C sort | tr '\n' ' ')" = "$expected_ls" ]; }

# --- --help and --list. ---
write_sweep "$tmp/a"
help_ok() { "$plot" --help | grep -q '^usage: plot_sweep.py'; }
check "--help exits 0 and prints the usage" help_ok
list_ok() { [ "$("$plot" --list "$tmp/a")" = "$(printf '%s\n' "${pngs[@]}")" ]; }
check "--list prints the four PNG names, in order" list_ok
check "--list writes nothing" only_sweep "$tmp/a"

# --- A good sweep: the PNGs, and the same bytes on a second run. ---
check "plot_sweep.py exits 0 on a good sweep" "$plot" "$tmp/a"
for p in "${pngs[@]}"; do
  check "$p is a PNG over 10 kB" is_png "$tmp/a/$p"
done
check "nothing but sweep.json and the four PNGs in the folder" folder_is_expected "$tmp/a"
mkdir "$tmp/first" && cp "$tmp/a"/*.png "$tmp/first/"
write_sweep "$tmp/a"
check "second run, over the first run's PNGs, exits 0" "$plot" "$tmp/a/"
for p in "${pngs[@]}"; do
  check "$p is byte-identical on a second run" cmp "$tmp/first/$p" "$tmp/a/$p"
done
check "... and leaves nothing but sweep.json and the four PNGs" folder_is_expected "$tmp/a"

# --- No successful point: the PNGs are still drawn (empty, with a note). ---
write_sweep "$tmp/empty" all-failed
check "all points failed: exit 0" "$plot" "$tmp/empty"
for p in "${pngs[@]}"; do
  check "all points failed: $p is a PNG over 10 kB" is_png "$tmp/empty/$p"
done
check "all points failed: nothing but sweep.json and the four PNGs" folder_is_expected \
  "$tmp/empty"

# --- No rows at all: the same, with one speedup_vs_ PNG for the one key. ---
mkdir -p "$tmp/zerorows"
echo '{"nibble_version": "0.1.0", "points": 0, "failed": 0, "axes": ["pe.lanes"], "rows": []}' \
  >"$tmp/zerorows/sweep.json"
check "no rows: exit 0" "$plot" "$tmp/zerorows"
for p in pareto_speedup_area.png pareto_energy_cycles.png speedup_vs_pe_lanes.png; do
  check "no rows: $p is a PNG over 10 kB" is_png "$tmp/zerorows/$p"
done

# --- A PNG that cannot be written (a folder in its place): exit 1, one stderr line, no
# temporary file left and no other PNG renamed into place. ---
write_sweep "$tmp/unwritable"
mkdir "$tmp/unwritable/pareto_speedup_area.png"
rc=0
"$plot" "$tmp/unwritable" 2>"$tmp/unwritable.err" || rc=$?
check "unwritable PNG: exit 1 (got $rc)" test "$rc" -eq 1
check "unwritable PNG: one line on stderr naming the tool" \
  test "$(grep -c '^plot_sweep.py: ' "$tmp/unwritable.err")/$(wc -l <"$tmp/unwritable.err")" = 1/1
check "unwritable PNG: nothing but sweep.json and that folder left" \
  test "$(ls -A "$tmp/unwritable" | tr '\n' ' ')" = "pareto_speedup_area.png sweep.json "

# --- The Pareto front, on hand-derived examples (imported without Matplotlib or bytecode). ---
front_ok() {
  PYTHONDONTWRITEBYTECODE=1 python3 - "$root/tools" <<'EOF'
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
from plot_sweep import pareto_front

def front(points, maximize_y):
    return [points[i] for i in pareto_front(points, maximize_y)]

cases = [
    # least x, most y: (3,2) is beaten by (2,3); given out of order
    ([(3, 2), (4, 4), (1, 1), (2, 3)], True, [(1, 1), (2, 3), (4, 4)]),
    # least x, least y: (3,3) is beaten by (2,2), (2,4) by (2,2)
    ([(1, 5), (2, 2), (3, 3), (4, 1), (2, 4)], False, [(1, 5), (2, 2), (4, 1)]),
    # the same points, most y: (2,4) beats (2,2) and (3,3) beats nothing with less x
    ([(1, 5), (2, 2), (3, 3), (4, 1), (2, 4)], True, [(1, 5)]),
    # a tie in x: only the better y is on the front, for either sense of y
    ([(1, 3), (1, 2), (2, 4)], True, [(1, 3), (2, 4)]),
    ([(1, 3), (1, 2), (2, 4)], False, [(1, 2)]),
    # a tie in y: only the lesser x
    ([(5, 7), (3, 7)], True, [(3, 7)]),
    ([(5, 7), (3, 7)], False, [(3, 7)]),
    # fractional values, a dominated point between front points
    ([(0.5, 1.25), (0.75, 1.5), (0.6, 1.1), (1.0, 3.0)], True,
     [(0.5, 1.25), (0.75, 1.5), (1.0, 3.0)]),
    ([(1, 1)], True, [(1, 1)]),
    ([], True, []),
]
bad = 0
for points, maximize_y, want in cases:
    got = front(points, maximize_y)
    if got != want:
        print(f"pareto_front({points}, maximize_y={maximize_y}) = {got}, want {want}")
        bad += 1
# Equal points: the first of them only.
if pareto_front([(2, 2), (1, 1), (1, 1)], False) != [1]:
    print("equal points: want only the first, index 1")
    bad += 1
sys.exit(1 if bad else 0)
EOF
}
check "pareto_front gives the hand-derived fronts" front_ok
check "importing plot_sweep left no __pycache__ in tools/" test ! -e "$root/tools/__pycache__"

# --- Broken sweeps: exit 2, one stderr line naming DIR/sweep.json, no PNG. ---
broken() {  # broken NAME EXPECTED_TEXT [--list]: runs on $tmp/NAME, which holds the broken sweep
  local name=$1 text=$2 dir="$tmp/$1" rc=0
  shift 2
  "$plot" "$@" "$dir" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
  check "$name: exit 2 (got $rc)" test "$rc" -eq 2
  check "$name: one line on stderr" test "$(wc -l <"$tmp/$name.err")" -eq 1
  check "$name: stderr names the file and says '$text'" \
    grep -qF "plot_sweep.py: $dir/sweep.json: $text" "$tmp/$name.err"
  check "$name: nothing on stdout" test ! -s "$tmp/$name.out"
  if [ -e "$dir/sweep.json" ]; then
    check "$name: no PNG or temporary file left" only_sweep "$dir"
  else
    check "$name: no PNG or temporary file left" test -z "$(ls -A "$dir")"
  fi
}
edit_sweep() {  # edit_sweep NAME PYTHON: a good sweep in $tmp/NAME, then PYTHON run on it as s
  write_sweep "$tmp/$1"
  python3 - "$tmp/$1/sweep.json" "$2" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(s, open(sys.argv[1], "w"))
EOF
}
mkdir -p "$tmp/missing"
broken missing "No such file or directory"
mkdir -p "$tmp/invalid" && head -c 300 "$tmp/a/sweep.json" >"$tmp/invalid/sweep.json"
broken invalid "not valid JSON"
edit_sweep norows 'del s["rows"]'
broken norows "missing key rows"
edit_sweep nocycles 'del s["rows"][3]["totals"]["cycles"]'
broken nocycles "missing key rows[3].totals.cycles"
edit_sweep nocycles-list 'del s["rows"][3]["totals"]["cycles"]'
broken nocycles-list "missing key rows[3].totals.cycles" --list
edit_sweep badtype 's["rows"][5]["values"]["array.rows"] = 16'
broken badtype "rows[5].values.array.rows: expected a string"
edit_sweep badstatus 's["rows"][0]["status"] = "done"'
broken badstatus 'rows[0].status: expected "ok" or "failed"'
edit_sweep badcount 's["failed"] = 0'
broken badcount 'failed is 0 but 1 rows have status "failed"'

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]

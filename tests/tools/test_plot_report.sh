#!/usr/bin/env bash
# tools/plot_report.py on a small synthetic report.json (3 GEMMs, 2 passes, the schema of
# model/report/run_report.cc): the three PNGs are written, are PNGs, are not trivially small and
# are byte-identical on a second run; a broken report.json gives exit 2, one line on stderr
# naming the file, and no PNG (nor any temporary file) in the folder.
set -euo pipefail
root=$1  # the repository root
plot="$root/tools/plot_report.py"
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

pngs=(cycles_per_layer.png energy_breakdown.png speedup_per_layer.png)

write_report() {  # write_report DIR: the synthetic report.json, totals summed from its GEMMs
  mkdir -p "$1"
  python3 - "$1/report.json" <<'EOF'
import json, sys

COMPONENTS = ["mac", "accumulate", "scale_unit", "pe_register", "sram", "dram", "pe_idle"]
ARRAYS = ["int4_fp4", "fp16_iso_pe", "fp16_iso_area"]

def energy(values):
    e = dict(zip(COMPONENTS, values))
    e["total"] = sum(values)
    return e

# name, pass, cycles per array, energy (pJ) per array and component
GEMMS = [
    ("conv1.fwd", "fwd", (4000, 4800, 16000),
     [(1e6, 3e6, 5e4, 1.2e6, 9e6, 2.5e7, 9e3), (6e6, 7e6, 5e4, 3e6, 2e7, 6e7, 9e4),
      (6e6, 7e6, 5e4, 3e6, 4e7, 1.1e8, 3e4)]),
    ("fc.fwd", "fwd", (1000, 1200, 4000),
     [(4e5, 1.2e6, 2e4, 5e5, 3e6, 8e6, 4e3), (2.4e6, 2.8e6, 2e4, 1.2e6, 7e6, 2e7, 4e4),
      (2.4e6, 2.8e6, 2e4, 1.2e6, 1.5e7, 4e7, 1.2e4)]),
    ("fc.dgrad", "dgrad", (4000, 5000, 16000),
     [(9e5, 2.8e6, 4.5e4, 1.1e6, 8e6, 3e7, 8e3), (5.4e6, 6.5e6, 4.5e4, 2.8e6, 1.9e7, 8e7, 8.5e4),
      (5.4e6, 6.5e6, 4.5e4, 2.8e6, 3.8e7, 1.5e8, 2.8e4)]),
]

def traffic(i):
    return {"dram_read_bytes": 4096 * (i + 1), "dram_write_bytes": 2048}

def gemm(name, pass_, cycles, energies):
    g = {"name": name, "pass": pass_, "m": 256, "n": 64, "k": 576, "a": "uint4", "b": "int4",
         "out": "fp16", "repeat": 1, "macs": 9437184, "cycles": cycles[0],
         "compute_cycles": cycles[0], "stall_cycles": 0, "utilization": 0.9,
         "bound": "compute", **traffic(0), "tiles": 4, "energy_pj": energy(energies[0])}
    for i, key in enumerate(ARRAYS[1:], 1):
        g[key] = {"cycles": cycles[i], "utilization": 0.9, "bound": "compute", **traffic(i),
                  "energy_pj": energy(energies[i])}
    for i, key in enumerate(ARRAYS[1:], 1):
        g["speedup_" + key[5:]] = cycles[i] / cycles[0]
    for i, key in enumerate(ARRAYS[1:], 1):
        g["energy_ratio_" + key[5:]] = g[key]["energy_pj"]["total"] / g["energy_pj"]["total"]
    return g

def totals(gs):
    def esum(pick):
        return energy([sum(pick(g)[c] for g in gs) for c in COMPONENTS])
    c4 = sum(g["cycles"] for g in gs)
    t = {"gemms": len(gs), "macs": sum(g["macs"] for g in gs), "cycles": c4, "seconds": c4 / 1e9,
         "compute_cycles": c4, "stall_cycles": 0, "utilization": 0.9, **traffic(0),
         "memory_bound_gemms": 0, "energy_pj": esum(lambda g: g["energy_pj"])}
    for i, key in enumerate(ARRAYS[1:], 1):
        t[key] = {"cycles": sum(g[key]["cycles"] for g in gs), "utilization": 0.9,
                  "memory_bound_gemms": 0, **traffic(i),
                  "energy_pj": esum(lambda g: g[key]["energy_pj"])}
    for key in ARRAYS[1:]:
        t["speedup_" + key[5:]] = t[key]["cycles"] / c4
    for key in ARRAYS[1:]:
        t["energy_ratio_" + key[5:]] = t[key]["energy_pj"]["total"] / t["energy_pj"]["total"]
    return t

def array(rows, cols, pe, area):
    return {"rows": rows, "cols": cols, "dataflow": "ws", "pe": pe, "pe_area_um2": area,
            "pe_array_area_mm2": rows * cols * area * 1e-6}

gemms = [gemm(*g) for g in GEMMS]
report = {
    "nibble_version": "0.1.0", "trace": "synthetic.trace", "workload": "synthetic_3gemm",
    "timing_mode": "realistic", "array": {"rows": 32, "cols": 32, "dataflow": "ws"},
    "clock_ghz": 1.0, "energy_table": "builtin", "area_table": "builtin",
    "arrays": {"int4_fp4": array(32, 32, "int4", 1731.0), "fp16_iso_pe": array(32, 32, "fp16", 6303.0),
               "fp16_iso_area": array(16, 16, "fp16", 6303.0)},
    "totals": totals(gemms),
    "passes": {p: totals([g for g in gemms if g["pass"] == p]) for p in ("fwd", "dgrad")},
    "gemms": gemms,
}
with open(sys.argv[1], "w") as f:
    f.write(json.dumps(report, indent=2) + "\n")
EOF
}

is_png() {  # a file that starts with the 8-byte PNG signature and is over 10 kB
  [ -f "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
    [ "$(stat -c %s "$1")" -gt 10000 ]
}
only_report() { [ "$(ls -A "$1")" = report.json ]; }

# --- A good report: three PNGs, and the same bytes on a second run. ---
write_report "$tmp/a"
help_ok() { "$plot" --help | grep -q '^usage: plot_report.py'; }
check "--help exits 0 and prints the usage" help_ok
check "plot_report.py exits 0 on a good report" "$plot" "$tmp/a"
for p in "${pngs[@]}"; do
  check "$p is a PNG over 10 kB" is_png "$tmp/a/$p"
done
check "nothing but report.json and the three PNGs in the folder" \
  test "$(ls -A "$tmp/a" | tr '\n' ' ')" = "cycles_per_layer.png energy_breakdown.png report.json speedup_per_layer.png "
write_report "$tmp/b"
check "second run exits 0" "$plot" "$tmp/b/"
for p in "${pngs[@]}"; do
  check "$p is byte-identical on a second run" cmp "$tmp/a/$p" "$tmp/b/$p"
done

# --- Broken reports: exit 2, one stderr line naming OUTDIR/report.json, no PNG. ---
broken() {  # broken NAME EXPECTED_TEXT: runs on $tmp/NAME, which holds the broken report (or none)
  local dir="$tmp/$1" rc=0
  "$plot" "$dir" >"$tmp/$1.out" 2>"$tmp/$1.err" || rc=$?
  check "$1: exit 2 (got $rc)" test "$rc" -eq 2
  check "$1: one line on stderr" test "$(wc -l <"$tmp/$1.err")" -eq 1
  check "$1: stderr names the file and says '$2'" \
    grep -qF "plot_report.py: $dir/report.json: $2" "$tmp/$1.err"
  check "$1: nothing on stdout" test ! -s "$tmp/$1.out"
  if [ -e "$dir/report.json" ]; then
    check "$1: no PNG or temporary file left" only_report "$dir"
  else
    check "$1: no PNG or temporary file left" test -z "$(ls -A "$dir")"
  fi
}
mkdir -p "$tmp/missing"
broken missing "No such file or directory"
mkdir -p "$tmp/invalid" && head -c 300 "$tmp/a/report.json" >"$tmp/invalid/report.json"
broken invalid "not valid JSON"
write_report "$tmp/nokey"
python3 - "$tmp/nokey/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
del r["gemms"][1]["fp16_iso_area"]["cycles"]
json.dump(r, open(sys.argv[1], "w"))
EOF
broken nokey "missing key gemms[1].fp16_iso_area.cycles"
write_report "$tmp/badtype"
sed -i 's/"workload": "synthetic_3gemm"/"workload": 3/' "$tmp/badtype/report.json"
broken badtype "workload: expected a string"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]

#!/usr/bin/env python3
"""Print the tables of docs/results.md, in Markdown, from a sweep of bench/results_sweep.yaml.

Usage:

    build/nibble sweep bench/results_sweep.yaml -o out/results-sweep
    tools/results_tables.py out/results-sweep > results_tables.md

Reads DIR/sweep.json and each needed point's DIR/<run>/report.json (docs/sweep.md,
docs/reports.md) and prints to stdout:

1. The main table ("The sweep: L = 1, 2, 4, 8, 16 x four workloads x both recipes"): one row
   per trace and lane count L, in docs/results.md's order and number formats. Every column is
   the point at DRAM 64 bytes/cycle, except the last two, the point at DRAM 1024 bytes/cycle.
2. The per-category table ("By layer category"): a category's iso-area speedup is the sum of
   its GEMMs' `fp16_iso_area.cycles` over the sum of their `cycles` (report.json `gemms`).
   The `L = 1`, `L = 4` and `L = 8` cells are "all4 at DRAM 64 / all4 at DRAM 1024"; the last
   cell is sun2020 at L = 4 and DRAM 1024, marked (FP8) or (FP16) when the category's GEMMs
   run in that format there (a GEMM's format is its wider operand's: a, b).
3. The HFP8 table ("Against HFP8"): one row per trace and L = 1, 4, 16: the HFP8 iso-area
   array, and the speedups and energy ratios against the HFP8 arrays (docs/energy.md, "The HFP8
   baseline") at DRAM 64 bytes/cycle, and the iso-area speedup at DRAM 1024.
4. Summary figures that the prose of docs/results.md quotes.

Categories. A GEMM's layer is its trace name without the last dot-separated part (the pass):
`layer3.1.conv2.dgrad` is layer `layer3.1.conv2`, `attn_context.bwd_dP` is `attn_context`.
Every pass of a layer (fwd, dgrad, wgrad) is in the layer's category.

- ResNet-50 (torchvision v1.5 bottlenecks, traces/tables/resnet50_imagenet.csv):
  - 3x3 convolutions: `layerX.Y.conv2` (forward K = 9 x input channels);
  - 1x1 convolutions: `layerX.Y.conv1`, `layerX.Y.conv3`, `layerX.Y.downsample`;
  - first conv (7x7, K = 147): the top-level `conv1`;
  - last FC (M = 32): `fc` (its forward and dgrad GEMMs have M = the batch, 32).
- AlexNet: convolutions after the first, `conv2` to `conv5`; `fc6` and `fc7` (not `conv1` nor
  `fc8`, which sun2020 keeps in FP16).
- BERT-base: attention GEMMs, `attn_scores` and `attn_context` (Q K^T and P V per head,
  128 x 128 x 64, with their gradients `bwd_dQ`, `bwd_dK`, `bwd_dP`, `bwd_dV`); weight GEMMs,
  the others: `qkv_proj`, `attn_out_proj` (the attention output projection, 128 x 768 x 768),
  `ffn1`, `ffn2`.

The sweep must hold one finished point for each of the seven traces x L in 1, 2, 4, 8, 16 x
DRAM bandwidth 64 and 1024, told apart by the trace's file name and the axes `pe.lanes` and
`dram.bandwidth_bytes_per_cycle`; other points are ignored. Any other setting (for example
`timing.tiling` in the spec's `set`) is whatever the sweep ran with.

Exit status: 0 on success; 2 when the folder is missing, not a merged sweep, or lacks a point or
a field the tables need (one line on stderr: `results_tables.py: what`). Standard library only.
"""

import argparse
import json
import os
import sys

PROG = "results_tables.py"

LANES = (1, 2, 4, 8, 16)
DRAM_DEFAULT = 64.0
DRAM_FAST = 1024.0
LANES_AXIS = "pe.lanes"
DRAM_AXIS = "dram.bandwidth_bytes_per_cycle"

# (trace file name without .trace, workload, recipe), in the main table's row order.
TRACES = (
    ("resnet18_train_b32", "ResNet-18", "all4"),
    ("resnet18_train_b32_sun2020", "ResNet-18", "sun2020"),
    ("resnet50_train_b32", "ResNet-50", "all4"),
    ("resnet50_train_b32_sun2020", "ResNet-50", "sun2020"),
    ("alexnet_train_b32", "AlexNet", "all4"),
    ("alexnet_train_b32_sun2020", "AlexNet", "sun2020"),
    ("bert_base_train_s128", "BERT-base", "all4"),
)
WORKLOADS = ("ResNet-18", "ResNet-50", "AlexNet", "BERT-base")


def _resnet_block_layer(layer, convs):
    parts = layer.split(".")
    return len(parts) == 3 and parts[0].startswith("layer") and parts[2] in convs


# BERT's GEMMs between activations (no weights): the attention scores and context, per head.
_BERT_ATTENTION = ("attn_scores", "attn_context")

# (workload, category, does a GEMM's layer belong to it), in the category table's row order.
CATEGORIES = (
    ("ResNet-50", "3x3 convolutions", lambda layer: _resnet_block_layer(layer, ("conv2",))),
    ("ResNet-50", "1x1 convolutions",
     lambda layer: _resnet_block_layer(layer, ("conv1", "conv3", "downsample"))),
    ("ResNet-50", "first conv (7x7, K = 147)", lambda layer: layer == "conv1"),
    ("ResNet-50", "last FC (M = 32)", lambda layer: layer == "fc"),
    ("AlexNet", "convolutions after the first",
     lambda layer: layer in ("conv2", "conv3", "conv4", "conv5")),
    ("AlexNet", "fc6, fc7", lambda layer: layer in ("fc6", "fc7")),
    ("BERT-base", "weight GEMMs", lambda layer: layer not in _BERT_ATTENTION),
    ("BERT-base", "attention GEMMs", lambda layer: layer in _BERT_ATTENTION),
)

MAIN_HEADER = (
    "workload", "recipe", "L", "PE area (um^2)", "FP16 iso-area", "FP16-dot iso-area",
    "4-bit cycles", "util", "mem-bound GEMMs", "speedup iso-PE", "speedup iso-area",
    "speedup dot iso-PE", "speedup dot iso-area", "energy ratio iso-area",
    "energy ratio dot iso-area", "speedup iso-area, DRAM 1024", "speedup dot iso-area, DRAM 1024",
)
HFP8_LANES = (1, 4, 16)
HFP8_HEADER = (
    "workload", "recipe", "L", "HFP8 iso-area", "speedup HFP8 iso-PE", "speedup HFP8 iso-area",
    "energy ratio HFP8 iso-PE", "energy ratio HFP8 iso-area", "speedup HFP8 iso-area, DRAM 1024",
)
CATEGORY_HEADER = ("workload", "category", "`L = 1`", "`L = 4`", "`L = 8`",
                   "`L = 4`, `sun2020`")


class ResultsError(Exception):
    """What is wrong with the sweep folder, in one line."""


def _field(obj, where, *keys, kind=(int, float)):
    """obj[keys[0]][keys[1]]..., checked to be of `kind`; `where` names obj in errors."""
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            raise ResultsError(f"{where}: missing key {key}")
        obj = obj[key]
        where = f"{where}.{key}"
    if not isinstance(obj, kind) or isinstance(obj, bool):
        raise ResultsError(f"{where}: unexpected value {obj!r}")
    return obj


def _load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing") from None
    except (OSError, ValueError) as e:
        raise ResultsError(f"{path}: cannot read: {e}") from None


class Point:
    """One finished point: its sweep.json totals and its report.json."""

    def __init__(self, folder, row, where):
        self.where = where
        self.totals = _field(row, where, "totals", kind=dict)
        self.pe_area_um2 = _field(row, where, "pe_area_um2")
        run = _field(row, where, "run", kind=str)
        self.report_path = os.path.join(folder, run, "report.json")
        self.report = _load_json(self.report_path)

    def total(self, *keys):
        return _field(self.totals, f"{self.where}.totals", *keys)

    def array_size(self, name):
        arrays = _field(self.report, self.report_path, "arrays", kind=dict)
        rows = _field(arrays, f"{self.report_path}: arrays", name, "rows", kind=int)
        cols = _field(arrays, f"{self.report_path}: arrays", name, "cols", kind=int)
        return f"{rows} x {cols}"

    def gemms(self):
        gemms = _field(self.report, self.report_path, "gemms", kind=list)
        out = []
        for i, g in enumerate(gemms):
            where = f"{self.report_path}: gemms[{i}]"
            out.append({
                "layer": _field(g, where, "name", kind=str).rsplit(".", 1)[0],
                "formats": (_field(g, where, "a", kind=str), _field(g, where, "b", kind=str)),
                "cycles": _field(g, where, "cycles", kind=int),
                "fp16_iso_area_cycles": _field(g, where, "fp16_iso_area", "cycles", kind=int),
            })
        return out


def load_sweep(folder):
    """The needed points, {(trace, lanes, dram bandwidth): Point}."""
    if not os.path.isdir(folder):
        raise ResultsError(f"{folder}: no such folder")
    sweep_path = os.path.join(folder, "sweep.json")
    if not os.path.exists(sweep_path):
        if os.path.exists(os.path.join(folder, "plan.json")):
            raise ResultsError(f"{folder}: the sweep is not finished or not merged "
                               "(no sweep.json; run `nibble sweep merge` on it)")
        raise ResultsError(f"{folder}: not a nibble sweep folder (no sweep.json)")
    sweep = _load_json(sweep_path)
    axes = _field(sweep, sweep_path, "axes", kind=list)
    for axis in (LANES_AXIS, DRAM_AXIS):
        if axis not in axes:
            raise ResultsError(f"{sweep_path}: the sweep does not vary {axis} "
                               "(expected bench/results_sweep.yaml's axes)")
    wanted = {name for name, _, _ in TRACES}
    rows = {}
    for i, row in enumerate(_field(sweep, sweep_path, "rows", kind=list)):
        where = f"{sweep_path}: rows[{i}]"
        workload = _field(row, where, "workload", kind=str)
        name = os.path.basename(workload)
        name = name[:-len(".trace")] if name.endswith(".trace") else name
        values = _field(row, where, "values", kind=dict)
        try:
            key = (name, int(_field(values, where + ".values", LANES_AXIS, kind=str)),
                   float(_field(values, where + ".values", DRAM_AXIS, kind=str)))
        except ValueError:
            raise ResultsError(f"{where}: axis values are not numbers: {values}") from None
        if name not in wanted or key[1] not in LANES or key[2] not in (DRAM_DEFAULT, DRAM_FAST):
            continue
        if key in rows:
            raise ResultsError(f"{sweep_path}: more than one point for {describe(key)}")
        if _field(row, where, "status", kind=str) != "ok":
            raise ResultsError(f"{sweep_path}: the point for {describe(key)} failed: "
                               f"{row.get('error') or 'no error line'}")
        rows[key] = (row, where)
    points = {}
    for name, _, _ in TRACES:
        for lanes in LANES:
            for dram in (DRAM_DEFAULT, DRAM_FAST):
                key = (name, lanes, dram)
                if key not in rows:
                    raise ResultsError(f"{sweep_path}: no point for {describe(key)} "
                                       "(run bench/results_sweep.yaml)")
                points[key] = Point(folder, *rows[key])
    return points


def describe(key):
    name, lanes, dram = key
    return f"{name}.trace, pe.lanes {lanes}, DRAM {dram:g} bytes/cycle"


def ratio(v):
    return f"{v:.2f}x"


def markdown_row(cells):
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def markdown_table(header, rows):
    lines = [markdown_row(header), "|" + "---|" * len(header)]
    lines += [markdown_row(r) for r in rows]
    return "\n".join(lines)


def main_table(points):
    rows = []
    for name, workload, recipe in TRACES:
        for lanes in LANES:
            p = points[(name, lanes, DRAM_DEFAULT)]
            fast = points[(name, lanes, DRAM_FAST)]
            rows.append((
                workload, recipe, str(lanes), str(round(p.pe_area_um2)),
                p.array_size("fp16_iso_area"), p.array_size("fp16dot_iso_area"),
                f"{p.total('cycles'):,}", f"{100 * p.total('utilization'):.1f}%",
                f"{p.total('memory_bound_gemms')} / {p.total('gemms')}",
                ratio(p.total("speedup_iso_pe")), ratio(p.total("speedup_iso_area")),
                ratio(p.total("speedup_dot_iso_pe")), ratio(p.total("speedup_dot_iso_area")),
                ratio(p.total("energy_ratio_iso_area")),
                ratio(p.total("energy_ratio_dot_iso_area")),
                ratio(fast.total("speedup_iso_area")), ratio(fast.total("speedup_dot_iso_area")),
            ))
    return markdown_table(MAIN_HEADER, rows)


def hfp8_table(points):
    rows = []
    for name, workload, recipe in TRACES:
        for lanes in HFP8_LANES:
            p = points[(name, lanes, DRAM_DEFAULT)]
            fast = points[(name, lanes, DRAM_FAST)]
            rows.append((
                workload, recipe, str(lanes), p.array_size("hfp8_iso_area"),
                ratio(p.total("speedup_hfp8_iso_pe")), ratio(p.total("speedup_hfp8_iso_area")),
                ratio(p.total("energy_ratio_hfp8_iso_pe")),
                ratio(p.total("energy_ratio_hfp8_iso_area")),
                ratio(fast.total("speedup_hfp8_iso_area")),
            ))
    return markdown_table(HFP8_HEADER, rows)


def precision(formats):
    """A GEMM's arithmetic: the wider of its two operand formats."""
    if any(f.startswith("fp16") for f in formats):
        return "FP16"
    if any(f.startswith("fp8") for f in formats):
        return "FP8"
    return "4-bit"


def category_speedup(point, member, where):
    """(iso-area speedup of the GEMMs whose layer `member` accepts, their precisions)."""
    gemms = [g for g in point.gemms() if member(g["layer"])]
    if not gemms:
        raise ResultsError(f"{point.report_path}: no GEMM of category {where}")
    speedup = sum(g["fp16_iso_area_cycles"] for g in gemms) / sum(g["cycles"] for g in gemms)
    return speedup, {precision(g["formats"]) for g in gemms}


def category_table(points):
    traces = {(workload, recipe): name for name, workload, recipe in TRACES}
    rows = []
    for workload, category, member in CATEGORIES:
        cells = [workload, category]
        all4 = traces[(workload, "all4")]
        for lanes in (1, 4, 8):
            slow, _ = category_speedup(points[(all4, lanes, DRAM_DEFAULT)], member, category)
            fast, _ = category_speedup(points[(all4, lanes, DRAM_FAST)], member, category)
            cells.append(f"{ratio(slow)} / {ratio(fast)}")
        sun = traces.get((workload, "sun2020"))
        if sun is None:
            cells.append("")
        else:
            speedup, kinds = category_speedup(points[(sun, 4, DRAM_FAST)], member, category)
            wide = sorted(kinds - {"4-bit"})
            cells.append(ratio(speedup) + (f" ({'+'.join(wide)})" if wide else ""))
        rows.append(cells)
    return markdown_table(CATEGORY_HEADER, rows)


def value_range(values, fmt=ratio):
    lo, hi = min(values), max(values)
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}-{fmt(hi)}"


def percent(v):
    return f"{100 * v:.1f}%"


def summary(points):
    traces = {(workload, recipe): name for name, workload, recipe in TRACES}
    all4 = [traces[(w, "all4")] for w in WORKLOADS]
    sun = [traces[(w, "sun2020")] for w in WORKLOADS if (w, "sun2020") in traces]
    display = {name: workload for name, workload, _ in TRACES}

    def total(name, lanes, dram, key):
        return points[(name, lanes, dram)].total(key)

    def best(name, dram, key="speedup_iso_area"):
        lanes = max(LANES, key=lambda lanes: total(name, lanes, dram, key))
        return f"{ratio(total(name, lanes, dram, key))} at L = {lanes}"

    def per_workload(names, describe_one):
        return "; ".join(f"{display[n]} {describe_one(n)}" for n in names)

    def spread(names, lanes, dram, key, fmt=ratio):
        return value_range([total(n, lanes, dram, key) for n in names], fmt)

    lines = [
        "- Best iso-area speedup, `all4`, DRAM 64: "
        + per_workload(all4, lambda n: best(n, DRAM_DEFAULT)) + ".",
        "- Iso-area speedup, `all4`, DRAM 1024, over the four workloads: "
        + ", ".join(f"{spread(all4, lanes, DRAM_FAST, 'speedup_iso_area')} at L = {lanes}"
                    for lanes in (4, 8, 16)) + ".",
        "- Best iso-area speedup, `sun2020`: DRAM 64, "
        + per_workload(sun, lambda n: best(n, DRAM_DEFAULT)) + "; DRAM 1024, "
        + per_workload(sun, lambda n: best(n, DRAM_FAST)) + ".",
        "- Dot iso-area speedup, `all4`, L = 4: DRAM 1024, "
        + per_workload(all4, lambda n: ratio(total(n, 4, DRAM_FAST, "speedup_dot_iso_area")))
        + "; DRAM 64, " + spread(all4, 4, DRAM_DEFAULT, "speedup_dot_iso_area") + ".",
        "- Best dot iso-area speedup, DRAM 1024: `all4` "
        + per_workload(all4, lambda n: best(n, DRAM_FAST, "speedup_dot_iso_area"))
        + "; `sun2020` at L = 4, " + spread(sun, 4, DRAM_FAST, "speedup_dot_iso_area") + ".",
        "- Energy ratio, `all4`, DRAM 64: dot iso-area at L = 4, "
        + spread(all4, 4, DRAM_DEFAULT, "energy_ratio_dot_iso_area")
        + "; iso-area over every L, CNNs "
        + value_range([total(n, lanes, DRAM_DEFAULT, "energy_ratio_iso_area")
                       for n in all4 if n != traces[("BERT-base", "all4")] for lanes in LANES])
        + ", BERT-base " + value_range([total(traces[("BERT-base", "all4")], lanes, DRAM_DEFAULT,
                                              "energy_ratio_iso_area") for lanes in LANES])
        + ".",
        "- Utilization, `all4`: L = 8 at DRAM 64, "
        + spread(all4, 8, DRAM_DEFAULT, "utilization", percent) + "; L = 16 at DRAM 1024, "
        + spread(all4, 16, DRAM_FAST, "utilization", percent) + ".",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG, description="Print docs/results.md's tables from a sweep of "
                               "bench/results_sweep.yaml (its output folder).")
    parser.add_argument("folder", help="the sweep folder (`nibble sweep ... -o DIR`)")
    args = parser.parse_args(argv)
    try:
        points = load_sweep(args.folder)
        out = "\n".join([
            "## The sweep: L = 1, 2, 4, 8, 16 x four workloads x both recipes", "",
            main_table(points), "",
            "By layer category (iso-area speedup of the GEMMs of each category, summed cycles; "
            "`all4` at the default memory system / with DRAM at 1024 bytes/cycle; `sun2020` "
            "with DRAM at 1024):", "",
            category_table(points), "",
            "## Against HFP8", "",
            hfp8_table(points), "",
            "Summary:", "",
            summary(points),
        ])
    except ResultsError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

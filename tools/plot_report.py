#!/usr/bin/env python3
"""Plot a `nibble run` report: cycles and speedup per GEMM, energy by component.

Reads OUTDIR/report.json (written by `nibble run -o OUTDIR`; schema in
model/report/run_report.cc, run_report_json) and writes three PNGs into OUTDIR:

  cycles_per_layer.png   per-GEMM cycles: 4-bit and every baseline array (FP16, FP16-dot, HFP8)
  energy_breakdown.png   energy by component, whole run and per pass, every array
  speedup_per_layer.png  per-GEMM speedup (baseline cycles / 4-bit cycles), iso-PE and iso-area,
                         with the run's total speedups and the >7x of Sun et al. 2020

Every field is read by its key name. The whole report is checked before anything is drawn;
the PNGs are written under temporary names in OUTDIR and renamed only once all three are
done, so a failed run leaves no partial PNG (PNGs of an earlier run are left as they were).
Output is deterministic: the same report.json gives byte-identical PNGs (fixed dpi, Matplotlib's
built-in default style whatever the user's matplotlibrc says, no Software/date metadata).

Exit status: 0 on success; 2 when report.json is missing, is not valid JSON, or lacks a field
or has one of the wrong type (one line on stderr: `plot_report.py: OUTDIR/report.json: what`);
1 when a PNG cannot be written. Needs Matplotlib (Debian: python3-matplotlib); run under a
Python that lacks it, the script re-executes itself with /usr/bin/python3 if that has it.

Finding and loading Matplotlib and the writing of the PNGs are tools/plotting.py, shared with
plot_sweep.py and imported from this script's folder (no tools/__pycache__ is written).
"""

import argparse
import json
import math
import os
import sys

# tools/plotting.py, from this script's folder, without writing a tools/__pycache__.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plotting  # noqa: E402

PROG = "plot_report.py"

# The arrays of a run, as they appear in the report (key, legend label, colour). The FP16
# dot-product arrays are there in realistic mode only (docs/reports.md); reports of builds before
# the HFP8 baseline have no HFP8 arrays.
ARRAYS = [
    (None, "4-bit", "#1f77b4"),
    ("fp16_iso_pe", "FP16 iso-PE", "#ff7f0e"),
    ("fp16_iso_area", "FP16 iso-area", "#2ca02c"),
    ("fp16dot_iso_pe", "FP16-dot iso-PE", "#d62728"),
    ("fp16dot_iso_area", "FP16-dot iso-area", "#9467bd"),
    ("hfp8_iso_pe", "HFP8 iso-PE", "#8c564b"),
    ("hfp8_iso_area", "HFP8 iso-area", "#e377c2"),
]
OPTIONAL_ARRAYS = {"fp16dot_iso_pe", "fp16dot_iso_area", "hfp8_iso_pe", "hfp8_iso_area"}
# Energy components in the report's energy_pj objects, bottom of the stack first.
COMPONENTS = [
    ("mac", "MAC", "#4e79a7"),
    ("accumulate", "accumulate", "#f28e2b"),
    ("scale_unit", "scale unit", "#e15759"),
    ("pe_register", "PE registers", "#76b7b2"),
    ("sram", "SRAM", "#59a14f"),
    ("dram", "DRAM", "#edc948"),
    ("pe_idle", "PE idle", "#b07aa1"),
]
# A GEMM's "pass" field ("-" for none) and the keys of "passes" ("none" for none).
PASS_LABEL = {"fwd": "pass fwd", "dgrad": "pass dgrad", "wgrad": "pass wgrad", "-": "no pass",
              "none": "no pass"}
PASS_COLOUR = {"fwd": "#1a6e1a", "dgrad": "#b03a2e", "wgrad": "#6c3483", "-": "#555555",
               "none": "#555555"}
OTHER_PASS_COLOUR = "#808080"
SUN_CLAIM = 7.0
OUTPUTS = ["cycles_per_layer.png", "energy_breakdown.png", "speedup_per_layer.png"]


class ReportError(Exception):
    """What is wrong with report.json, in one line."""


# ---------------------------------------------------------------------------------------------
# Reading and checking the report (no Matplotlib here: a bad report fails fast and quietly).

def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def _get(obj, path, key):
    if not isinstance(obj, dict):
        raise ReportError(f"{path or 'top level'} is not an object")
    if key not in obj:
        where = f"{path}.{key}" if path else key
        raise ReportError(f"missing key {where}")
    return obj[key]


def _obj(obj, path, key):
    v = _get(obj, path, key)
    where = f"{path}.{key}" if path else key
    if not isinstance(v, dict):
        raise ReportError(f"{where}: expected an object, got {_type(v)}")
    return v


def _str(obj, path, key):
    v = _get(obj, path, key)
    if not isinstance(v, str):
        where = f"{path}.{key}" if path else key
        raise ReportError(f"{where}: expected a string, got {_type(v)}")
    return v


def _num(obj, path, key, minimum=None):
    v = _get(obj, path, key)
    where = f"{path}.{key}" if path else key
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ReportError(f"{where}: expected a number, got {_type(v)}")
    if not math.isfinite(v):
        raise ReportError(f"{where}: not a finite number")
    if minimum is not None and v < minimum:
        raise ReportError(f"{where}: {v} is below {minimum}")
    return v


def _type(v):
    if v is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(v), type(v).__name__)


def _energy(obj, path):
    e = _obj(obj, path, "energy_pj")
    p = f"{path}.energy_pj" if path else "energy_pj"
    return {k: _num(e, p, k, 0) for k, _, _ in COMPONENTS} | {"total": _num(e, p, "total", 0)}


def ratio_suffix(key):
    """fp16_iso_pe -> iso_pe, fp16dot_iso_area -> dot_iso_area, hfp8_iso_pe -> hfp8_iso_pe:
    speedup_<suffix> in the report."""
    return key.replace("fp16dot_", "dot_").replace("fp16_", "")


def _totals(t, path, arrays):
    """The parts of a totals object (report "totals" or a "passes" entry) that the plots use."""
    out = {"cycles": {}, "energy": {}}
    for key, _, _ in arrays:
        src = t if key is None else _obj(t, path, key)
        p = path if key is None else f"{path}.{key}"
        out["cycles"][key] = _num(src, p, "cycles", 0)
        out["energy"][key] = _energy(src, p)
        if key is not None:
            for what in ("speedup_", "energy_ratio_"):
                out[what + ratio_suffix(key)] = _num(t, path, what + ratio_suffix(key), 0)
    return out


def load_report(path):
    """Reads and checks report.json; returns the plain data the plots need."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ReportError(e.strerror or str(e)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ReportError("not UTF-8 text") from None
    try:
        r = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as e:
        raise ReportError(f"not valid JSON: {e}") from None
    if not isinstance(r, dict):
        raise ReportError(f"expected a JSON object at the top level, got {_type(r)}")

    rep = {"workload": _str(r, "", "workload"), "timing_mode": _str(r, "", "timing_mode")}
    arrays = _obj(r, "", "arrays")
    rep["arrays"] = {}
    present = [a for a in ARRAYS if a[0] not in OPTIONAL_ARRAYS or a[0] in arrays]
    rep["present"] = present
    for key, _, _ in present:
        name = "int4_fp4" if key is None else key
        a = _obj(arrays, "arrays", name)
        p = f"arrays.{name}"
        rep["arrays"][key] = (int(_num(a, p, "rows", 1)), int(_num(a, p, "cols", 1)),
                              _str(a, p, "dataflow"))
    rep["totals"] = _totals(_obj(r, "", "totals"), "totals", present)
    passes = _obj(r, "", "passes")
    rep["passes"] = [(k, _totals(_obj(passes, "passes", k), f"passes.{k}", present))
                     for k in passes]

    gemms = _get(r, "", "gemms")
    if not isinstance(gemms, list):
        raise ReportError(f"gemms: expected an array, got {_type(gemms)}")
    if not gemms:
        raise ReportError("gemms is empty: nothing to plot")
    rep["gemms"] = []
    for i, g in enumerate(gemms):
        p = f"gemms[{i}]"
        if not isinstance(g, dict):
            raise ReportError(f"{p}: expected an object, got {_type(g)}")
        cycles = {}
        entry = {"name": _str(g, p, "name"), "pass": _str(g, p, "pass"), "cycles": cycles}
        for key, _, _ in present:
            src = g if key is None else _obj(g, p, key)
            cycles[key] = _num(src, p if key is None else f"{p}.{key}", "cycles", 0)
            if key is not None:
                entry["speedup_" + ratio_suffix(key)] = _num(g, p, "speedup_" + ratio_suffix(key), 0)
        rep["gemms"].append(entry)
    return rep


# ---------------------------------------------------------------------------------------------
# Drawing.

def shape(rep, key):
    rows, cols, _ = rep["arrays"][key]
    return f"{rows}x{cols}"


def arrays_line(rep):
    df = rep["arrays"][None][2]
    parts = [f"{label} {shape(rep, key)}" for key, label, _ in rep["present"][1:]]
    return f"4-bit {shape(rep, None)} {df}, " + ", ".join(parts) + f"; {rep['timing_mode']} timing"


def series_label(rep, key, label):
    return f"{label} ({shape(rep, key)})"


def pass_colour(p):
    return PASS_COLOUR.get(p, OTHER_PASS_COLOUR)


def layer_figure(mpl, n, height):
    """A figure wide enough for n GEMM labels side by side."""
    width = max(9.0, 1.6 + 0.19 * n)
    return mpl["Figure"](figsize=(width, height), layout="constrained")


def label_gemms(mpl, ax, gemms):
    """GEMM names under the x axis, coloured by pass, plus a pass legend built from them."""
    n = len(gemms)
    ax.set_xticks(range(n))
    ax.set_xticklabels([g["name"] for g in gemms], rotation=90, fontsize=7)
    for tick, g in zip(ax.get_xticklabels(), gemms):
        tick.set_color(pass_colour(g["pass"]))
    ax.set_xlim(-0.6, n - 0.4)
    ax.tick_params(axis="x", length=2, pad=2)
    # A thin strip just above the x axis, one cell per GEMM in its pass colour.
    trans = ax.get_xaxis_transform()
    for i, g in enumerate(gemms):
        ax.add_patch(mpl["Rectangle"]((i - 0.5, 0), 1.0, 0.015, transform=trans,
                                      facecolor=pass_colour(g["pass"]), edgecolor="none",
                                      zorder=3, clip_on=False))
    # Vertical separators where the run moves between forward, backward and other GEMMs.
    phase = {"fwd": "forward", "dgrad": "backward", "wgrad": "backward"}
    phases = [phase.get(g["pass"], "other") for g in gemms]
    for i in range(1, n):
        if phases[i] != phases[i - 1]:
            ax.axvline(i - 0.5, color="#404040", linewidth=0.9, linestyle="--", zorder=1)
    seen = []
    for g in gemms:
        if g["pass"] not in seen:
            seen.append(g["pass"])
    return [mpl["Patch"](facecolor=pass_colour(p), label=PASS_LABEL.get(p, f"pass {p}"))
            for p in seen]


def legend_columns(fig, entries, entry_width_in):
    """As many legend columns as fit across the figure, at most one row's worth of entries."""
    fit = int((fig.get_figwidth() - 0.8) / entry_width_in)
    rows = math.ceil(entries / max(1, fit))
    return max(1, math.ceil(entries / rows))


def use_log(values):
    pos = [v for v in values if v > 0]
    return bool(pos) and max(pos) / min(pos) > 30


def plot_cycles(mpl, rep):
    gemms = rep["gemms"]
    n = len(gemms)
    fig = layer_figure(mpl, n, 6.2)
    ax = fig.add_subplot()
    arrays = rep["present"]
    width = 0.8 / len(arrays)
    handles = []
    all_values = []
    for j, (key, label, colour) in enumerate(arrays):
        ys = [g["cycles"][key] for g in gemms]
        all_values += ys
        xs = [i + (j - (len(arrays) - 1) / 2) * width for i in range(n)]
        handles.append(ax.bar(xs, ys, width=width, color=colour, linewidth=0, zorder=2,
                              label=series_label(rep, key, label)))
    if use_log(all_values):
        ax.set_yscale("log")
        # Some room below the smallest bar, so that bar stands out from the axis.
        ax.set_ylim(bottom=min(v for v in all_values if v > 0) / 4)
        ax.set_ylabel("cycles per GEMM (log scale)")
    else:
        ax.set_ylabel("cycles per GEMM")
        # Whole numbers with thousands separators, no "1e7" offset text above the axis.
        ax.yaxis.set_major_formatter(mpl["StrMethodFormatter"]("{x:,.0f}"))
    ax.grid(axis="y", which="major", color="#dddddd", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    pass_handles = label_gemms(mpl, ax, gemms)
    ax.set_xlabel("GEMM (report order; label colour = pass; dashed line = forward/backward)")
    t = rep["totals"]
    totals = "; ".join(f"{label} {t['cycles'][key]:,} ({t['speedup_' + ratio_suffix(key)]:.2f}x)"
                       for key, label, _ in arrays[1:])
    fig.suptitle(
        f"{rep['workload']}: cycles per GEMM ({n} GEMMs)\n{arrays_line(rep)}\n"
        f"run total: 4-bit {t['cycles'][None]:,} cycles; {totals}", fontsize=10)
    ax.legend(handles=handles + pass_handles, loc="lower left", bbox_to_anchor=(0.0, 1.0, 1.0, 0),
              ncols=legend_columns(fig, len(handles) + len(pass_handles), 1.75), fontsize=8,
              frameon=False, borderaxespad=0.3)
    return fig


def plot_speedup(mpl, rep):
    gemms = rep["gemms"]
    n = len(gemms)
    fig = layer_figure(mpl, n, 6.2)
    ax = fig.add_subplot()
    baselines = rep["present"][1:]
    width = 0.8 / len(baselines)
    t = rep["totals"]
    handles = []
    values = []
    for j, (key, label, colour) in enumerate(baselines):
        ys = [g["speedup_" + ratio_suffix(key)] for g in gemms]
        values += ys
        xs = [i + (j - (len(baselines) - 1) / 2) * width for i in range(n)]
        handles.append(ax.bar(xs, ys, width=width, color=colour, linewidth=0, zorder=2,
                              label=f"{series_label(rep, key, label)} per GEMM"))
    for key, label, colour in baselines:
        total = t["speedup_" + ratio_suffix(key)]
        handles.append(ax.axhline(total, color=colour, linestyle="--", linewidth=1.4, zorder=4,
                                  label=f"run total {label}: {total:.2f}x"))
    handles.append(ax.axhline(SUN_CLAIM, color="#c00000", linestyle=":", linewidth=1.8, zorder=4,
                              label="Sun et al. 2020 claim (>7x)"))
    top = max(values + [SUN_CLAIM] + [t["speedup_" + ratio_suffix(k)] for k, _, _ in baselines])
    if use_log(values + [SUN_CLAIM]):
        ax.set_yscale("log")
        ax.set_ylabel("baseline cycles / 4-bit cycles (log scale)")
    else:
        ax.set_ylim(0, top * 1.08)
        ax.set_ylabel("baseline cycles / 4-bit cycles")
    ax.grid(axis="y", which="major", color="#dddddd", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    pass_handles = label_gemms(mpl, ax, gemms)
    ax.set_xlabel("GEMM (report order; label colour = pass; dashed line = forward/backward)")
    fig.suptitle(f"{rep['workload']}: speedup of the 4-bit array per GEMM ({n} GEMMs)\n"
                 f"{arrays_line(rep)}", fontsize=10)
    ax.legend(handles=handles + pass_handles, loc="lower left", bbox_to_anchor=(0.0, 1.0, 1.0, 0),
              ncols=legend_columns(fig, len(handles) + len(pass_handles), 2.6), fontsize=8,
              frameon=False, borderaxespad=0.3)
    return fig


def number(v, digits):
    """v with about `digits` significant digits, never in exponent form when v >= 1."""
    if abs(v) >= 10 ** (digits - 1):
        return f"{v:.0f}"
    return f"{v:.{digits}g}"


def energy_unit(max_pj):
    if max_pj >= 1e9:
        return "mJ", 1e-9
    return "µJ", 1e-6


def plot_energy(mpl, rep):
    groups = [("whole run", rep["totals"])] + [
        (PASS_LABEL.get(k, f"pass {k}"), t) for k, t in rep["passes"]]
    ratios = [1.0] + ([max(1.0, 0.75 * len(rep["passes"]))] if rep["passes"] else [])
    per_group = 0.87 * len(rep["present"])  # inches per group of stacks, one per array
    fig = mpl["Figure"](figsize=(max(10.0, 4.2 + per_group * len(rep["passes"]) + 2.2), 10.0),
                        layout="constrained")
    gs = fig.add_gridspec(2, len(ratios), width_ratios=ratios, height_ratios=[1.75, 1.0])
    axes = [fig.add_subplot(gs[0, 0])]
    if rep["passes"]:
        axes.append(fig.add_subplot(gs[0, 1]))
    arrays = rep["present"]
    max_pj = max(t["energy"][key]["total"] for _, t in groups for key, _, _ in arrays)
    unit, scale = energy_unit(max_pj)
    arrays_short = [label.replace(" ", "\n") for _, label, _ in arrays]
    width = 0.8
    for ax, sel in zip(axes, [groups[:1], groups[1:]]):
        xs, xlabels, tops, segments = [], [], [], []
        for gi, (gname, t) in enumerate(sel):
            for j, (key, _, _) in enumerate(arrays):
                x = gi * (len(arrays) + 0.7) + j
                e = t["energy"][key]
                bottom = 0.0
                for comp, clabel, colour in COMPONENTS:
                    v = e[comp] * scale
                    ax.bar(x, v, width=width, bottom=bottom, color=colour, linewidth=0.4,
                           edgecolor="white", zorder=2, label=clabel if (gi, j) == (0, 0) else None)
                    segments.append((x, bottom, v))
                    bottom += v
                total = e["total"] * scale
                note = number(total, 4)
                if key is not None:
                    note += f"\n{t['energy_ratio_' + ratio_suffix(key)]:.2f}x"
                ax.text(x, total, note, ha="center", va="bottom", fontsize=7.5, zorder=5)
                xs.append(x)
                xlabels.append(arrays_short[j])
                tops.append(total)
            if len(sel) == 1 and gname == "whole run":
                continue  # the axes title says it
            mid = gi * (len(arrays) + 0.7) + (len(arrays) - 1) / 2
            ax.annotate(gname, (mid, 0), xycoords=("data", "axes fraction"), xytext=(0, -30),
                        textcoords="offset points", ha="center", va="top", fontsize=9.5,
                        fontweight="bold")
        ax.set_xticks(xs)
        ax.set_xticklabels(xlabels, fontsize=8)
        ymax = max(tops) * 1.18
        ax.set_ylim(0, ymax)
        # The value of each segment tall enough to hold it (the legend names the colours).
        for x, bottom, v in segments:
            if v >= 0.045 * ymax:
                ax.text(x, bottom + v / 2, number(v, 4), ha="center", va="center", fontsize=7,
                        color="#1a1a1a", zorder=5)
        ax.set_ylabel(f"energy ({unit})")
        ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
        ax.set_axisbelow(True)
        ax.set_xlim(-0.7, xs[-1] + 0.7)
    axes[0].set_title("whole run", fontsize=10)
    if len(axes) > 1:
        axes[1].set_title("per pass (own y scale)", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    # The stack order, top component first, so the legend reads like the bars.
    axes[-1].legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0),
                    fontsize=8.5, frameon=False, title="component", title_fontsize=9)
    energy_by_component(fig.add_subplot(gs[1, :]), rep, unit, scale)
    fig.suptitle(f"{rep['workload']}: energy by component ({unit}; above each stack: total, and "
                 f"baseline / 4-bit ratio)\n{arrays_line(rep)}", fontsize=10)
    return fig


def energy_by_component(ax, rep, unit, scale):
    """The whole run's components side by side on a log scale, so the small ones show too."""
    t = rep["totals"]
    arrays = rep["present"]
    width = 0.8 / len(arrays)
    values = []
    for j, (key, label, colour) in enumerate(arrays):
        xs = [i + (j - (len(arrays) - 1) / 2) * width for i in range(len(COMPONENTS))]
        ys = [t["energy"][key][comp] * scale for comp, _, _ in COMPONENTS]
        values += ys
        ax.bar(xs, ys, width=width, color=colour, linewidth=0, zorder=2,
               label=series_label(rep, key, label))
        for x, y in zip(xs, ys):
            if y > 0:
                ax.text(x, y, number(y, 3), ha="center", va="bottom", fontsize=6.5, zorder=5)
    pos = [v for v in values if v > 0]
    if pos:
        ax.set_yscale("log")
        ax.set_ylim(min(pos) / 4, max(pos) * 4)
        ax.set_ylabel(f"energy ({unit}, log scale)")
    else:
        ax.set_ylabel(f"energy ({unit})")
    ax.set_xticks(range(len(COMPONENTS)))
    ax.set_xticklabels([clabel for _, clabel, _ in COMPONENTS], fontsize=8.5)
    ax.set_xlim(-0.6, len(COMPONENTS) - 0.4)
    ax.grid(axis="y", which="major", color="#dddddd", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.set_title("whole run, component by component (log scale)", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False,
              title="array", title_fontsize=9)


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Plot a `nibble run` report: reads OUTDIR/report.json and writes "
                    + ", ".join(OUTPUTS) + " into OUTDIR.",
        epilog="Exit status: 0 done; 2 report.json missing, not JSON, or lacking a field "
               "(one line on stderr, no PNG written); 1 a PNG could not be written. "
               "The same report.json always gives byte-identical PNGs.")
    ap.add_argument("outdir", metavar="OUTDIR", help="output folder of `nibble run -o OUTDIR`")
    args = ap.parse_args(argv)

    report_path = os.path.join(args.outdir, "report.json")
    try:
        rep = load_report(report_path)
    except ReportError as e:
        print(f"{PROG}: {report_path}: {e}", file=sys.stderr)
        return 2

    if not plotting.ensure_matplotlib(PROG, __file__):
        return 1
    mpl = plotting.load_matplotlib()
    plots = [(name, lambda plot=plot: plot(mpl, rep))
             for name, plot in zip(OUTPUTS, (plot_cycles, plot_energy, plot_speedup))]
    return plotting.write_pngs(PROG, args.outdir, plots)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Plot a `nibble sweep` result: Pareto fronts and speedup against each swept key.

Reads DIR/sweep.json (written by `nibble sweep`; one row per accelerator config x workload)
and writes into DIR:

  pareto_speedup_area.png    4-bit array PE area (mm^2) against the iso-area speedup (FP16
                             one-FMA array of the same area cycles / 4-bit cycles), one colour
                             and marker per workload, each workload's Pareto front (least area,
                             most speedup) as a step line with its points ringed and labelled
  pareto_energy_cycles.png   4-bit cycles against 4-bit energy (pJ), each workload's Pareto
                             front (fewest cycles, least energy)
  speedup_vs_<key>.png       one per swept key ('.' in the key becomes '_'): the iso-area
                             speedup of every point against the key's value, numeric when all
                             values are numbers (log2 scale when they span 8x or more),
                             categorical in order of first appearance otherwise; a line through
                             each workload's mean speedup per value

Failed points are not plotted (the titles count them); with no successful point the plots are
still drawn, empty, with a note. `--list` prints the names of the PNGs that would be written,
one per line, and draws nothing.

Every field is read by its key name. The whole sweep.json is checked before anything is drawn;
the PNGs are written under temporary names in DIR and renamed only once all are done, so a
failed run leaves no partial PNG (PNGs of an earlier run are left as they were). Output is
deterministic: the same sweep.json gives byte-identical PNGs (fixed dpi, Matplotlib's built-in
default style whatever the user's matplotlibrc says, no Software/date metadata).

Exit status: 0 on success; 2 when sweep.json is missing, is not valid JSON, or lacks a field or
has one of the wrong type (one line on stderr: `plot_sweep.py: DIR/sweep.json: what`); 1 when a
PNG cannot be written. Needs Matplotlib (Debian: python3-matplotlib) to draw, not for --list;
run under a Python that lacks it, the script re-executes itself with /usr/bin/python3 if that
has it.

Finding and loading Matplotlib and the writing of the PNGs are tools/plotting.py, shared with
plot_report.py and imported from this script's folder (no tools/__pycache__ is written).
"""

import argparse
import json
import math
import os
import re
import sys
import textwrap

# tools/plotting.py, from this script's folder, without writing a tools/__pycache__.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plotting  # noqa: E402

PROG = "plot_sweep.py"

PARETO_SPEEDUP_AREA = "pareto_speedup_area.png"
PARETO_ENERGY_CYCLES = "pareto_energy_cycles.png"
# One colour and marker per workload, in order of first appearance in the rows.
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]
# At most this many front points get a text label on a Pareto plot (they are all ringed).
MAX_FRONT_LABELS = 40
STATUSES = ("ok", "failed")


class SweepError(Exception):
    """What is wrong with sweep.json, in one line."""


# ---------------------------------------------------------------------------------------------
# Reading and checking sweep.json (no Matplotlib here: a bad file fails fast and quietly).

def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def _type(v):
    if v is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(v), type(v).__name__)


def _where(path, key):
    return f"{path}.{key}" if path else key


def _get(obj, path, key):
    if not isinstance(obj, dict):
        raise SweepError(f"{path or 'top level'} is not an object")
    if key not in obj:
        raise SweepError(f"missing key {_where(path, key)}")
    return obj[key]


def _obj(obj, path, key):
    v = _get(obj, path, key)
    if not isinstance(v, dict):
        raise SweepError(f"{_where(path, key)}: expected an object, got {_type(v)}")
    return v


def _list(obj, path, key):
    v = _get(obj, path, key)
    if not isinstance(v, list):
        raise SweepError(f"{_where(path, key)}: expected an array, got {_type(v)}")
    return v


def _str(obj, path, key, nullable=False):
    v = _get(obj, path, key)
    if v is None and nullable:
        return None
    if not isinstance(v, str):
        what = "a string or null" if nullable else "a string"
        raise SweepError(f"{_where(path, key)}: expected {what}, got {_type(v)}")
    return v


def _num(obj, path, key, minimum=None, integer=False):
    v = _get(obj, path, key)
    where = _where(path, key)
    if integer:
        if isinstance(v, bool) or not isinstance(v, int):
            raise SweepError(f"{where}: expected an integer, got {_type(v)}")
    elif isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SweepError(f"{where}: expected a number, got {_type(v)}")
    if not math.isfinite(v):
        raise SweepError(f"{where}: not a finite number")
    if minimum is not None and v < minimum:
        raise SweepError(f"{where}: {v} is below {minimum}")
    return v


def png_name(key):
    """speedup_vs_<key>.png, with '.' (and anything but letters, digits, '-', '_') as '_'."""
    return "speedup_vs_" + re.sub(r"[^A-Za-z0-9_-]", "_", key) + ".png"


def output_names(axes):
    return [PARETO_SPEEDUP_AREA, PARETO_ENERGY_CYCLES] + [png_name(k) for k in axes]


def _row(r, i, axes):
    p = f"rows[{i}]"
    if not isinstance(r, dict):
        raise SweepError(f"{p}: expected an object, got {_type(r)}")
    row = {"point": _str(r, p, "point"), "workload": _str(r, p, "workload")}
    values = _obj(r, p, "values")
    row["values"] = {k: _str(values, f"{p}.values", k) for k in axes}
    status = _str(r, p, "status")
    if status not in STATUSES:
        raise SweepError(f"{p}.status: expected \"ok\" or \"failed\", got \"{status}\"")
    row["status"] = status
    if status == "failed":
        _str(r, p, "error")
        _str(r, p, "run", nullable=True)
        return row
    _str(r, p, "error", nullable=True)
    _str(r, p, "run")
    _num(r, p, "pe_area_um2", 0)
    row["area_mm2"] = _num(r, p, "pe_array_area_mm2", 0)
    t = _obj(r, p, "totals")
    tp = f"{p}.totals"
    row["cycles"] = _num(t, tp, "cycles", 0, integer=True)
    row["energy_pj"] = _num(_obj(t, tp, "energy_pj"), f"{tp}.energy_pj", "total", 0)
    row["speedup"] = _num(t, tp, "speedup_iso_area", 0)
    return row


def load_sweep(path):
    """Reads and checks sweep.json; returns the plain data the plots need."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise SweepError(e.strerror or str(e)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SweepError("not UTF-8 text") from None
    try:
        s = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as e:
        raise SweepError(f"not valid JSON: {e}") from None
    if not isinstance(s, dict):
        raise SweepError(f"expected a JSON object at the top level, got {_type(s)}")

    points = _num(s, "", "points", 0, integer=True)
    failed = _num(s, "", "failed", 0, integer=True)
    axes = _list(s, "", "axes")
    files = {}
    for i, k in enumerate(axes):
        if not isinstance(k, str) or not k:
            raise SweepError(f"axes[{i}]: expected a non-empty string, got {_type(k)}")
        name = png_name(k)
        if name in files:
            raise SweepError(f"axes: \"{files[name]}\" and \"{k}\" would both be plotted "
                             f"to {name}")
        files[name] = k
    rows = [_row(r, i, axes) for i, r in enumerate(_list(s, "", "rows"))]
    if points != len(rows):
        raise SweepError(f"points is {points} but rows has {len(rows)} entries")
    nfailed = sum(r["status"] == "failed" for r in rows)
    if failed != nfailed:
        raise SweepError(f"failed is {failed} but {nfailed} rows have status \"failed\"")
    workloads = []
    for r in rows:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
    return {"axes": axes, "rows": rows, "workloads": workloads, "failed": nfailed}


# ---------------------------------------------------------------------------------------------
# Pareto fronts.

def pareto_front(points, maximize_y):
    """Indices of the points (x, y) on the Pareto front, least x first.

    x is always minimized; y is maximized when maximize_y, else minimized. A point is on the
    front when no other point is at least as good in both and better in one; of points equal
    in both, only the first is kept.
    """
    sign = -1 if maximize_y else 1
    order = sorted(range(len(points)), key=lambda i: (points[i][0], sign * points[i][1], i))
    front = []
    best = None  # the best y (as sign * y, smaller is better) of the points with smaller x
    for i in order:
        y = sign * points[i][1]
        if best is None or y < best:
            front.append(i)
            best = y
    return front


# ---------------------------------------------------------------------------------------------
# Drawing.

def workload_labels(workloads):
    """Short legend labels: file names without .trace when those are unique, else as given."""
    short = [os.path.basename(w) for w in workloads]
    short = [w[:-len(".trace")] if w.endswith(".trace") else w for w in short]
    if len(set(short)) == len(short) and all(short):
        return dict(zip(workloads, short))
    return {w: w for w in workloads}


def style(sweep, w):
    i = sweep["workloads"].index(w)
    return COLOURS[i % len(COLOURS)], MARKERS[(i // len(COLOURS) + i) % len(MARKERS)]


def ok_rows(sweep):
    return [r for r in sweep["rows"] if r["status"] == "ok"]


def counts_line(sweep):
    n = len(sweep["rows"])
    ok = n - sweep["failed"]
    line = f"{n} points ({len(sweep['workloads'])} workloads), {ok} ok"
    if sweep["failed"]:
        line += f", {sweep['failed']} failed (not plotted)"
    return line


def use_log(values):
    """Log scale when the values are all positive and span more than 10x."""
    return bool(values) and min(values) > 0 and max(values) / min(values) > 10


def decade_split(v):
    """(m, e) with v = m x 10^e and m a whole number from 1 to 9, or None for other v."""
    if not v > 0:
        return None
    e = math.floor(math.log10(v) + 1e-9)
    m = v / 10 ** e
    return (round(m), e) if abs(m - round(m)) <= 1e-6 else None


def log_labels(mpl, axis, values):
    """Log axis tick labels: plain numbers for values near 1, m x 10^e otherwise; the 2s and 5s
    between the powers of ten labelled too when the axis spans two decades or less."""
    plain = 1e-3 <= min(values) and max(values) <= 1e4
    few = max(values) / min(values) <= 100

    def label(v, mantissas):
        me = decade_split(v)
        if me is None or me[0] not in mantissas:
            return ""
        m, e = me
        if plain:
            return f"{v:g}"
        return f"$10^{{{e}}}$" if m == 1 else f"${m}\\times10^{{{e}}}$"

    axis.set_major_formatter(mpl["FuncFormatter"](lambda v, _: label(v, (1,))))
    axis.set_minor_formatter(mpl["FuncFormatter"](lambda v, _: label(v, (2, 5) if few else ())))


def no_points_note(ax):
    ax.text(0.5, 0.5, "no successful points to plot", transform=ax.transAxes, ha="center",
            va="center", fontsize=12, color="#808080")


def legend(ax, handles):
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                  frameon=False, title="workload", title_fontsize=9)


def point_label(sweep, r):
    return ",".join(r["values"][k] for k in sweep["axes"])


def plot_pareto(mpl, sweep, x_of, y_of, maximize_y, xlabel, ylabel, title):
    fig = mpl["Figure"](figsize=(10.0, 6.4), layout="constrained")
    ax = fig.add_subplot()
    rows = ok_rows(sweep)
    labels = workload_labels(sweep["workloads"])
    handles = []
    fronts = []
    for w in sweep["workloads"]:
        rs = [r for r in rows if r["workload"] == w]
        if not rs:
            continue
        colour, marker = style(sweep, w)
        pts = [(x_of(r), y_of(r)) for r in rs]
        front = pareto_front(pts, maximize_y)
        handles.append(ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=26, color=colour,
                                  marker=marker, alpha=0.75, linewidths=0, zorder=3,
                                  label=f"{labels[w]} ({len(rs)}; front {len(front)})"))
        fx = [pts[i][0] for i in front]
        fy = [pts[i][1] for i in front]
        ax.step(fx, fy, where="post", color=colour, linewidth=1.4, zorder=2)
        ax.scatter(fx, fy, s=90, facecolors="none", edgecolors=colour, linewidths=1.3, zorder=4)
        fronts += [(pts[i], colour, rs[i]) for i in front]
    xs = [x_of(r) for r in rows]
    ys = [y_of(r) for r in rows]
    if use_log(xs):
        ax.set_xscale("log")
        log_labels(mpl, ax.xaxis, xs)
        xlabel += " (log scale)"
    if use_log(ys):
        ax.set_yscale("log")
        log_labels(mpl, ax.yaxis, ys)
        ylabel += " (log scale)"
    if sweep["axes"] and len(fronts) <= MAX_FRONT_LABELS:
        for (x, y), colour, r in fronts:
            ax.annotate(point_label(sweep, r), (x, y), xytext=(5, 4), textcoords="offset points",
                        fontsize=6.5, color=colour, zorder=5)
    if not rows:
        no_points_note(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(which="major", color="#dddddd", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    legend(ax, handles)
    note = "ringed and joined: each workload's Pareto front"
    if sweep["axes"]:
        note += "; labels: " + ", ".join(sweep["axes"])
    note = "\n".join(textwrap.wrap(note, 120))  # a long axis list in lines the figure holds
    fig.suptitle(f"nibble sweep: {title}\n{counts_line(sweep)}\n{note}", fontsize=10)
    return fig


def plot_speedup_area(mpl, sweep):
    return plot_pareto(mpl, sweep, lambda r: r["area_mm2"], lambda r: r["speedup"], True,
                       "4-bit array PE area (mm$^2$)",
                       "speedup over the FP16 iso-area array",
                       "iso-area speedup against 4-bit array area (front: less area, more "
                       "speedup)")


def plot_energy_cycles(mpl, sweep):
    return plot_pareto(mpl, sweep, lambda r: r["cycles"], lambda r: r["energy_pj"], False,
                       "4-bit cycles", "4-bit energy (pJ)",
                       "energy against cycles (front: fewer cycles, less energy)")


def as_numbers(strings):
    """The strings as finite floats, or None when one is not a number."""
    out = []
    for s in strings:
        try:
            v = float(s)
        except ValueError:
            return None
        if not math.isfinite(v):
            return None
        out.append(v)
    return out


def plot_speedup_vs(mpl, sweep, key):
    # The x positions come from every row, failed ones too, so the axis shows every swept value.
    seen = []
    for r in sweep["rows"]:
        if r["values"][key] not in seen:
            seen.append(r["values"][key])
    numbers = as_numbers(seen) if seen else None
    if numbers is not None:
        position = dict(zip(seen, numbers))
        ticks = sorted(set(numbers))
        # The tick label of a number is the first string that spells it.
        tick_labels = [seen[numbers.index(v)] for v in ticks]
    else:
        position = {s: i for i, s in enumerate(seen)}
        ticks = list(range(len(seen)))
        tick_labels = seen
    width = max(8.0, min(20.0, 3.5 + 0.45 * len(ticks)))
    fig = mpl["Figure"](figsize=(width, 5.8), layout="constrained")
    ax = fig.add_subplot()
    rows = ok_rows(sweep)
    labels = workload_labels(sweep["workloads"])
    handles = []
    for w in sweep["workloads"]:
        rs = [r for r in rows if r["workload"] == w]
        if not rs:
            continue
        colour, marker = style(sweep, w)
        xs = [position[r["values"][key]] for r in rs]
        ys = [r["speedup"] for r in rs]
        ax.scatter(xs, ys, s=24, color=colour, marker=marker, alpha=0.7, linewidths=0, zorder=3)
        by_x = {}
        for x, y in zip(xs, ys):
            by_x.setdefault(x, []).append(y)
        mx = sorted(by_x)
        my = [sum(by_x[x]) / len(by_x[x]) for x in mx]
        handles.append(ax.plot(mx, my, color=colour, marker=marker, markersize=4, linewidth=1.3,
                               zorder=4, label=f"{labels[w]} ({len(rs)}; line: mean)")[0])
    scale = ""
    if numbers is not None and min(numbers) > 0 and max(numbers) / min(numbers) >= 8:
        ax.set_xscale("log", base=2)
        ax.minorticks_off()
        scale = ", log2 scale"
    if numbers is None or len(ticks) <= 24:
        ax.set_xticks(ticks)
        ax.set_xticklabels(tick_labels, rotation=0 if len(ticks) <= 12 else 60, fontsize=8.5)
    if numbers is None:
        ax.set_xlim(-0.6, max(len(ticks), 1) - 0.4)
    ax.axhline(1.0, color="#808080", linestyle="--", linewidth=1.0, zorder=1)
    ys = [r["speedup"] for r in rows]
    if use_log(ys):
        ax.set_yscale("log")
        log_labels(mpl, ax.yaxis, ys)
        ax.set_ylabel("speedup over the FP16 iso-area array (log scale)")
    else:
        ax.set_ylim(0, max(ys + [1.0]) * 1.08)
        ax.set_ylabel("speedup over the FP16 iso-area array")
    if not rows:
        no_points_note(ax)
    kind = "numeric" if numbers is not None else "categorical, in order of first appearance"
    ax.set_xlabel(f"{key} ({kind}{scale})")
    ax.grid(which="major", color="#dddddd", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    legend(ax, handles)
    fig.suptitle(f"nibble sweep: iso-area speedup against {key} (dashed: no speedup)\n"
                 f"{counts_line(sweep)}; each dot a point, other keys varying", fontsize=10)
    return fig


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Plot a `nibble sweep` result: reads DIR/sweep.json and writes "
                    f"{PARETO_SPEEDUP_AREA}, {PARETO_ENERGY_CYCLES} and one "
                    "speedup_vs_<key>.png per swept key into DIR.",
        epilog="Exit status: 0 done; 2 sweep.json missing, not JSON, or lacking a field "
               "(one line on stderr, no PNG written); 1 a PNG could not be written. "
               "The same sweep.json always gives byte-identical PNGs.")
    ap.add_argument("dir", metavar="DIR", help="output folder of `nibble sweep`")
    ap.add_argument("--list", action="store_true",
                    help="print the names of the PNGs that would be written, one per line, "
                         "and draw nothing (sweep.json is still checked)")
    args = ap.parse_args(argv)

    sweep_path = os.path.join(args.dir, "sweep.json")
    try:
        sweep = load_sweep(sweep_path)
    except SweepError as e:
        print(f"{PROG}: {sweep_path}: {e}", file=sys.stderr)
        return 2
    names = output_names(sweep["axes"])
    if args.list:
        for name in names:
            print(name)
        return 0

    if not plotting.ensure_matplotlib(PROG, __file__):
        return 1
    mpl = plotting.load_matplotlib()
    plots = [lambda: plot_speedup_area(mpl, sweep), lambda: plot_energy_cycles(mpl, sweep)]
    plots += [lambda k=k: plot_speedup_vs(mpl, sweep, k) for k in sweep["axes"]]
    return plotting.write_pngs(PROG, args.dir, list(zip(names, plots)))


if __name__ == "__main__":
    sys.exit(main())

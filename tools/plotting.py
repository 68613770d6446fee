"""What the Matplotlib scripts of tools/ share: finding Matplotlib, loading it, writing PNGs.

Used by plot_report.py (the PNGs of `nibble run`) and plot_sweep.py (those of `nibble sweep`);
not a script of its own. The scripts import it from their own folder, with bytecode writing off
so that no tools/__pycache__ appears. Importing this module does not import Matplotlib: a
script checks its input first, so a bad input fails fast even where Matplotlib is missing.

  ensure_matplotlib(prog, script)  True when Matplotlib can be imported; otherwise re-executes
                                   the script under /usr/bin/python3 (once) when that is another
                                   Python, else says so on stderr and returns False
  load_matplotlib()                Matplotlib on the Agg backend with its built-in default
                                   style (whatever a matplotlibrc or MPLRC says) and fixed
                                   extras; returns the classes the scripts draw with, by name
  write_pngs(prog, out_dir, plots) draws and writes the PNGs, renamed into place only once
                                   all are saved; returns the exit status, 0 or 1

The PNGs are deterministic: the same figures give byte-identical files (fixed dpi, fixed
font, no Software or date metadata).
"""

import importlib.util
import os
import sys
import tempfile

DPI = 120
SYSTEM_PYTHON = "/usr/bin/python3"
# Set in the environment of the re-executed script, so that it is re-executed once at most.
REEXEC_ENV = "NIBBLE_PLOT_REEXEC"
# Set over Matplotlib's built-in defaults.
STYLE = {
    "svg.hashsalt": "nibble",
    "path.simplify": True,
    "font.family": "DejaVu Sans",
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
}


def ensure_matplotlib(prog, script):
    """True when this Python has Matplotlib.

    Otherwise, when /usr/bin/python3 exists, is not this Python and this is not already a
    re-execution, replaces this process with `/usr/bin/python3 SCRIPT ARGS...` (this process's
    arguments) and does not return: a pyenv or venv Python often lacks Debian's
    python3-matplotlib. Else prints `PROG: matplotlib is not installed for ...` on stderr and
    returns False.
    """
    if importlib.util.find_spec("matplotlib") is not None:
        return True
    if (os.path.exists(SYSTEM_PYTHON) and os.path.realpath(sys.executable) !=
            os.path.realpath(SYSTEM_PYTHON) and not os.environ.get(REEXEC_ENV)):
        os.environ[REEXEC_ENV] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(script)] + sys.argv[1:])
    print(f"{prog}: matplotlib is not installed for {sys.executable} "
          "(Debian: apt-get install python3-matplotlib, or tools/install-deps.sh)",
          file=sys.stderr)
    return False


def load_matplotlib():
    """Imports and sets up Matplotlib; returns its classes the scripts use, by class name."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    # Matplotlib's built-in defaults, whatever a matplotlibrc or MPLRC says; then fixed extras.
    matplotlib.rcdefaults()
    matplotlib.rcParams.update(STYLE)
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle
    from matplotlib.ticker import FuncFormatter, StrMethodFormatter
    return {"Figure": Figure, "Patch": Patch, "Rectangle": Rectangle,
            "FuncFormatter": FuncFormatter, "StrMethodFormatter": StrMethodFormatter}


def write_pngs(prog, out_dir, plots):
    """Draws and writes OUT_DIR/NAME for each (NAME, DRAW) of plots; DRAW() returns a Figure.

    Each figure is drawn and saved in turn to a temporary file in OUT_DIR (mode 0666 less the
    umask); only once all are saved are they renamed to their names, so a failure to draw or
    save leaves the PNGs of an earlier run as they were. No temporary file is left either way.
    Returns 0, or 1 after one line on stderr (`PROG: FILE: what`) on an OSError.
    """
    umask = os.umask(0)
    os.umask(umask)
    temps = []
    try:
        for name, draw in plots:
            fig = draw()
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            temps.append((tmp, os.path.join(out_dir, name)))
            with os.fdopen(fd, "wb") as f:
                fig.savefig(f, format="png", dpi=DPI, metadata={"Software": None})
            os.chmod(tmp, 0o666 & ~umask)
        for tmp, final in temps:
            os.replace(tmp, final)
        temps = []
    except OSError as e:
        where = e.filename or out_dir
        print(f"{prog}: {where}: {e.strerror or e}", file=sys.stderr)
        return 1
    finally:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return 0

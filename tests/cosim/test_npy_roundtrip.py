#!/usr/bin/python3
"""NumPy files end to end, with Debian's python3-numpy (docs/functional.md, "NumPy files").

NumPy writes the operands (B in Fortran order); a trace `load`s them; `nibble run --functional
--dump` and `nibble cosim --dump` write A, B and the outputs; NumPy reads them back. Checked:
the dumped operands equal what NumPy wrote; the outputs have the documented dtype and shape,
and zlib's CRC-32 of their bytes is the CRC nibble reports (report.json, cosim.csv); the model's
and the RTL's outputs are equal, and equal to `nibble run`'s; a dumped operand loads back to the
same result. Usage: test_npy_roundtrip.py NIBBLE BUILT_ARRAYS (comma-separated, as
NIBBLE_RTL_ARRAYS); the cosim part needs 8x8 (one lane) built.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import zlib

import numpy as np


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED: {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def check(cond, what):
    if not cond:
        sys.exit(f"FAILED: {what}")


def main():
    nibble, arrays = sys.argv[1], sys.argv[2].split(",")
    tmp = tempfile.mkdtemp(prefix="nibble_npy_")
    rng = np.random.default_rng(7)
    a = rng.integers(0, 16, size=(9, 13), dtype=np.uint8)
    b = np.asfortranarray(rng.integers(0, 16, size=(13, 6), dtype=np.uint8))
    np.save(os.path.join(tmp, "a.npy"), a)
    np.save(os.path.join(tmp, "b.npy"), b)
    trace = os.path.join(tmp, "t.trace")
    with open(trace, "w") as f:
        f.write("nibble-trace 1\n"
                "gemm g/1 m=9 n=6 k=13 a=int4 b=int4 out=fp16\n"
                "gemm g2 m=9 n=6 k=13 a=fp4:p0 b=int4 out=int4\n"
                "load g/1 a=a.npy b=b.npy\n"
                "load g2 a=a.npy b=b.npy\n")
    small = ["--set", "array.rows=8", "--set", "array.cols=8", "--set", "pe.lanes=1"]

    # nibble run: A, B and the output of each GEMM.
    run(nibble, "run", "-q", "--no-plots", "--engine", "systemc", "--functional", "--trace", trace,
        *small, "-o", os.path.join(tmp, "run"), "--dump", os.path.join(tmp, "run-dump"))
    report = json.load(open(os.path.join(tmp, "run", "report.json")))
    dump = os.path.join(tmp, "run-dump")
    with open(os.path.join(dump, "index.csv")) as f:
        index = list(csv.DictReader(f))
    check([r["stem"] for r in index] == ["000_g_1", "001_g2"], f"index.csv stems: {index}")
    outs = {}
    for i, (row, dtype) in enumerate(zip(index, (np.float16, np.uint8))):
        stem = os.path.join(dump, row["stem"])
        check(np.array_equal(np.load(stem + ".a.npy"), a), f"{stem}.a.npy differs from A")
        check(np.array_equal(np.load(stem + ".b.npy"), b), f"{stem}.b.npy differs from B")
        out = np.load(stem + ".out.npy")
        check(out.dtype == dtype and out.shape == (9, 6), f"{stem}.out.npy: {out.dtype} {out.shape}")
        crc = f"0x{zlib.crc32(out.astype(out.dtype.newbyteorder('<')).tobytes()):08x}"
        check(crc == report["gemms"][i]["output_crc"],
              f"{stem}.out.npy: CRC {crc}, report.json {report['gemms'][i]['output_crc']}")
        if dtype == np.uint8:
            check(int(out.max()) < 16, f"{stem}.out.npy: a code above 15")
        outs[row["gemm"]] = out

    # A dumped operand loads back: the same output.
    again = os.path.join(tmp, "again.trace")
    with open(again, "w") as f:
        f.write("nibble-trace 1\ngemm g/1 m=9 n=6 k=13 a=int4 b=int4 out=fp16\n"
                f"load g/1 a={dump}/000_g_1.a.npy b={dump}/000_g_1.b.npy\n")
    run(nibble, "run", "-q", "--no-plots", "--engine", "systemc", "--functional", "--trace", again,
        *small, "-o", os.path.join(tmp, "again"))
    crc_again = json.load(open(os.path.join(tmp, "again", "report.json")))["gemms"][0]["output_crc"]
    check(crc_again == report["gemms"][0]["output_crc"], "a dumped operand gave another output")

    # nibble cosim: the model's and the RTL's outputs, equal to each other and to nibble run's.
    if "8x8" not in arrays:
        print("ok (nibble run); cosim part skipped: 8x8 not built")
        return
    run(nibble, "cosim", "-q", "--trace", trace, *small, "-o", os.path.join(tmp, "cosim"),
        "--dump", os.path.join(tmp, "cosim-dump"))
    with open(os.path.join(tmp, "cosim", "cosim.csv")) as f:
        rows = list(csv.DictReader(f))
    for i, row in enumerate(index):
        stem = os.path.join(tmp, "cosim-dump", row["stem"])
        model, rtl = np.load(stem + ".model.npy"), np.load(stem + ".rtl.npy")
        check(np.array_equal(model.view(np.uint16) if model.dtype == np.float16 else model,
                             rtl.view(np.uint16) if rtl.dtype == np.float16 else rtl),
              f"{stem}: model and RTL outputs differ")
        check(model.dtype == outs[row["gemm"]].dtype and
              np.array_equal(model.view(np.uint8), outs[row["gemm"]].view(np.uint8)),
              f"{stem}.model.npy differs from nibble run's output")
        crc = f"0x{zlib.crc32(rtl.tobytes()):08x}"
        check(crc == rows[i]["rtl_crc"], f"{stem}.rtl.npy: CRC {crc}, cosim.csv {rows[i]['rtl_crc']}")
    print("ok")


if __name__ == "__main__":
    main()

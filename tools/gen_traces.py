#!/usr/bin/env python3
"""Generate a nibble training trace (.trace) from a workload table.

The tables are the project's shared workload tables (CSV): per-image CNN layer tables with the
three training GEMMs per layer (fwd_M .. wgrad_K, macs_per_image), and the BERT table with one
row per GEMM shape (seq_len, op, pass, M, N, K, count, layers, macs_per_sequence). The batch
scaling rule is the one the shipped tables' header comments state (below); this tool checks every
row against it (the batch-carrying dimensions equal the output pixels or the sequence length), checks
every row's shape against its MAC count, and checks that the trace's total MACs equal the table's
MACs times the batch (times 3 passes for CNNs). A table's header comment is not needed.

The trace format and the precision choices are documented in docs/trace-format.md.
Python 3 standard library only.
"""

import argparse
import csv
import os
import re
import sys

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
NAME_RE = re.compile(r"[A-Za-z0-9_.:/+-]+\Z")

# The batch rules, as the shipped tables' header comments state them: CNN tables, "Multiply fwd_M
# and dgrad_M by batch N, wgrad_K by batch N."; the BERT table, "For batch B multiply M of
# fwd/dgrad weight GEMMs and K of wgrad by B; multiply count of attention GEMMs by B." The rows
# are checked against them (cnn_gemms, bert_gemms), so a table needs no comment.

CNN_COLUMNS = ["layer", "groups", "out_h", "out_w", "fwd_M", "fwd_N", "fwd_K", "dgrad_M",
               "dgrad_N", "dgrad_K", "wgrad_M", "wgrad_N", "wgrad_K", "macs_per_image"]
BERT_COLUMNS = ["seq_len", "op", "pass", "M", "N", "K", "count", "layers", "macs_per_sequence"]

# Operand formats of the 4-bit trace, after Sun et al. (NeurIPS 2020): weights INT4,
# activations INT4/UINT4, gradients radix-4 FP4 quantized twice by two-phase rounding (phase 0
# for the GEMM that propagates the gradient, phase 1 for the one that computes the weight
# gradient). Every GEMM writes FP16: its result goes on to FP16 vector work (batch norm, ReLU,
# residual adds, softmax, layer norm, col2im sums, the optimizer) before anything is quantized
# again. Values: (a, b, out, trace pass).
CNN_FORMATS = {
    "fwd": ("uint4", "int4", "fp16", "fwd"),      # Y = X * W, X post-ReLU (>= 0)
    "dgrad": ("fp4:p0", "int4", "fp16", "dgrad"),  # dX = dY * W^T
    "wgrad": ("uint4", "fp4:p1", "fp16", "wgrad"),  # dW = X^T * dY
}
# BERT's activations are signed (layer norm outputs, attention context, GELU), so INT4; the
# softmax probabilities P are in [0, 1], so UINT4. Keys: (op, table pass); "weight" stands for
# every op with a weight matrix. The attention backward GEMMs that contract over the forward N
# (dQ, dP) play dgrad's role, those that contract over the tokens (dK, dV) play wgrad's.
BERT_FORMATS = {
    ("weight", "fwd"): ("int4", "int4", "fp16", "fwd"),
    ("weight", "dgrad"): ("fp4:p0", "int4", "fp16", "dgrad"),
    ("weight", "wgrad"): ("int4", "fp4:p1", "fp16", "wgrad"),
    ("attn_scores", "fwd"): ("int4", "int4", "fp16", "fwd"),          # S = Q * K^T
    ("attn_scores", "bwd_dQ"): ("fp4:p0", "int4", "fp16", "dgrad"),   # dQ = dS * K
    ("attn_scores", "bwd_dK"): ("fp4:p1", "int4", "fp16", "wgrad"),   # dK = dS^T * Q
    ("attn_context", "fwd"): ("uint4", "int4", "fp16", "fwd"),        # C = P * V
    ("attn_context", "bwd_dP"): ("fp4:p0", "int4", "fp16", "dgrad"),  # dP = dC * V^T
    ("attn_context", "bwd_dV"): ("uint4", "fp4:p1", "fp16", "wgrad"),  # dV = P^T * dC
}
ATTENTION_OPS = {"attn_scores", "attn_context"}
FP16_FORMATS = ("fp16", "fp16", "fp32")

# The recipe `sun2020` (docs/trace-format.md, "Precision recipes"): the layers Sun et al. keep
# above 4 bits. The 1x1 convolutions run in hybrid FP8 (forward E4M3, gradients E5M2, as in Sun
# et al., NeurIPS 2019), as Chmiel et al. (LUQ, ICLR 2023) report of Sun et al. 2020; the first
# and the last layer in FP16, the convention of IBM's reduced-precision training papers.
RECIPES = ("all4", "sun2020")
HFP8_FORMATS = {
    "fwd": ("fp8_e4m3", "fp8_e4m3", "fp16", "fwd"),      # X, W in E4M3
    "dgrad": ("fp8_e5m2", "fp8_e4m3", "fp16", "dgrad"),  # dY in E5M2, W in E4M3
    "wgrad": ("fp8_e4m3", "fp8_e5m2", "fp16", "wgrad"),  # X in E4M3, dY in E5M2
}
EDGE_FORMATS = {p: ("fp16", "fp16", "fp16", p) for p in ("fwd", "dgrad", "wgrad")}

CNN_PRECISION = """\
# Precision (after Sun et al., NeurIPS 2020; docs/trace-format.md):
#   fwd    Y  = X * W     a=uint4   b=int4    out=fp16  X: activations (post-ReLU), W: weights
#   dgrad  dX = dY * W^T  a=fp4:p0  b=int4    out=fp16  dY: the gradient, TPR phase 0
#   wgrad  dW = X^T * dY  a=uint4   b=fp4:p1  out=fp16  dY: the same gradient, TPR phase 1
#   The first layer's input image is uint4 too (raw pixel levels; the input normalization is
#   folded into conv1). Every layer is 4-bit, the first and last included: Sun et al. keep
#   some layers at higher precision, which a trace expresses by editing a= and b= of a line.
#   Outputs are fp16: batch norm, ReLU, residual adds and col2im sums run on FP16 before the
#   next quantization, and dW goes to the FP32 optimizer.
#   Order: forward layer by layer, then backward from the last layer (dgrad, wgrad)."""

BERT_PRECISION = """\
# Precision (after Sun et al., NeurIPS 2020; docs/trace-format.md):
#   weight GEMMs  fwd a=int4 b=int4   dgrad a=fp4:p0 b=int4   wgrad a=int4 b=fp4:p1
#   attention     S = Q K^T    a=int4  b=int4   dQ = dS K    a=fp4:p0 b=int4
#                 dK = dS^T Q  a=fp4:p1 b=int4
#                 C = P V      a=uint4 b=int4   dP = dC V^T  a=fp4:p0 b=int4
#                 dV = P^T dC  a=uint4 b=fp4:p1
#   Activations are int4 (layer norm, context and GELU outputs are signed); the softmax
#   probabilities P are uint4. Every output is fp16 (softmax, layer norm, GELU, residual adds
#   and the optimizer run on FP16). repeat = count * layers (* batch for attention GEMMs).
#   Order: forward by op, then backward from the last op; each line stands for all layers."""

SUN2020_PRECISION = """\
# Precision, recipe sun2020 (the layers Sun et al., NeurIPS 2020, keep above 4 bits;
# docs/trace-format.md, "Precision recipes"):
#   4-bit layers  fwd a=uint4 b=int4   dgrad a=fp4:p0 b=int4   wgrad a=uint4 b=fp4:p1
#   1x1 convs     fwd a=fp8_e4m3 b=fp8_e4m3   dgrad a=fp8_e5m2 b=fp8_e4m3
#                 wgrad a=fp8_e4m3 b=fp8_e5m2 (hybrid FP8)
#   first and last layer  a=fp16 b=fp16 (every pass)
#   Every output is fp16. Order: forward layer by layer, then backward from the last layer."""

FP16_PRECISION = """\
# Precision: FP16 baseline, every GEMM a=fp16 b=fp16 out=fp32 (FP32 accumulation)."""


class TableError(Exception):
    """A workload table that this tool cannot turn into a trace, with the reason."""


class Gemm:
    """One trace line."""

    def __init__(self, name, m, n, k, formats, repeat=1):
        self.name = name
        self.m, self.n, self.k = m, n, k
        self.a, self.b, self.out, self.pass_ = formats
        self.repeat = repeat

    def macs(self):
        return self.m * self.n * self.k * self.repeat

    def line(self):
        return (f"gemm {self.name} m={self.m} n={self.n} k={self.k} a={self.a} b={self.b} "
                f"out={self.out} pass={self.pass_} repeat={self.repeat}")


def read_table(path):
    """Returns (header comment, rows as dicts) of a CSV whose first lines may be '#' comments."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise TableError(f"cannot read {path}: {e.strerror}") from e
    comment = []
    while lines and lines[0].startswith("#"):
        comment.append(lines.pop(0).lstrip("#").strip())
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise TableError(f"{path}: no header row") from None
    rows = []
    for number, values in enumerate(reader, start=len(comment) + 2):
        if not values:
            continue
        if len(values) != len(header):
            raise TableError(f"{path}:{number}: {len(values)} columns, header has {len(header)}")
        rows.append((number, dict(zip(header, values))))
    if not rows:
        raise TableError(f"{path}: no data rows")
    return " ".join(comment), header, rows


def integer(path, number, row, column):
    text = row[column]
    if not re.fullmatch(r"[0-9]+", text):
        raise TableError(f"{path}:{number}: column {column}: expected an integer, got '{text}'")
    return int(text)


def require_name(path, number, name):
    if not NAME_RE.match(name):
        raise TableError(f"{path}:{number}: '{name}' is not a valid trace name")


def layer_formats(recipe, first, last, row):
    """The formats of a CNN layer's three GEMMs under a recipe (docs/trace-format.md)."""
    if recipe == "sun2020":
        if first or last:
            return EDGE_FORMATS
        if row.get("type") == "conv" and row.get("kh") == "1" and row.get("kw") == "1":
            return HFP8_FORMATS
    return CNN_FORMATS


def cnn_gemms(path, rows, batch, fp16, recipe="all4"):
    """The fwd, dgrad and wgrad GEMMs of every layer, scaled to the batch, and the table's MACs
    for that batch."""
    if recipe != "all4":
        for column in ("type", "kh", "kw"):
            if column not in rows[0][1]:
                raise TableError(f"{path}: the {recipe} recipe needs the column {column}")
    forward, backward = [], []
    expected = 0
    for index, (number, row) in enumerate(rows):
        layer = row["layer"]
        require_name(path, number, layer)
        value = {c: integer(path, number, row, c) for c in CNN_COLUMNS if c != "layer"}
        if value["groups"] != 1:
            raise TableError(f"{path}:{number}: layer {layer}: grouped convolutions "
                             f"(groups={value['groups']}) are not supported")
        macs = value["macs_per_image"]
        pixels = value["out_h"] * value["out_w"]
        # The batch multiplies the output-pixel dimension, which must be the one the rule names.
        for column in ("fwd_M", "dgrad_M", "wgrad_K"):
            if value[column] != pixels:
                raise TableError(f"{path}:{number}: layer {layer}: {column}={value[column]} is "
                                 f"not out_h*out_w={pixels}")
        shapes = {}
        for p in ("fwd", "dgrad", "wgrad"):
            m, n, k = value[p + "_M"], value[p + "_N"], value[p + "_K"]
            if m * n * k != macs:
                raise TableError(f"{path}:{number}: layer {layer}: {p} M*N*K={m * n * k} is not "
                                 f"macs_per_image={macs}")
            shapes[p] = (m * batch, n, k) if p != "wgrad" else (m, n, k * batch)
        expected += macs * batch * 3

        table = layer_formats(recipe, index == 0, index == len(rows) - 1, row)

        def gemm(p):
            formats = FP16_FORMATS + (p,) if fp16 else table[p]
            return Gemm(f"{layer}.{p}", *shapes[p], formats)

        forward.append(gemm("fwd"))
        backward.append([gemm("dgrad"), gemm("wgrad")])
    gemms = forward + [g for layer in reversed(backward) for g in layer]
    return gemms, expected


def bert_gemms(path, rows, batch, seq_len, fp16):
    """The GEMMs of one training step on `batch` sequences of length seq_len, and the table's
    MACs for that batch."""
    lengths = sorted({integer(path, n, r, "seq_len") for n, r in rows})
    if seq_len is None:
        if len(lengths) != 1:
            raise TableError(f"{path}: the table has sequence lengths "
                             f"{', '.join(map(str, lengths))}: choose one with --seq-len")
        seq_len = lengths[0]
    if seq_len not in lengths:
        raise TableError(f"{path}: no rows for --seq-len {seq_len} (the table has "
                         f"{', '.join(map(str, lengths))})")
    forward, backward = [], {}
    op_order = []
    expected = 0
    for number, row in rows:
        if integer(path, number, row, "seq_len") != seq_len:
            continue
        op, table_pass = row["op"], row["pass"]
        require_name(path, number, f"{op}.{table_pass}")
        m, n, k, count, layers, macs = (integer(path, number, row, c)
                                        for c in ("M", "N", "K", "count", "layers",
                                                  "macs_per_sequence"))
        if m * n * k * count * layers != macs:
            raise TableError(f"{path}:{number}: {op} {table_pass}: M*N*K*count*layers="
                             f"{m * n * k * count * layers} is not macs_per_sequence={macs}")
        kind = op if op in ATTENTION_OPS else "weight"
        if (kind, table_pass) not in BERT_FORMATS:
            raise TableError(f"{path}:{number}: op {op} pass {table_pass}: no precision rule "
                             "for this GEMM (see BERT_FORMATS)")
        repeat = count * layers
        if kind in ATTENTION_OPS:
            repeat *= batch
        elif table_pass == "wgrad":
            if k != seq_len:
                raise TableError(f"{path}:{number}: {op} wgrad: K={k} is not seq_len={seq_len}")
            k *= batch
        else:
            if m != seq_len:
                raise TableError(f"{path}:{number}: {op} {table_pass}: M={m} is not "
                                 f"seq_len={seq_len}")
            m *= batch
        expected += macs * batch
        formats = BERT_FORMATS[(kind, table_pass)]
        if fp16:
            formats = FP16_FORMATS + (formats[3],)
        g = Gemm(f"{op}.{table_pass}", m, n, k, formats, repeat)
        if table_pass == "fwd":
            forward.append(g)
        else:
            if op not in backward:
                op_order.append(op)
                backward[op] = []
            backward[op].append(g)
    gemms = forward + [g for op in reversed(op_order) for g in backward[op]]
    return gemms, expected, seq_len


def check_gemms(gemms):
    """The trace format's limits (docs/trace-format.md), so that the trace always parses."""
    names = set()
    total = 0
    for g in gemms:
        if g.name in names:
            raise TableError(f"two GEMMs are named {g.name}")
        names.add(g.name)
        for field in ("m", "n", "k", "repeat"):
            value = getattr(g, field)
            if not 1 <= value <= INT32_MAX:
                raise TableError(f"gemm {g.name}: {field}={value} is out of range [1, {INT32_MAX}]")
        if g.macs() > INT64_MAX:
            raise TableError(f"gemm {g.name}: m*n*k*repeat overflows int64")
        total += g.macs()
    if total > INT64_MAX:
        raise TableError("the total MACs overflow int64")
    return total


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (no usage block), exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv=None):
    parser = OneLineParser(
        description="Write a nibble training trace (.trace) for one workload table: every "
        "layer's fwd, dgrad and wgrad GEMMs (CNN tables) or every GEMM of the BERT table, scaled "
        "to the batch (docs/trace-format.md).")
    parser.add_argument("table", help="workload table CSV (CNN per-image layer table or the "
                        "BERT GEMM table)")
    parser.add_argument("--batch", type=int, default=None,
                        help="images (CNN, default 32) or sequences (BERT, default 1) per step")
    parser.add_argument("--seq-len", type=int, default=None,
                        help="BERT: which sequence length of the table (required if the table "
                        "has several)")
    parser.add_argument("--fp16", action="store_true",
                        help="the FP16 baseline: every GEMM a=fp16 b=fp16 out=fp32")
    parser.add_argument("--recipe", choices=RECIPES, default="all4",
                        help="precision recipe: all4 (every GEMM 4-bit, the default) or sun2020 "
                        "(CNN tables: the 1x1 convolutions in hybrid FP8, the first and last "
                        "layer in FP16; docs/trace-format.md)")
    parser.add_argument("--name", default=None,
                        help="workload name (default: "
                        "<table>_train[_s<seq>]_b<batch>[_<recipe>][_fp16])")
    parser.add_argument("-o", "--output", default=None, help="output file (default: stdout)")
    args = parser.parse_args(argv)
    if args.batch is not None and args.batch < 1:
        parser.error("--batch must be at least 1")
    if args.seq_len is not None and args.seq_len < 1:
        parser.error("--seq-len must be at least 1")
    if args.fp16 and args.recipe != "all4":
        parser.error("--fp16 and --recipe exclude each other (the FP16 baseline has one format)")

    try:
        _, header, rows = read_table(args.table)
        table = os.path.basename(args.table)
        stem = os.path.splitext(table)[0]
        if all(c in header for c in CNN_COLUMNS):
            batch = 32 if args.batch is None else args.batch
            gemms, expected = cnn_gemms(args.table, rows, batch, args.fp16,
                                        args.recipe)
            default_name = f"{stem}_train_b{batch}"
            what = f"one training step, batch {batch} images"
            precision = CNN_PRECISION if args.recipe == "all4" else SUN2020_PRECISION
            rule = f"# Table MACs: sum(macs_per_image) * batch {batch} * 3 passes."
            seq_option = ""
        elif all(c in header for c in BERT_COLUMNS):
            if args.recipe != "all4":
                raise TableError(f"{args.table}: the {args.recipe} recipe is defined for CNN "
                                 "layer tables (first and last layer, 1x1 convolutions); this "
                                 "BERT table has none of them")
            batch = 1 if args.batch is None else args.batch
            gemms, expected, seq_len = bert_gemms(args.table, rows, batch, args.seq_len,
                                                  args.fp16)
            default_name = f"{stem}_train_s{seq_len}_b{batch}"
            sequences = "sequence" if batch == 1 else "sequences"
            what = f"one training step, batch {batch} {sequences} of {seq_len} tokens"
            precision = BERT_PRECISION
            rule = f"# Table MACs: sum(macs_per_sequence at seq_len {seq_len}) * batch {batch}."
            seq_option = f" --seq-len {seq_len}"
        else:
            raise TableError(f"{args.table}: not a CNN layer table (columns "
                             f"{', '.join(CNN_COLUMNS)}) nor a BERT table (columns "
                             f"{', '.join(BERT_COLUMNS)})")
        if args.recipe != "all4":
            default_name += f"_{args.recipe}"
        if args.fp16:
            default_name += "_fp16"
            precision = FP16_PRECISION
        name = args.name if args.name is not None else default_name
        if not NAME_RE.match(name):
            raise TableError(f"--name: '{name}' is not a valid trace name")
        total = check_gemms(gemms)
        if total != expected:
            raise TableError(f"internal error: the trace has {total} MACs, the table {expected}")
    except TableError as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return 2

    recipe_option = f" --recipe {args.recipe}" if args.recipe != "all4" else ""
    command = (f"tools/gen_traces.py <tables>/{table} --batch {batch}{seq_option}"
               f"{recipe_option}{' --fp16' if args.fp16 else ''} --name {name}")
    lines = [
        f"# {name}: {what}.",
        f"# Generated from the workload table {table} by tools/gen_traces.py; do not edit.",
        f"# Command: {command}",
        precision,
        rule,
        f"# total_macs={total}",
        "",
        "nibble-trace 1",
        f"workload {name}",
    ]
    lines += [g.line() for g in gemms]
    text = "\n".join(lines) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            with open(args.output, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        except OSError as e:
            print(f"{parser.prog}: error: cannot write {args.output}: {e.strerror}",
                  file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

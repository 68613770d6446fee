"""`nibble import` (docs/import.md), `nibble run --topology` and the module's lower, trace_text
and run, against independent sources: the shipped traces (written by tools/gen_traces.py from
the workload tables, not by the importer), GEMM shapes derived here by hand from the papers'
architecture tables (MobileNetV2: Sandler et al., CVPR 2018, Table 2; BERT-base: Devlin et al.,
NAACL 2019), and `nibble run`'s report.json. Run by ctest with PYTHONPATH at the built module
and NIBBLE_BINARY at the nibble program; the models come from Debian's python3-torch,
python3-torchvision and python3-onnx.
"""

import json
import os
import re
import subprocess

import pytest

import nibble

NIBBLE = os.environ["NIBBLE_BINARY"]
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))


def run(*args, cwd=None):
    return subprocess.run([NIBBLE, *args], capture_output=True, text=True, cwd=cwd)


def gemm_lines(text):
    return [line for line in text.splitlines() if line.startswith("gemm ")]


def fields(line):
    """A gemm line without its name: m n k a b out pass repeat."""
    return line.split(" ", 2)[2]


def import_trace(tmp_path, *args, cwd=None):
    out = tmp_path / "net.trace"
    r = run("import", *args, "-o", str(out), "-q", cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~umask
    return out.read_text()


def shipped(name):
    with open(os.path.join(SOURCE, "traces", name), encoding="utf-8") as f:
        return f.read()


def export_onnx(model, example, path):
    import torch
    torch.onnx.export(model.eval(), example, str(path), input_names=["x"],
                      dynamic_axes={"x": {0: "batch"}})


# ---- ResNets: the shipped traces ---------------------------------------------------------------

# The workload tables name torchvision's downsample convolution "layerN.0.downsample"; its module
# path is "layerN.0.downsample.0" (the convolution inside the Sequential with its batch norm).
def table_names(line):
    return re.sub(r"\.downsample\.0\.", ".downsample.", line)


@pytest.mark.parametrize("model,trace", [
    ("resnet18", "resnet18_train_b32.trace"),
    ("resnet50", "resnet50_train_b32.trace"),
])
def test_torchvision_resnets_give_the_shipped_traces(tmp_path, model, trace):
    got = import_trace(tmp_path, "torch", f"torchvision:{model}", "--batch", "32")
    want = shipped(trace)
    assert [table_names(g) for g in gemm_lines(got)] == gemm_lines(want)
    total = re.search(r"total_macs=(\d+)", want).group(1)
    assert f"# total_macs={total}\n" in got
    assert "# Not lowered, not covered (their MACs are missing): none" in got


def test_resnet18_sun2020_recipe_gives_the_shipped_trace(tmp_path):
    got = import_trace(tmp_path, "torch", "torchvision:resnet18", "--recipe", "sun2020")
    assert [table_names(g) for g in gemm_lines(got)] == gemm_lines(
        shipped("resnet18_train_b32_sun2020.trace"))


@pytest.mark.parametrize("model", ["resnet18", "resnet50"])
def test_onnx_export_imports_to_the_same_trace(tmp_path, model):
    import torch
    import torchvision
    path = tmp_path / f"{model}.onnx"
    export_onnx(getattr(torchvision.models, model)(), torch.zeros(1, 3, 224, 224), path)
    via_onnx = import_trace(tmp_path, "onnx", str(path), "--batch", "32", "--name", "net")
    via_torch = import_trace(tmp_path, "torch", f"torchvision:{model}", "--batch", "32",
                             "--name", "net")
    # The same GEMMs, names included (the module paths in torch.onnx's scoped node names), and
    # so the shipped trace's.
    assert gemm_lines(via_onnx) == gemm_lines(via_torch)
    assert [fields(g) for g in gemm_lines(via_onnx)] == [
        fields(g) for g in gemm_lines(shipped(f"{model}_train_b32.trace"))]


# ---- MobileNetV2: depthwise, derived by hand ---------------------------------------------------

def mobilenet_v2_forward(batch):
    """MobileNetV2's forward GEMMs from the paper's Table 2 (expansion t, channels c, repeats n,
    stride s) at 224x224: (name, m, n, k, repeat, a). A convolution is M = batch * Ho * Wo,
    N = Cout / groups, K = Cin / groups * kh * kw, repeated per group; a depthwise one has one
    channel per group. Inputs after ReLU6 (and the image) are uint4; a block's input is the
    previous block's linear projection (or a residual sum of two), so int4."""
    layers = [("features.0.0", batch * 112 * 112, 32, 27, 1, "uint4")]
    size, cin, index = 112, 32, 1
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            sign = "uint4" if index == 1 else "int4"  # block 1 follows features.0's ReLU6
            conv = 0
            name = f"features.{index}.conv"
            if t != 1:
                layers.append((f"{name}.0.0", batch * size * size, hidden, cin, 1, sign))
                conv = 1
            out = size // stride
            layers.append((f"{name}.{conv}.0", batch * out * out, 1, 9, hidden, "uint4"))
            layers.append((f"{name}.{conv + 1}", batch * out * out, c, hidden, 1, "uint4"))
            size, cin, index = out, c, index + 1
    layers.append(("features.18.0", batch * 7 * 7, 1280, 320, 1, "int4"))
    layers.append(("classifier.1", batch, 1000, 1280, 1, "uint4"))
    return layers


def test_mobilenet_v2_matches_the_paper_table(tmp_path):
    got = import_trace(tmp_path, "torch", "torchvision:mobilenet_v2", "--batch", "2")
    want = mobilenet_v2_forward(2)
    fwd = [g for g in gemm_lines(got) if "pass=fwd" in g]
    assert fwd == [f"gemm {name}.fwd m={m} n={n} k={k} a={a} b=int4 out=fp16 pass=fwd "
                   f"repeat={r}" for name, m, n, k, r, a in want]
    assert len(gemm_lines(got)) == 3 * len(want)
    # The paper gives 300 M multiply-adds per image; the three passes at batch 2.
    per_image = sum(m * n * k * r for _, m, n, k, r, _ in want) // 2
    assert 300e6 <= per_image < 301e6
    assert f"# total_macs={3 * 2 * per_image}\n" in got


def test_mobilenet_v2_via_onnx(tmp_path):
    import torch
    import torchvision
    path = tmp_path / "mobilenet_v2.onnx"
    export_onnx(torchvision.models.mobilenet_v2(), torch.zeros(1, 3, 224, 224), path)
    via_onnx = import_trace(tmp_path, "onnx", str(path), "--batch", "2", "--name", "m")
    via_torch = import_trace(tmp_path, "torch", "torchvision:mobilenet_v2", "--batch", "2",
                             "--name", "m")
    assert gemm_lines(via_onnx) == gemm_lines(via_torch)


# ---- A BERT-base encoder layer, derived by hand ------------------------------------------------

def bert_layer_training(batch, seq=128):
    """One BERT-base encoder layer's GEMMs (hidden 768, 12 heads of 64, feed-forward 3072) for
    `batch` sequences of `seq` tokens, as trace fields. Forward: Q, K, V projections (M = batch *
    seq tokens, K = N = 768), the scores Q K^T per head (seq x seq by 64, batch * 12 times), the
    context P V (seq x 64 by seq; P, the softmax, is uint4), the output projection and the two
    feed-forward layers. Backward, from the last layer: dA = dC B^T (M x K by N, the gradient
    fp4:p0 times B) and dB = A^T dC (K x N by M, A times the gradient fp4:p1)."""
    t, heads = batch * seq, batch * 12
    layers = [  # name, m, n, k, repeat, a, b
        ("query", t, 768, 768, 1, "int4", "int4"),
        ("key", t, 768, 768, 1, "int4", "int4"),
        ("value", t, 768, 768, 1, "int4", "int4"),
        ("scores", seq, seq, 64, heads, "int4", "int4"),
        ("context", seq, 64, seq, heads, "uint4", "int4"),
        ("output", t, 768, 768, 1, "int4", "int4"),
        ("intermediate", t, 3072, 768, 1, "int4", "int4"),
        ("ffn_output", t, 768, 3072, 1, "int4", "int4"),
    ]
    lines = [f"m={m} n={n} k={k} a={a} b={b} out=fp16 pass=fwd repeat={r}"
             for _, m, n, k, r, a, b in layers]
    for _, m, n, k, r, a, b in reversed(layers):
        lines.append(f"m={m} n={k} k={n} a=fp4:p0 b={b} out=fp16 pass=dgrad repeat={r}")
        lines.append(f"m={k} n={n} k={m} a={a} b=fp4:p1 out=fp16 pass=wgrad repeat={r}")
    return lines


def test_bert_encoder_layer_from_torch_and_onnx(tmp_path):
    want = bert_layer_training(4)
    got = import_trace(tmp_path, "torch", "bert_layer:build", "--batch", "4", cwd=HERE)
    assert [fields(g) for g in gemm_lines(got)] == want
    import sys
    sys.path.insert(0, HERE)
    import bert_layer
    model, example = bert_layer.build()
    path = tmp_path / "bert_layer.onnx"
    export_onnx(model, example, path)
    got = import_trace(tmp_path, "onnx", str(path), "--batch", "4")
    assert [fields(g) for g in gemm_lines(got)] == want


def test_onnx_seq_sets_the_token_dimension(tmp_path):
    import sys
    import torch
    sys.path.insert(0, HERE)
    import bert_layer
    model, example = bert_layer.build()
    path = tmp_path / "bert_layer_dynamic.onnx"
    torch.onnx.export(model.eval(), example, str(path), input_names=["x"],
                      dynamic_axes={"x": {0: "batch", 1: "seq"}})
    got = import_trace(tmp_path, "onnx", str(path), "--batch", "2", "--seq", "64")
    assert [fields(g) for g in gemm_lines(got)] == bert_layer_training(2, seq=64)


# ---- What is not lowered, and bad input --------------------------------------------------------

def test_layers_without_a_lowering_are_listed(tmp_path):
    (tmp_path / "upsampler.py").write_text(
        "import torch\n"
        "def build():\n"
        "    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(),\n"
        "                               torch.nn.ConvTranspose2d(8, 3, 2, stride=2))\n")
    r = run("import", "torch", "upsampler:build", "--input-shape", "3,16,16", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "# Not lowered, not covered (their MACs are missing): ConvTranspose2d x1" in r.stdout
    assert "# Not lowered, no GEMM (vector work and data movement): ReLU x1" in r.stdout
    assert "not covered: ConvTranspose2d x1" in r.stderr
    # The convolution is there: 14 x 14 outputs, 8 filters of 3 x 3 x 3.
    assert "gemm 0.fwd m=6272 n=8 k=27 a=uint4 b=int4" in r.stdout


@pytest.mark.parametrize("args,message", [
    (["onnx", "missing.onnx"], "missing.onnx: cannot open"),
    (["onnx", "garbage.onnx"], "garbage.onnx: not an ONNX model"),
    (["torch", "resnet18"], "expected MODULE:FUNCTION or torchvision:NAME"),
    (["torch", "torchvision:no_such_model"], "torchvision has no model 'no_such_model'"),
    (["torch", "torchvision:resnet18", "--batch", "0"], "argument --batch: 0 is not at least 1"),
    (["torch", "torchvision:resnet18", "--seq", "8"], "--seq is for onnx models"),
    (["torch", "torchvision:resnet18", "--input-shape", "3,x"], "is not a list of integers"),
    (["torch", "torchvision:resnet18", "--recipe", "fp8"], "argument --recipe: invalid choice"),
    (["torch", "torchvision:resnet18", "-o", "no/such/folder/x.trace"], "No such file"),
    (["torch", "torchvision:resnet18", "--input-shape", "1,224,224"],
     "running the model on inputs of shape (1, 1, 224, 224) failed"),
    (["torch", "raises:build"], "'raises:build': building the model failed: no such layer"),
    (["onnx", "missing.onnx", "--input-shape", "3,8,8"], "--input-shape is for torch models"),
])
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, args, message):
    (tmp_path / "garbage.onnx").write_bytes(b"\x00\x01not a protobuf\xff" * 10)
    (tmp_path / "raises.py").write_text("def build():\n    raise ValueError('no such layer')\n")
    before = sorted(os.listdir(tmp_path))
    if "-o" not in args:
        args = args + ["-o", "out.trace"]
    r = run("import", *args, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stderr.startswith("nibble import: error: ")
    assert message in r.stderr
    assert sorted(os.listdir(tmp_path)) == before


# ---- nibble run --topology ---------------------------------------------------------------------

def report(tmp_path, *args):
    out = tmp_path / "out"
    r = run("run", "--no-plots", "-q", "-o", str(out), *args)
    assert r.returncode == 0, r.stderr
    with open(out / "report.json", encoding="utf-8") as f:
        return json.load(f)


def shapes(rep):
    return [(g["name"], g["m"], g["n"], g["k"], g["a"], g["b"], g["pass"]) for g in rep["gemms"]]


def test_topology_training_step(tmp_path):
    # Conv row: 9x9 ifmap, 3x3 filters, 4 channels, 8 filters, stride 2: SCALE-Sim's (no
    # padding) ceil((9 - 3 + 2) / 2) = 4 outputs a side, so M = 16, N = 8, K = 3 * 3 * 4 = 36.
    # The 1x1 row: 4x4 ifmap, 8 channels, 2 filters: M = 16, N = 2, K = 8.
    topo = tmp_path / "net.csv"
    topo.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                    "Channels, Num Filter, Strides,\n"
                    "c1, 9, 9, 3, 3, 4, 8, 2,\n"
                    "pw, 4, 4, 1, 1, 8, 2, 1,\n")
    rep = report(tmp_path, "--topology", str(topo), "--train")
    assert rep["trace"] == str(topo)
    assert shapes(rep) == [
        ("c1.fwd", 16, 8, 36, "uint4", "int4", "fwd"),
        ("pw.fwd", 16, 2, 8, "uint4", "int4", "fwd"),
        ("pw.dgrad", 16, 8, 2, "fp4:p0", "int4", "dgrad"),
        ("pw.wgrad", 8, 2, 16, "uint4", "fp4:p1", "wgrad"),
        ("c1.dgrad", 16, 36, 8, "fp4:p0", "int4", "dgrad"),
        ("c1.wgrad", 36, 8, 16, "uint4", "fp4:p1", "wgrad"),
    ]
    fwd = report(tmp_path, "--topology", str(topo))
    assert shapes(fwd) == shapes(rep)[:2]
    # sun2020: both layers are the first or the last, so FP16.
    sun = report(tmp_path, "--topology", str(topo), "--train", "--recipe", "sun2020")
    assert {(g["a"], g["b"]) for g in sun["gemms"]} == {("fp16", "fp16")}


def test_topology_gemm_form_is_signed(tmp_path):
    topo = tmp_path / "g.csv"
    topo.write_text("Layer, M, N, K,\nproj, 64, 32, 16,\n")
    rep = report(tmp_path, "--topology", str(topo), "-i", "gemm", "--train")
    assert shapes(rep) == [
        ("proj.fwd", 64, 32, 16, "int4", "int4", "fwd"),
        ("proj.dgrad", 64, 16, 32, "fp4:p0", "int4", "dgrad"),
        ("proj.wgrad", 16, 32, 64, "int4", "fp4:p1", "wgrad"),
    ]


@pytest.mark.parametrize("args,message", [
    (["--topology", "missing.csv"], "missing.csv"),
    (["--train"], "--train needs --topology"),
    (["--recipe", "sun2020"], "--recipe needs --topology"),
    (["-i", "gemm"], "--input-type needs --topology"),
    (["--topology", "t.csv", "--trace", "x.trace"], "exclude each other"),
    (["--topology", "t.csv", "--recipe", "fp8"], "--recipe: expected all4, sun2020 or fp16"),
    (["--topology", "t.csv", "-i", "fc"], "must be conv or gemm"),
    (["--topology", "big.csv"], "big.csv:2: layer 'huge': m=4294967296 is outside"),
])
def test_topology_bad_input(tmp_path, args, message):
    (tmp_path / "t.csv").write_text("Layer, M, N, K,\nl, 2, 2, 2,\n")
    # 65536 x 65536 outputs of a 1x1 filter: M = 2^32, beyond a trace's int32.
    (tmp_path / "big.csv").write_text("Layer, H, W, Fh, Fw, C, N, S,\n"
                                      "huge, 65536, 65536, 1, 1, 1, 1, 1,\n")
    r = run("run", "--no-plots", "-o", str(tmp_path / "out"), *args, cwd=tmp_path)
    assert r.returncode == 2
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert message in r.stderr
    assert not (tmp_path / "out").exists()


# ---- The module: lower, trace_text, run --------------------------------------------------------

def test_run_returns_report_json(tmp_path):
    trace = os.path.join(SOURCE, "traces", "example.trace")
    want = report(tmp_path, "--trace", trace, "--set", "array.rows=16")
    got = nibble.run(trace=trace, set=["array.rows=16"])
    assert got == want
    # The same GEMMs given as dicts: the same report but for the workload's source.
    text = open(trace, encoding="utf-8").read()
    gemms = []
    for line in gemm_lines(text):
        words = line.split("#", 1)[0].split()
        g = dict(w.split("=", 1) for w in words[2:])
        gemms.append(dict(name=words[1], **{k: int(v) if k in "mnk" or k == "repeat" else v
                                              for k, v in g.items()}))
    name = re.search(r"^workload (\S+)", text, re.M).group(1)
    by_dicts = nibble.run(gemms=gemms, workload=name, set=["array.rows=16"])
    assert by_dicts["trace"] == "<gemms>"
    by_dicts["trace"] = want["trace"]
    assert by_dicts == want


def test_run_defaults_to_the_built_in_job(tmp_path):
    assert nibble.run() == report(tmp_path)


def test_lower_and_trace_text_write_a_trace_nibble_reads(tmp_path):
    gemms = nibble.lower([dict(name="l", m=4, n=2, k=3, a_unsigned=True)])
    assert [(g["name"], g["m"], g["n"], g["k"]) for g in gemms] == [
        ("l.fwd", 4, 2, 3), ("l.dgrad", 4, 3, 2), ("l.wgrad", 3, 2, 4)]
    path = tmp_path / "l.trace"
    path.write_text(nibble.trace_text(gemms, "net"))
    rep = report(tmp_path, "--trace", str(path))
    assert [(g["name"], g["a"], g["b"]) for g in rep["gemms"]] == [
        ("l.fwd", "uint4", "int4"), ("l.dgrad", "fp4:p0", "int4"), ("l.wgrad", "uint4", "fp4:p1")]


@pytest.mark.parametrize("call,message", [
    (lambda: nibble.lower([dict(name="x", m=0, n=1, k=1)]), "layer 'x': m=0 is outside"),
    (lambda: nibble.lower([dict(name="x", m=1, n=1, k=1, sign=1)]), "unknown key 'sign'"),
    (lambda: nibble.lower([dict(m=1, n=1, k=1)]), "layer 0: no 'name'"),
    (lambda: nibble.lower([], recipe="fp8"), "recipe 'fp8'"),
    (lambda: nibble.trace_text([dict(name="a b", m=1, n=1, k=1)]), "a b"),
    (lambda: nibble.trace_text([dict(name="g", m=1, n=1, k=1, a="fp4", b="fp4")]), "fp4"),
    (lambda: nibble.run(trace="/no/such.trace"), "/no/such.trace"),
    (lambda: nibble.run(set=["array.rows=0"]), "array.rows"),
    (lambda: nibble.run(trace="x", gemms=[]), "exclude each other"),
])
def test_module_errors_are_value_errors(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()

#!/usr/bin/python3
"""nibble import: a network from ONNX or PyTorch as a nibble training trace (.trace).

`nibble import onnx MODEL.onnx ...` and `nibble import torch MODULE:FUNCTION ...` run this script
(docs/import.md is its specification). It finds the network's GEMM layers and their shapes (ONNX
shape inference; torch.fx with shape propagation) and hands them, as layer records, to the
Python module's `nibble.lower`, the training lowering of model/workload/training.cc, which gives
each layer's fwd, dgrad and wgrad GEMMs and their formats; `nibble.trace_text` writes the trace.
Operators without a GEMM lowering are listed in the trace's header and on stderr, never dropped
silently.

Runs under Debian's /usr/bin/python3 (python3-onnx, python3-torch, python3-torchvision).
"""

import argparse
import contextlib
import importlib
import io
import math
import os
import re
import sys
import tempfile
import warnings

NAME_RE = re.compile(r"[^A-Za-z0-9_.:/+-]")

# Operators that hold no GEMM: vector work on the FP16 results (normalization, activations,
# pooling, residual adds) and pure data movement. Listed in the trace's header as "no GEMM".
ONNX_NO_GEMM = {
    "Add", "ArgMax", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant",
    "ConstantOfShape", "Div", "Dropout", "Equal", "Erf", "Exp", "Expand", "Flatten", "Gather",
    "Gelu", "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid", "HardSwish", "Identity",
    "LayerNormalization", "LeakyRelu", "Log", "LogSoftmax", "MaxPool", "Mul", "Neg", "Pad",
    "Pow", "ReduceMax", "ReduceMean", "ReduceSum", "Relu", "Reshape", "Shape", "Sigmoid",
    "Slice", "Softmax", "Split", "Sqrt", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze",
    "Where",
}
# Operators whose output is >= 0 when they are the last thing done to a value (ReLU, ReLU6 as
# Clip(0, 6), softmax, sigmoid), and those that keep the sign of their input(s).
ONNX_NONNEG = {"Relu", "Softmax", "Sigmoid", "HardSigmoid"}
# torch functions and tensor methods (by name) that hold no GEMM.
TORCH_NO_GEMM = {
    "add", "iadd", "sub", "mul", "truediv", "div", "neg", "pow", "sqrt", "rsqrt", "exp", "relu",
    "relu6", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout",
    "layer_norm", "batch_norm", "flatten", "cat", "stack", "getattr", "getitem", "size", "view",
    "reshape", "permute", "transpose", "contiguous", "mean", "sum", "split", "chunk", "expand",
    "unsqueeze", "squeeze", "masked_fill", "to", "float", "type_as", "adaptive_avg_pool2d",
    "max_pool2d", "avg_pool2d", "hardtanh", "hardswish", "clamp",
}
ONNX_KEEPS_SIGN = {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten",
                   "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout",
                   "Concat", "Add", "Mul", "Slice", "Split", "Pad", "Expand"}


class ImportError_(Exception):
    """A model this tool cannot import, with the reason (one line)."""


def first_line(e):
    """An exception's message, first line only (or its type when it has none)."""
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def trace_name(text):
    """text as a trace name: characters outside the trace's name alphabet become '_'."""
    name = NAME_RE.sub("_", text).strip("/_") or "layer"
    return name


class Layers:
    """The layer records of a network, in execution order, and the operators not lowered."""

    def __init__(self):
        self.layers = []
        self.names = set()
        self.no_gemm = {}     # operator -> count: vector work and data movement
        self.uncovered = {}   # operator -> count: would hold MACs, not in the trace

    def add(self, name, m, n, k, repeat=1, a_unsigned=False, b_weight=True, b_unsigned=False,
            pointwise=False):
        name = trace_name(name)
        unique, i = name, 1
        while unique in self.names:
            i += 1
            unique = f"{name}_{i}"
        self.names.add(unique)
        self.layers.append(dict(name=unique, m=int(m), n=int(n), k=int(k), repeat=int(repeat),
                                a_unsigned=bool(a_unsigned), b_weight=bool(b_weight),
                                b_unsigned=bool(b_unsigned), pointwise=bool(pointwise)))

    def skip(self, op, covered):
        table = self.no_gemm if covered else self.uncovered
        table[op] = table.get(op, 0) + 1

    def scale_batch(self, batch, batch_field):
        """Multiplies each layer's batch-carrying field (batch_field[i]: 'm' or 'repeat') by the
        batch: the shapes were found at batch 1."""
        for layer, field in zip(self.layers, batch_field):
            layer[field] *= batch


def summary(table):
    return ", ".join(f"{op} x{count}" for op, count in sorted(table.items())) or "none"


# ---- ONNX -------------------------------------------------------------------------------------

def onnx_layers(path, batch, seq):
    """Layers of an ONNX model: shapes by ONNX shape inference at batch 1 (dim 0 of every graph
    input; --seq sets dim 1 of the rank-2 and rank-3 inputs), then scaled to the batch."""
    try:
        import onnx
        from onnx import numpy_helper, shape_inference
    except ImportError as e:
        raise ImportError_(f"python3-onnx is not installed ({e}); tools/install-deps.sh "
                           "installs it") from e
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # protobuf's warning about the same bad file
            model = onnx.load(path)
    except FileNotFoundError as e:
        raise ImportError_(f"{path}: cannot open: {e.strerror}") from e
    except Exception as e:  # onnx raises DecodeError and others for a file that is not a model
        raise ImportError_(f"{path}: not an ONNX model ({type(e).__name__}: "
                           f"{str(e).splitlines()[0] if str(e) else 'unreadable'})") from e
    graph = model.graph
    tensors = {i.name: i for i in graph.initializer}
    initializers = {name: tuple(t.dims) for name, t in tensors.items()}
    constant_nodes = {n.output[0]: n for n in graph.node if n.op_type == "Constant" and n.output}

    def constant(name):
        """The value of an initializer or a Constant node's output, or None."""
        try:
            if name in tensors:
                return numpy_helper.to_array(tensors[name])
            if name in constant_nodes and constant_nodes[name].attribute:
                return onnx.helper.get_attribute_value(constant_nodes[name].attribute[0])
        except Exception:  # a constant of a kind this tool does not read: unknown
            return None
        return None

    def nonneg_constant(name):
        import numpy as np
        value = constant(name)
        if value is None:
            return False
        if hasattr(value, "dims"):  # a TensorProto attribute
            value = numpy_helper.to_array(value)
        try:
            return bool(np.all(np.asarray(value, dtype=float) >= 0))
        except (TypeError, ValueError):
            return False

    def clip_min(node):
        """The lower bound of a Clip (ReLU6 exports as Clip(x, 0, 6)), or None."""
        if len(node.input) >= 2 and node.input[1]:
            value = constant(node.input[1])
            if value is None:
                return None
            if hasattr(value, "dims"):
                value = numpy_helper.to_array(value)
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
        for a in node.attribute:
            if a.name == "min":
                return a.f
        return None

    for value in graph.input:
        if value.name in initializers:
            continue
        dims = value.type.tensor_type.shape.dim
        if not dims:
            continue
        if dims[0].HasField("dim_value") and dims[0].dim_value != 1:
            raise ImportError_(f"{path}: input '{value.name}' has batch {dims[0].dim_value}; "
                               "export the model at batch 1 or with a dynamic batch axis "
                               "(--batch sets the batch)")
        dims[0].ClearField("dim_param")
        dims[0].dim_value = 1
        if seq is not None and len(dims) in (2, 3):
            dims[1].ClearField("dim_param")
            dims[1].dim_value = seq
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except Exception as e:
        raise ImportError_(f"{path}: ONNX shape inference failed: "
                           f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from e
    shapes = dict(initializers)
    for value in list(inferred.graph.input) + list(inferred.graph.value_info) + \
            list(inferred.graph.output):
        if not value.type.tensor_type.HasField("shape"):
            continue  # rank unknown
        dims = value.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[value.name] = tuple(d.dim_value for d in dims)

    nonneg = set()
    for value in graph.input:
        if value.name not in initializers and len(shapes.get(value.name, ())) == 4:
            nonneg.add(value.name)  # an image batch (NCHW): raw pixel levels, unsigned

    def shape(name, node):
        if name not in shapes:
            raise ImportError_(f"{path}: node '{node.name or node.op_type}' ({node.op_type}): "
                               f"shape inference gave no static shape for '{name}'")
        return shapes[name]

    def attr(node, key, default):
        for a in node.attribute:
            if a.name == key:
                return onnx.helper.get_attribute_value(a)
        return default

    def layer_name(node, weight):
        """The weight's name without ".weight"; or the module path in a scoped node name as
        torch.onnx writes it ("/layer1/layer1.0/conv1/Conv" is layer1.0.conv1); or the node's
        name, or its operator."""
        if weight is not None and not weight.startswith("onnx::"):
            return weight[:-len(".weight")] if weight.endswith(".weight") else weight
        parts = [p for p in (node.name or "").split("/") if p]
        if len(parts) < 2:
            return node.name or node.op_type
        path = []
        for part in parts[:-1]:
            if path and part.startswith(path[-1] + "."):
                path[-1] = part  # a container's item: "layer1" then "layer1.0"
            else:
                path.append(part)
        return ".".join(path)

    out = Layers()
    batch_field = []
    for node in graph.node:
        op = node.op_type
        if op == "Conv" and len(node.input) >= 2 and node.input[1] in initializers:
            x, w = shape(node.input[0], node), shapes[node.input[1]]
            y = shape(node.output[0], node)
            groups = attr(node, "group", 1)
            kernel = math.prod(w[2:])
            out.add(layer_name(node, node.input[1]), m=y[0] * math.prod(y[2:]),
                    n=w[0] // groups, k=w[1] * kernel, repeat=groups,
                    a_unsigned=node.input[0] in nonneg, pointwise=kernel == 1)
            batch_field.append("m")
        elif op == "Gemm" and node.input[1] in initializers:
            a, b = shape(node.input[0], node), shapes[node.input[1]]
            m, k = (a[1], a[0]) if attr(node, "transA", 0) else (a[0], a[1])
            n = b[0] if attr(node, "transB", 0) else b[1]
            out.add(layer_name(node, node.input[1]), m=m, n=n, k=k,
                    a_unsigned=node.input[0] in nonneg)
            batch_field.append("m")
        elif op == "MatMul":
            a, b = shape(node.input[0], node), shape(node.input[1], node)
            if len(a) < 2 or len(b) < 2:
                out.skip(f"{op} (vector operand)", False)
                continue
            if node.input[1] in initializers and len(b) == 2:
                out.add(layer_name(node, node.input[1]), m=math.prod(a[:-1]), n=b[1], k=a[-1],
                        a_unsigned=node.input[0] in nonneg)
                batch_field.append("m")
            else:
                y = shape(node.output[0], node)
                repeat = math.prod(y[:-2])
                out.add(layer_name(node, None), m=a[-2], n=b[-1], k=a[-1], repeat=repeat,
                        a_unsigned=node.input[0] in nonneg, b_weight=False,
                        b_unsigned=node.input[1] in nonneg)
                batch_field.append("repeat" if len(y) > 2 else "m")
        else:
            out.skip(op, op in ONNX_NO_GEMM)
        if op in ONNX_NONNEG or (op == "Clip" and clip_min(node) == 0.0):
            nonneg.update(node.output)
        elif op in ONNX_KEEPS_SIGN:
            # Sums, products and concatenations need every operand >= 0 (a constant too);
            # the other operators keep their first input's sign.
            inputs = [i for i in (node.input if op in ("Concat", "Add", "Mul")
                                  else node.input[:1]) if i]
            if inputs and all(i in nonneg or nonneg_constant(i) for i in inputs):
                nonneg.update(node.output)
    out.scale_batch(batch, batch_field)
    return out


# ---- PyTorch ----------------------------------------------------------------------------------

def torch_model(spec):
    """The model (and example inputs, or None) a MODULE:FUNCTION or torchvision:NAME builds."""
    if ":" not in spec:
        raise ImportError_(f"'{spec}': expected MODULE:FUNCTION or torchvision:NAME")
    module_name, function_name = spec.split(":", 1)
    if module_name == "torchvision":
        try:
            import torchvision
        except ImportError as e:
            raise ImportError_(f"python3-torchvision is not installed ({e}); "
                               "tools/install-deps.sh installs it") from e
        builder = getattr(torchvision.models, function_name, None)
        if builder is None or not callable(builder) or function_name.startswith("_"):
            raise ImportError_(f"torchvision has no model '{function_name}'")
    else:
        sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(module_name)
        except Exception as e:
            raise ImportError_(f"'{spec}': cannot import {module_name}: {first_line(e)}") from e
        builder = getattr(module, function_name, None)
        if builder is None or not callable(builder):
            raise ImportError_(f"'{spec}': {module_name} has no function {function_name}")
    try:
        result = builder()
    except Exception as e:
        raise ImportError_(f"'{spec}': building the model failed: {first_line(e)}") from e
    if module_name == "torchvision":
        return result, None
    if isinstance(result, tuple) and len(result) == 2:
        return result
    return result, None


def torch_layers(spec, batch, input_shape):
    """Layers of a PyTorch model: torch.fx traces it, ShapeProp runs it on inputs of batch 1
    (the builder's example inputs, or zeros of --input-shape), and the shapes are scaled to the
    batch."""
    try:
        import torch
        import torch.fx
        from torch.fx.passes.shape_prop import ShapeProp
    except ImportError as e:
        raise ImportError_(f"python3-torch is not installed ({e}); tools/install-deps.sh "
                           "installs it") from e
    model, inputs = torch_model(spec)
    if not isinstance(model, torch.nn.Module):
        raise ImportError_(f"'{spec}' did not build a torch.nn.Module")
    model.eval()
    if inputs is None:
        inputs = (torch.zeros((1,) + tuple(input_shape)),)
    elif not isinstance(inputs, tuple):
        inputs = (inputs,)
    for t in inputs:
        if not isinstance(t, torch.Tensor) or t.dim() == 0:
            raise ImportError_(f"'{spec}': the example inputs must be tensors with a batch "
                               "dimension")
        if t.shape[0] != 1:
            raise ImportError_(f"'{spec}': the example inputs must have batch 1 (dim 0), "
                               f"got {tuple(t.shape)}; --batch sets the batch")
    try:
        graph_module = torch.fx.symbolic_trace(model)
    except Exception as e:
        raise ImportError_(f"'{spec}': torch.fx cannot trace the model: {first_line(e)}") from e
    try:
        # ShapeProp prints a failing node's traceback itself; the error line below says it all.
        with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
            ShapeProp(graph_module).propagate(*inputs)
    except Exception as e:
        raise ImportError_(f"'{spec}': running the model on inputs of shape "
                           f"{', '.join(str(tuple(t.shape)) for t in inputs)} failed: "
                           f"{first_line(e)}") from e
    modules = dict(graph_module.named_modules())

    def shape(node):
        meta = node.meta.get("tensor_meta")
        return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None

    nonneg = set()
    for node in graph_module.graph.nodes:
        if node.op == "placeholder" and shape(node) is not None and len(shape(node)) == 4:
            nonneg.add(node)  # an image batch (NCHW): raw pixel levels, unsigned
    nn = torch.nn
    functional = torch.nn.functional
    import operator
    matmuls = {torch.matmul, torch.bmm, operator.matmul}
    nonneg_modules = (nn.ReLU, nn.ReLU6, nn.Softmax, nn.Sigmoid, nn.Hardsigmoid)
    nonneg_functions = {torch.relu, functional.relu, functional.relu6, torch.softmax,
                        functional.softmax, torch.sigmoid}
    keeps_sign_modules = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
                          nn.AdaptiveMaxPool2d, nn.Flatten, nn.Dropout, nn.Identity)
    keeps_sign_functions = {torch.flatten, operator.add, torch.add, torch.cat,
                            functional.adaptive_avg_pool2d, functional.max_pool2d}
    keeps_sign_methods = {"view", "reshape", "flatten", "permute", "transpose", "contiguous",
                          "mean", "add"}
    no_gemm_modules = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GELU, nn.Hardswish,
                       nn.SiLU, nn.Tanh) + nonneg_modules + keeps_sign_modules

    out = Layers()
    batch_field = []
    for node in graph_module.graph.nodes:
        args = [a for a in node.args if isinstance(a, torch.fx.Node)]
        a_unsigned = bool(args) and args[0] in nonneg
        if node.op == "call_module":
            module = modules[node.target]
            kind = type(module).__name__
            if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
                y = shape(node)
                kernel = math.prod(module.kernel_size)
                groups = module.groups
                out.add(node.target, m=y[0] * math.prod(y[2:]),
                        n=module.out_channels // groups,
                        k=module.in_channels // groups * kernel, repeat=groups,
                        a_unsigned=a_unsigned, pointwise=kernel == 1)
                batch_field.append("m")
            elif isinstance(module, nn.Linear):
                x = shape(args[0])
                out.add(node.target, m=math.prod(x[:-1]), n=module.out_features,
                        k=module.in_features, a_unsigned=a_unsigned)
                batch_field.append("m")
            else:
                out.skip(kind, isinstance(module, no_gemm_modules))
            if isinstance(module, nonneg_modules) or (
                    isinstance(module, keeps_sign_modules) and a_unsigned):
                nonneg.add(node)
        elif (node.op == "call_function" and node.target in matmuls) or (
                node.op == "call_method" and node.target in ("matmul", "bmm")):
            a = shape(args[0]) if len(args) > 0 else None
            b = shape(args[1]) if len(args) > 1 else None
            y = shape(node)
            if a is None or b is None or y is None or len(a) < 2 or len(b) < 2:
                out.skip("matmul (vector or unknown operand)", False)
                continue
            out.add(node.name, m=a[-2], n=b[-1], k=a[-1], repeat=math.prod(y[:-2]),
                    a_unsigned=a_unsigned, b_weight=False, b_unsigned=args[1] in nonneg)
            batch_field.append("repeat" if len(y) > 2 else "m")
        elif node.op == "call_function" and node.target is functional.linear:
            x = shape(args[0]) if len(args) > 0 else None
            w = shape(args[1]) if len(args) > 1 else None
            if x is None or w is None or len(x) < 1 or len(w) != 2:
                out.skip("linear (unknown operand)", False)
                continue
            out.add(node.name, m=math.prod(x[:-1]), n=w[0], k=w[1], a_unsigned=a_unsigned)
            batch_field.append("m")
        elif node.op in ("call_function", "call_method"):
            name = node.target if node.op == "call_method" else getattr(
                node.target, "__name__", str(node.target))
            out.skip(name, name in TORCH_NO_GEMM)
            if node.target in nonneg_functions or (
                    (node.target in keeps_sign_functions or node.target in keeps_sign_methods)
                    and args and all(a in nonneg for a in args)):
                nonneg.add(node)
    out.scale_batch(batch, batch_field)
    return out


# ---- Command line -----------------------------------------------------------------------------

class OneLineParser(argparse.ArgumentParser):
    """Errors are one line on stderr, exit code 2."""

    def error(self, message):
        self.exit(2, f"nibble import: error: {message}\n")


def positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def shape_list(text):
    try:
        dims = tuple(int(d) for d in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of integers like 3,224,224") \
            from None
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"'{text}': every dimension must be at least 1")
    return dims


def write_atomically(path, text):
    """Writes text to path through a temporary file beside it, so that a failure leaves nothing."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, staging = tempfile.mkstemp(prefix=".nibble-import-", dir=folder)
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.fchmod(fd, 0o666 & ~mask)  # as open() would create it, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(staging, path)
    except BaseException:
        if os.path.exists(staging):
            os.remove(staging)
        raise


def main(argv=None):
    parser = OneLineParser(prog="nibble import",
                           description="Import a network from ONNX or PyTorch as a nibble "
                           "training trace (docs/import.md).")
    parser.add_argument("kind", choices=("onnx", "torch"), help="the model's source")
    parser.add_argument("model", help="onnx: MODEL.onnx; torch: MODULE:FUNCTION or "
                        "torchvision:NAME")
    parser.add_argument("--batch", type=positive, default=32,
                        help="images or sequences per training step (default 32)")
    parser.add_argument("--seq", type=positive, default=None,
                        help="onnx: dimension 1 of the rank-2 and rank-3 inputs (tokens)")
    parser.add_argument("--input-shape", type=shape_list, default=None,
                        help="torch: one input's shape without the batch (default 3,224,224)")
    parser.add_argument("--recipe", choices=("all4", "sun2020", "fp16"), default="all4",
                        help="precision recipe (docs/trace-format.md)")
    parser.add_argument("--inference", action="store_true",
                        help="forward GEMMs only, no dgrad and wgrad")
    parser.add_argument("--name", default=None, help="workload name (default: the model's)")
    parser.add_argument("-o", "--output", default=None, help="the trace (default: stdout)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    args = parser.parse_args(argv)
    if args.kind == "torch" and args.seq is not None:
        parser.error("--seq is for onnx models; a torch model takes --input-shape")
    if args.kind == "onnx" and args.input_shape is not None:
        parser.error("--input-shape is for torch models; an onnx model has its own inputs")
    input_shape = args.input_shape or (3, 224, 224)
    global nibble  # the module of this build (PYTHONPATH), loaded once the options are read
    try:
        import nibble
    except ImportError as e:
        print(f"nibble import: error: the nibble Python module cannot be loaded ({first_line(e)});"
              " PYTHONPATH must hold the build's python folder (docs/python.md)", file=sys.stderr)
        return 2

    try:
        if args.kind == "onnx":
            found = onnx_layers(args.model, args.batch, args.seq)
            stem = os.path.splitext(os.path.basename(args.model))[0]
        else:
            found = torch_layers(args.model, args.batch, input_shape)
            module, function = args.model.split(":", 1)
            stem = function if module == "torchvision" else module.rsplit(".", 1)[-1]
        if not found.layers:
            raise ImportError_(f"{args.model}: no GEMM layer found (not lowered: "
                               f"{summary(found.uncovered)}; no GEMM: {summary(found.no_gemm)})")
        step = "infer" if args.inference else "train"
        name = args.name or trace_name(f"{stem}_{step}_b{args.batch}"
                                       + ("" if args.recipe == "all4" else f"_{args.recipe}"))
        gemms = nibble.lower(found.layers, args.recipe, not args.inference)
        body = nibble.trace_text(gemms, name)
    except ImportError_ as e:
        print(f"nibble import: error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # nibble.lower or trace_text: a shape a trace cannot hold
        print(f"nibble import: error: {args.model}: {e}", file=sys.stderr)
        return 2

    total = sum(g["m"] * g["n"] * g["k"] * g["repeat"] for g in gemms)
    what = "forward pass" if args.inference else "training step"
    options = [f"--batch {args.batch}"]
    if args.seq is not None:
        options.append(f"--seq {args.seq}")
    if args.input_shape is not None:
        options.append("--input-shape " + ",".join(map(str, args.input_shape)))
    if args.recipe != "all4":
        options.append(f"--recipe {args.recipe}")
    if args.inference:
        options.append("--inference")
    header = [
        f"# {name}: one {what}, batch {args.batch}, {len(found.layers)} GEMM layers.",
        f"# Imported from {os.path.basename(args.model)} by nibble import {args.kind} "
        f"{' '.join(options)}; do not edit.",
        f"# Lowering and formats: docs/trace-format.md, \"Training lowering\"; recipe "
        f"{args.recipe}.",
        f"# Not lowered, no GEMM (vector work and data movement): {summary(found.no_gemm)}",
        f"# Not lowered, not covered (their MACs are missing): {summary(found.uncovered)}",
        f"# total_macs={total}",
        "",
    ]
    text = "\n".join(header) + body
    if args.output:
        try:
            write_atomically(args.output, text)
        except OSError as e:
            print(f"nibble import: error: {args.output}: {e.strerror}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    if not args.quiet:
        print(f"nibble import: {len(found.layers)} layers, {len(gemms)} GEMMs, {total} MACs"
              f"{' to ' + args.output if args.output else ''}; no GEMM: "
              f"{summary(found.no_gemm)}; not covered: {summary(found.uncovered)}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The Python module `nibble` (docs/python.md) against independent references.

References, none of them nibble's code: NumPy's rint and clip (INT4/UINT4), NumPy's float16
(binary16), the FP4 and FP8 value formulas and rounding rules of docs/numerics.md written out
here, exact binary64 sums rounded by NumPy's float16 (the accumulation order and the chunk
rule), and `nibble run --functional`'s own outputs for the same operands (the CLI). Run by
ctest with PYTHONPATH at the built module and NIBBLE_BINARY at the nibble program.
"""

import os
import re
import subprocess

import numpy as np
import pytest

import nibble

RNG = np.random.default_rng(20261205)


def test_int4_uint4_match_numpy_rint_and_clip():
    x = np.concatenate([
        np.arange(-20, 20, 0.25),  # every tie .5 and the saturation on both sides
        RNG.normal(0, 6, 20000),
        [np.inf, -np.inf, 6.5, 7.5, -8.5, 14.5, 15.5, -0.5, 0.5],
    ])
    for fmt, lo, hi in (("int4", -8, 7), ("uint4", 0, 15)):
        for scale in (1.0, 0.375):
            v = np.clip(np.rint(x / scale), lo, hi).astype(np.int64)
            want = (v & 0xF).astype(np.uint8)
            got = nibble.quantize(x, fmt, scale=scale)
            assert got.dtype == np.uint8 and got.shape == x.shape
            np.testing.assert_array_equal(got, want, err_msg=f"{fmt} scale {scale}")
            np.testing.assert_array_equal(nibble.dequantize(got, fmt, scale=scale), v * scale)
    # NaN gives 0.
    assert nibble.quantize(np.array([np.nan]), "int4")[0] == 0


def fp4_value(code, bias, phase):
    """docs/numerics.md, "Radix-4 FP4": sign bit 3, e = bits 2..0, +-2^phase * 4^(e - bias)."""
    e = code & 7
    if e == 0:
        return -0.0 if code & 8 else 0.0
    v = 2.0 ** phase * 4.0 ** (e - bias)
    return -v if code & 8 else v


def fp4_reference(x, bias, phase):
    """Nearest by absolute error, ties away from zero, underflow to +0, saturation, NaN +0."""
    mags = [fp4_value(e, bias, phase) for e in range(8)]  # 0, then the 7 magnitudes
    out = []
    for v in x:
        if np.isnan(v):
            out.append(0)
            continue
        a = abs(v)
        e = 0
        for k in range(7):
            if a >= (mags[k] + mags[k + 1]) / 2:  # the arithmetic midpoint; a tie goes up
                e = k + 1
        out.append(0 if e == 0 else (e | (8 if v < 0 else 0)))
    return np.array(out, dtype=np.uint8)


@pytest.mark.parametrize("bias,phase", [(7, 0), (7, 1), (2, 0), (13, 1)])
def test_fp4_matches_the_documented_grid_and_thresholds(bias, phase):
    codes = np.arange(16, dtype=np.uint8)
    fmt = f"fp4:p{phase}"
    want = np.array([fp4_value(c, bias, phase) for c in codes])
    got = nibble.dequantize(codes, fmt, bias=bias)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    mags = want[1:8]
    mids = (np.concatenate([[0.0], mags[:-1]]) + mags) / 2
    x = np.concatenate([
        mags, -mags, mids, -mids, np.nextafter(mids, 0), np.nextafter(mids, np.inf),
        RNG.uniform(-2 * mags[-1], 2 * mags[-1], 5000) * RNG.choice([1, 1e-3, 1e-6], 5000),
        [0.0, -0.0, np.inf, -np.inf, np.nan],
    ])
    np.testing.assert_array_equal(nibble.quantize(x, fmt, bias=bias), fp4_reference(x, bias, phase))


def fp8_value(code, exp_bits, man_bits, bias, e4m3):
    """OFP8 (docs/numerics.md, "FP8"): E4M3 has no Inf and NaN at S.1111.111 only."""
    sign = -1.0 if code & 0x80 else 1.0
    e = (code >> man_bits) & ((1 << exp_bits) - 1)
    m = code & ((1 << man_bits) - 1)
    top = (1 << exp_bits) - 1
    if e4m3 and e == top and m == (1 << man_bits) - 1:
        return np.nan
    if not e4m3 and e == top:
        return sign * np.inf if m == 0 else np.nan
    if e == 0:
        return sign * m * 2.0 ** (1 - bias - man_bits)
    return sign * (1 + m / 2 ** man_bits) * 2.0 ** (e - bias)


@pytest.mark.parametrize("fmt,exp_bits,man_bits,bias,e4m3",
                         [("fp8_e4m3", 4, 3, 7, True), ("fp8_e5m2", 5, 2, 15, False)])
def test_fp8_every_code_and_back(fmt, exp_bits, man_bits, bias, e4m3):
    codes = np.arange(256, dtype=np.uint8)
    want = np.array([fp8_value(c, exp_bits, man_bits, bias, e4m3) for c in codes])
    got = nibble.dequantize(codes, fmt)
    np.testing.assert_array_equal(got, want)
    finite = np.isfinite(want) & (want != 0)
    np.testing.assert_array_equal(nibble.quantize(want[finite], fmt), codes[finite])
    # Saturating: beyond the largest finite value, and Inf, give +-max.
    top = np.nanmax(want[np.isfinite(want)])
    big = nibble.dequantize(nibble.quantize(np.array([top * 4, -np.inf]), fmt), fmt)
    np.testing.assert_array_equal(big, [top, -top])


def test_fp16_matches_numpy_float16():
    x = np.concatenate([
        RNG.normal(0, 1, 20000) * 2.0 ** RNG.integers(-30, 18, 20000),
        [65504.0, 65519.99, 65520.0, -65520.0, 2.0 ** -25, 2.0 ** -24 * 1.5, -0.0, np.inf],
    ])
    got = nibble.quantize(x, "fp16")
    assert got.dtype == np.uint16
    with np.errstate(over="ignore"):  # NumPy warns as it rounds to infinity, as it should
        want = x.astype(np.float16)
    np.testing.assert_array_equal(got, want.view(np.uint16))
    np.testing.assert_array_equal(nibble.dequantize(got, "fp16"), want.astype(float))


def test_per_channel_scales_and_axis():
    x = RNG.normal(0, 3, (5, 7))
    rows = np.array([0.5, 1.0, 2.0, 4.0, 0.25])
    cols = np.linspace(0.5, 2.0, 7)
    np.testing.assert_array_equal(
        nibble.quantize(x, "int4", scale=rows, axis=0),
        np.vstack([nibble.quantize(x[i], "int4", scale=float(rows[i])) for i in range(5)]))
    np.testing.assert_array_equal(
        nibble.quantize(x, "int4", scale=cols, axis=-1),
        np.column_stack([nibble.quantize(x[:, j], "int4", scale=float(cols[j])) for j in range(7)]))
    codes = nibble.quantize(x, "int4", scale=cols, axis=1)
    values = np.where(codes > 7, codes.astype(float) - 16, codes)  # two's complement
    np.testing.assert_array_equal(nibble.dequantize(codes, "int4", scale=cols, axis=1),
                                  values * cols)


def test_stochastic_rounding_is_seeded_and_unbiased():
    x = np.full(200000, 2.25)
    a = nibble.quantize(x, "int4", rounding="stochastic", seed=11)
    b = nibble.quantize(x, "int4", rounding="stochastic", seed=11)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nibble.quantize(x, "int4", rounding="stochastic", seed=12))
    assert set(np.unique(a)) == {2, 3}
    # Mean 2.25: the fraction of 3s is 0.25 within five standard deviations.
    frac = np.mean(a == 3)
    assert abs(frac - 0.25) < 5 * np.sqrt(0.25 * 0.75 / x.size)
    # Exact values never move.
    np.testing.assert_array_equal(
        nibble.quantize(np.array([2.0, -3.0]), "int4", rounding="stochastic", seed=1), [2, 13])


def as_value(codes, fmt):
    return nibble.dequantize(codes, fmt)


def f16(v):
    """binary64 to binary16, round to nearest even (NumPy), as binary64 again."""
    return np.float64(np.float16(v))


def reference_dot(a_vals, b_vals, lanes):
    """docs/numerics.md, "Accumulation order": chunks of `lanes` k, each exact sum rounded to
    binary16, then added to the binary16 accumulator and rounded (binary64 holds both exactly)."""
    acc = 0.0
    for c in range(0, len(a_vals), lanes):
        s = float(np.sum(a_vals[c:c + lanes] * b_vals[c:c + lanes]))  # exact here
        chunk = f16(s) if s != 0 else 0.0
        acc = f16(acc + chunk)
    return acc


@pytest.mark.parametrize("fa,fb,lanes", [("uint4", "int4", 1), ("int4", "int4", 4),
                                         ("fp4:p0", "int4", 4), ("uint4", "fp4:p1", 8)])
def test_gemm_follows_the_documented_accumulation_order(fa, fb, lanes):
    m, k, n = 6, 37, 5
    a = RNG.integers(0, 16, (m, k), dtype=np.uint8)
    b = RNG.integers(0, 16, (k, n), dtype=np.uint8)
    got = nibble.gemm(a, fa, b, fb, lanes=lanes)
    assert got.dtype == np.uint16 and got.shape == (m, n)
    av, bv = as_value(a, fa), as_value(b, fb)
    want = np.array([[reference_dot(av[i], bv[:, j], lanes) for j in range(n)] for i in range(m)])
    np.testing.assert_array_equal(got.view(np.float16).astype(float), want)
    # Products: exact binary16 values.
    p = nibble.product_fp16(a[0], fa, b[:, 0], fb)
    np.testing.assert_array_equal(p.view(np.float16).astype(float), av[0] * bv[:, 0])


def test_gemm_equals_nibble_run_functional(tmp_path):
    """The module's GEMM and the CLI's functional engine on the same operands: the same bits."""
    tmp = str(tmp_path)
    a = RNG.integers(0, 16, (19, 70), dtype=np.uint8)
    b = RNG.integers(0, 16, (70, 11), dtype=np.uint8)
    np.save(os.path.join(tmp, "a.npy"), a)
    np.save(os.path.join(tmp, "b.npy"), b)
    with open(os.path.join(tmp, "t.trace"), "w") as f:
        f.write("nibble-trace 1\n"
                "gemm g1 m=19 n=11 k=70 a=uint4 b=int4 out=fp16\n"
                "gemm g2 m=19 n=11 k=70 a=fp4:p1 b=uint4 out=fp16\n"
                "load g1 a=a.npy b=b.npy\nload g2 a=a.npy b=b.npy\n")
    for lanes in (1, 4):
        dump = os.path.join(tmp, f"dump{lanes}")
        subprocess.run([os.environ["NIBBLE_BINARY"], "run", "-q", "--no-plots", "--engine",
                        "systemc", "--functional", "--trace", os.path.join(tmp, "t.trace"),
                        "--set", f"pe.lanes={lanes}", "-o", os.path.join(tmp, f"out{lanes}"),
                        "--dump", dump], check=True)
        for stem, fa, fb in (("000_g1", "uint4", "int4"), ("001_g2", "fp4:p1", "uint4")):
            cli = np.load(os.path.join(dump, stem + ".out.npy")).view(np.uint16)
            np.testing.assert_array_equal(nibble.gemm(a, fa, b, fb, lanes=lanes), cli,
                                          err_msg=f"{stem} L={lanes}")


def test_scales_of_every_number_type():
    x = RNG.normal(0, 3, 50)
    want = nibble.quantize(x, "int4", scale=0.5)
    for scale in (np.float32(0.5), np.float64(0.5), np.array(0.5), 0.5):
        np.testing.assert_array_equal(nibble.quantize(x, "int4", scale=scale), want)
    # Codes of an equivalent dtype object (unpickled, non-native spelling) and not C-contiguous.
    codes = np.asfortranarray(nibble.quantize(RNG.normal(0, 3, (4, 6)), "int4"))
    np.testing.assert_array_equal(nibble.dequantize(codes.astype(np.dtype("=u1")), "int4"),
                                  nibble.dequantize(np.ascontiguousarray(codes), "int4"))


def test_grad_scale():
    # docs/numerics.md, "GradScale": the new exponent puts g * 2^s in (top / 2, top], top = 1.
    assert nibble.grad_scale_update(0, 0.3) == 1        # 0.6 in (0.5, 1]
    assert nibble.grad_scale_update(0, 3.0) == -2       # 0.75
    assert nibble.grad_scale_update(5, 0.0) == 5        # no information: held
    assert nibble.grad_scale_factor(-3) == np.float16(0.125).view(np.uint16)


@pytest.mark.parametrize("call,message", [
    (lambda: nibble.quantize(np.ones(3), "int5"), "format 'int5'"),
    (lambda: nibble.grad_scale_update(0, 1.0, min_exp=3, max_exp=2), "above max_exp"),
    (lambda: nibble.grad_scale_update(0, 1.0, bias=20), "bias"),
    (lambda: nibble.grad_scale_factor(16), "not a binary16 value"),
    (lambda: nibble.quantize(np.ones(3), "int4", scale=np.ones((1, 3))), "1-D array"),
    (lambda: nibble.quantize(np.ones(3), "int4", scale=0.0), "must be finite and > 0"),
    (lambda: nibble.quantize(np.ones(3), "int4", rounding="stochastic"), "needs a seed"),
    (lambda: nibble.quantize(np.ones(3), "fp4", bias=1), "bias"),
    (lambda: nibble.quantize(np.ones((2, 3)), "int4", scale=np.ones(2), axis=1), "has 2 values"),
    (lambda: nibble.quantize(np.ones((2, 3)), "int4", scale=np.ones(3)), "give the axis"),
    (lambda: nibble.dequantize(np.array([16], dtype=np.uint8), "int4"), "not a 4-bit code"),
    (lambda: nibble.dequantize(np.array([1], dtype=np.int64), "int4"), "uint8 array"),
    (lambda: nibble.gemm(np.zeros((2, 3), np.uint8), "fp4", np.zeros((3, 2), np.uint8), "fp4"),
     "fp4"),
    (lambda: nibble.gemm(np.zeros((2, 3), np.uint8), "int4", np.zeros((2, 2), np.uint8), "int4"),
     "A (M x K) and B (K x N)"),
    (lambda: nibble.gemm(np.zeros((2, 3), np.uint8), "int4", np.zeros((3, 2), np.uint8), "int4",
                         lanes=65), "lanes"),
])
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_docs_list_every_public_name():
    """docs/python.md documents exactly the module's public names."""
    here = os.path.dirname(os.path.abspath(__file__))
    doc = open(os.path.join(here, "..", "..", "docs", "python.md")).read()
    documented = set(re.findall(r"^### `nibble\.(\w+)", doc, flags=re.M))
    public = {n for n in dir(nibble) if not n.startswith("_")}
    assert documented == public


def test_docs_example_runs():
    """Every ```python block of docs/python.md runs as written (its asserts hold)."""
    here = os.path.dirname(os.path.abspath(__file__))
    doc = open(os.path.join(here, "..", "..", "docs", "python.md")).read()
    blocks = re.findall(r"^```python\n(.*?)^```", doc, flags=re.M | re.S)
    assert len(blocks) == 2
    cwd = os.getcwd()
    os.chdir(os.path.join(here, "..", ".."))  # the worked example runs from the repository root
    try:
        for block in blocks:
            exec(compile(block, "docs/python.md", "exec"), {})
    finally:
        os.chdir(cwd)

"""examples/train_digits.py (docs/python.md, "Training with nibble's numerics") on a shortened
schedule: both models learn, the 4-bit one (every GEMM in nibble.gemm, FP4 gradients with
two-phase rounding and GradScale) well above chance (10 classes: 0.1)."""

import os
import re
import subprocess
import sys

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_train_digits_learns_in_4_bits():
    r = subprocess.run([sys.executable, os.path.join(SOURCE, "examples", "train_digits.py"),
                        "--epochs", "2"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    acc = dict(re.findall(r"^(fp32|4-bit)\s*: test accuracy ([0-9.]+)", r.stdout, re.M))
    assert set(acc) == {"fp32", "4-bit"}, r.stdout
    assert float(acc["fp32"]) > 0.8
    assert float(acc["4-bit"]) > 0.8


def test_train_digits_rejects_a_bad_schedule():
    r = subprocess.run([sys.executable, os.path.join(SOURCE, "examples", "train_digits.py"),
                        "--epochs", "0"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "--epochs must be at least 1" in r.stderr

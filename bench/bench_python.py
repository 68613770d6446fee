#!/usr/bin/python3
"""Throughput of the Python module's quantizers (docs/python.md), run by `tools/bench` (group
python) with PYTHONPATH at the built module: elements per second of nibble.quantize on a
float64 array of 2^22 elements, one thread, best of five calls, per format and rounding."""

import time

import numpy as np

import nibble

N = 1 << 22


def best_rate(call):
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return N / best


def main():
    x = np.random.default_rng(1).normal(0, 2, N)
    print(f"{'format':<10} {'rounding':<11} {'M elements/s':>13}")
    for fmt in ("int4", "uint4", "fp4", "fp8_e4m3", "fp8_e5m2", "fp16"):
        for rounding in ("rne", "stochastic"):
            seed = 1 if rounding == "stochastic" else None
            rate = best_rate(lambda: nibble.quantize(x, fmt, scale=0.5, rounding=rounding,
                                                     seed=seed))
            print(f"{fmt:<10} {rounding:<11} {rate / 1e6:13.1f}")
    codes = nibble.quantize(x, "int4")
    rate = best_rate(lambda: nibble.dequantize(codes, "int4", scale=0.5))
    print(f"{'int4':<10} {'dequantize':<11} {rate / 1e6:13.1f}")


if __name__ == "__main__":
    main()

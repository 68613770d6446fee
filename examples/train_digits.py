#!/usr/bin/python3
"""Train a small CNN on scikit-learn's digits with nibble's 4-bit training numerics.

Every GEMM of the 4-bit model, forward and backward, runs through the Python module `nibble`
(docs/python.md), so its values are those of the simulated accelerator:

- forward: activations UINT4 (the image, and every input after a ReLU), weights INT4, one
  power-free scale per tensor (its largest magnitude maps to the top code); the GEMM in
  nibble.gemm, FP16 accumulation in chunks of LANES lanes;
- backward: the output gradient is scaled by GradScale (nibble.grad_scale_update, one exponent
  per layer) and quantized twice to radix-4 FP4 by two-phase rounding: phase 0 for the GEMM
  that propagates it (dgrad: dX = dY * W^T, FP4 x INT4), phase 1 for the weight gradient
  (wgrad: dW = X^T * dY, UINT4 x FP4); both GEMMs in nibble.gemm.

Everything else (bias, ReLU, loss, SGD) is FP32, as an accelerator leaves it to vector units
and the optimizer. The same network, with the same seed, initial weights and batches, is
trained in FP32 for comparison. The data is scikit-learn's bundled digits (1797 images of 8 x 8
pixels, 0 to 16); nothing is downloaded. docs/python.md gives the figures of the default run.

Runs under Debian's /usr/bin/python3 (python3-torch, python3-sklearn) with
PYTHONPATH=build/python.
"""

import argparse
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

import nibble

LANES = 4  # the default PE's lanes (pe.lanes)


def to_f32(bits):
    """binary16 bits from nibble.gemm as a float32 tensor."""
    return torch.from_numpy(bits.view(np.float16).astype(np.float32))


def quantize_tensor(x, fmt, top):
    """Codes of x in a 4-bit integer format with one scale, the largest |x| mapping to `top`."""
    a = x.detach().double().numpy()
    scale = float(np.abs(a).max()) / top
    if scale == 0.0:
        scale = 1.0
    return nibble.quantize(a, fmt, scale=scale), scale


class GradScale:
    """One GradScale exponent per layer, 0 before the layer's first gradient."""

    def __init__(self):
        self.exp = {}

    def scale(self, name, grad):
        e = nibble.grad_scale_update(self.exp.get(name, 0), float(grad.abs().max()))
        self.exp[name] = e
        return 2.0 ** e


class NibbleGemm(torch.autograd.Function):
    """Y = X W with nibble's numerics: X (M x K) UINT4, W (K x N) INT4."""

    @staticmethod
    def forward(ctx, x, w, name, grad_scale):
        xc, sx = quantize_tensor(x, "uint4", 15)
        wc, sw = quantize_tensor(w, "int4", 7)
        ctx.save_for_backward(torch.from_numpy(xc), torch.from_numpy(wc))
        ctx.sx, ctx.sw, ctx.name, ctx.grad_scale = sx, sw, name, grad_scale
        return to_f32(nibble.gemm(xc, "uint4", wc, "int4", lanes=LANES)) * (sx * sw)

    @staticmethod
    def backward(ctx, dy):
        xc, wc = (t.numpy() for t in ctx.saved_tensors)
        factor = ctx.grad_scale.scale(ctx.name, dy)
        g = dy.double().numpy()
        dx = None
        if ctx.needs_input_grad[0]:
            g0 = nibble.quantize(g, "fp4:p0", scale=1.0 / factor)
            dx = to_f32(nibble.gemm(g0, "fp4:p0", np.ascontiguousarray(wc.T), "int4",
                                    lanes=LANES)) * (ctx.sw / factor)
        g1 = nibble.quantize(g, "fp4:p1", scale=1.0 / factor)
        dw = to_f32(nibble.gemm(np.ascontiguousarray(xc.T), "uint4", g1, "fp4:p1",
                                lanes=LANES)) * (ctx.sx / factor)
        return dx, dw, None, None


class Net(torch.nn.Module):
    """conv 3x3 1->16, ReLU, conv 3x3 stride 2 16->32, ReLU, fully connected 512->10."""

    def __init__(self, four_bit):
        super().__init__()
        self.four_bit = four_bit
        self.grad_scale = GradScale()
        self.w1 = torch.nn.Parameter(torch.randn(16, 1, 3, 3) * (2 / 9) ** 0.5)
        self.w2 = torch.nn.Parameter(torch.randn(32, 16, 3, 3) * (2 / 144) ** 0.5)
        self.w3 = torch.nn.Parameter(torch.randn(512, 10) * (1 / 512) ** 0.5)
        self.b3 = torch.nn.Parameter(torch.zeros(10))

    def gemm(self, x, w, name):
        if self.four_bit:
            return NibbleGemm.apply(x, w, name, self.grad_scale)
        return x @ w

    def conv(self, x, w, stride, name):
        """A 3x3 convolution, padding 1, as a GEMM on unfolded patches."""
        batch, _, height, _ = x.shape
        out = (height + 2 - 3) // stride + 1
        cols = F.unfold(x, 3, padding=1, stride=stride).transpose(1, 2)  # B x L x C*9
        y = self.gemm(cols.reshape(-1, cols.shape[-1]), w.reshape(w.shape[0], -1).t(), name)
        return y.reshape(batch, out * out, -1).transpose(1, 2).reshape(batch, -1, out, out)

    def forward(self, x):
        x = F.relu(self.conv(x, self.w1, 1, "conv1"))
        x = F.relu(self.conv(x, self.w2, 2, "conv2"))
        return self.gemm(x.flatten(1), self.w3, "fc") + self.b3


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def train(four_bit, data, epochs, seed, batch=64, lr=0.05):
    x_train, y_train, x_test, y_test = data
    torch.manual_seed(seed)
    model = Net(four_bit)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    order = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = torch.from_numpy(order.permutation(len(x_train)))
        for i in range(0, len(x_train), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return accuracy(model, x_test, y_test)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train a small CNN on scikit-learn's digits "
                                     "with nibble's 4-bit numerics and in FP32.")
    parser.add_argument("--epochs", type=int, default=15, help="epochs (default 15)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and batches")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16).unsqueeze(1)  # 0..1
    labels = torch.from_numpy(digits.target.astype(np.int64))
    perm = torch.from_numpy(np.random.default_rng(1234).permutation(len(labels)))
    test, train_idx = perm[:360], perm[360:]
    data = (images[train_idx], labels[train_idx], images[test], labels[test])
    torch.set_num_threads(1)
    results = {}
    for name, four_bit in (("fp32", False), ("4-bit", True)):
        start = time.time()
        results[name] = train(four_bit, data, args.epochs, args.seed)
        print(f"{name:5s}: test accuracy {results[name]:.4f} ({len(test)} images, "
              f"{args.epochs} epochs, seed {args.seed}, {time.time() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

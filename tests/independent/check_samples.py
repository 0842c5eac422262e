#!/usr/bin/env python3
"""Independent check of scorelab's sample-quality metrics on a samples.csv (numpy only).

Recomputes, from the definitions in the README and with its own code: mode coverage (nearest mode,
high quality within 3 std, covered, strict at 0.2 N w_k, high-quality fraction over all samples,
KL of the high-quality histogram from the mode weights), the mean true log-density, the count of
non-finite rows, and the unbiased MMD^2 against the reference sample it is handed (the harness's own
5000 draws, so MMD^2 must agree to rounding).

Both files hold float32 values written as decimals that round-trip float32 exactly; they are read
back to those float32 values, as the harness measured them.

Usage: check_samples.py samples.csv reference.csv ring8|three_clusters|grid25|mixture1d
Prints one JSON object.
"""
import json
import sys

import numpy as np


def mixture(name):
    if name == "ring8":
        a = 2 * np.pi * np.arange(8) / 8
        return np.stack([3 * np.cos(a), 3 * np.sin(a)], 1), 0.25, np.full(8, 1 / 8)
    if name == "three_clusters":
        return np.array([[-2.0, -2.0], [2.0, -2.0], [0.0, 2.5]]), 0.5, np.full(3, 1 / 3)
    if name == "grid25":
        t = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
        return np.array([[u, v] for u in t for v in t]), 0.05, np.full(25, 1 / 25)
    if name == "mixture1d":
        return np.array([[-2.0], [1.5]]), 0.5, np.array([0.3, 0.7])
    raise SystemExit(f"unknown mixture {name}")


def log_density(x, means, std, weights):
    d2 = ((x[:, None, :] - means[None, :, :]) ** 2).sum(-1)
    dim = means.shape[1]
    logits = -d2 / (2 * std**2) + np.log(weights)[None, :] - 0.5 * dim * np.log(2 * np.pi * std**2)
    m = logits.max(1, keepdims=True)
    return (m + np.log(np.exp(logits - m).sum(1, keepdims=True)))[:, 0]


def kernel_mean(a, b, hs=(0.1, 0.2, 0.5, 1.0, 2.0), same=False):
    """Mean of the summed RBF kernel over pairs (distinct pairs when same), in row blocks."""
    total = 0.0
    for i in range(0, len(a), 500):
        blk = a[i:i + 500]
        d2 = ((blk[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        k = sum(np.exp(-d2 / (2 * h * h)) for h in hs)
        if same:
            rows = np.arange(len(blk))
            k[rows, rows + i] = 0.0
        total += k.sum()
    n, m = len(a), len(b)
    return total / (n * (n - 1)) if same else total / (n * m)


def read(path, dim):
    with open(path) as f:
        header = f.readline().strip().split(",")
    x = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return x[:, :dim].astype(np.float32).astype(np.float64), header


def main():
    path, ref_path, name = sys.argv[1], sys.argv[2], sys.argv[3]
    means, std, weights = mixture(name)
    dim = means.shape[1]
    x, _ = read(path, dim)
    ref, _ = read(ref_path, dim)
    n = len(x)
    finite = np.isfinite(x).all(1)
    xf = x[finite]
    k = len(means)
    d = np.sqrt(((xf[:, None, :] - means[None, :, :]) ** 2).sum(-1))
    nearest, dist = d.argmin(1), d.min(1)
    hq = dist < 3 * std
    counts = np.bincount(nearest[hq], minlength=k)
    total = hq.sum()
    if total > 0:
        p = counts / total
        kl = float(sum(pk * np.log(pk / wk) for pk, wk in zip(p, weights) if pk > 0))
    else:
        kl = float(np.log(1 / weights.min()))
    mmd2 = kernel_mean(xf, xf, same=True) + kernel_mean(ref, ref, same=True) - 2 * kernel_mean(xf, ref)
    print(json.dumps({
        "nonFinite": int(n - finite.sum()),
        "modesCovered": int((counts > 0).sum()),
        "modesCoveredStrict": int((counts >= 0.2 * len(xf) * weights).sum()),
        "highQualityFraction": float(total / n),
        "modeKl": kl,
        "meanLogDensity": float(log_density(xf, means, std, weights).mean()),
        "mmd2": float(mmd2),
    }))


if __name__ == "__main__":
    main()

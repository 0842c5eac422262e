#!/usr/bin/env python3
"""Independent check of scorelab's sample-quality metrics on a samples.csv (numpy only).

Recomputes, from the definitions in the README and with its own code and random numbers:
mode coverage (nearest mode, high quality within 3 std, covered, strict, high-quality fraction,
histogram KL from uniform), the mean true log-density, and the unbiased MMD^2 against its own 5000
fresh draws of the true mixture (so MMD^2 agrees with scorelab's only up to reference noise).

Usage: check_samples.py samples.csv ring8|three_clusters|grid25
Prints one JSON object.
"""
import json
import sys

import numpy as np


def mixture(name):
    if name == "ring8":
        a = 2 * np.pi * np.arange(8) / 8
        return np.stack([3 * np.cos(a), 3 * np.sin(a)], 1), 0.25
    if name == "three_clusters":
        return np.array([[-2.0, -2.0], [2.0, -2.0], [0.0, 2.5]]), 0.5
    if name == "grid25":
        t = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
        return np.array([[u, v] for u in t for v in t]), 0.05
    raise SystemExit(f"unknown mixture {name}")


def log_density(x, means, std):
    d2 = ((x[:, None, :] - means[None, :, :]) ** 2).sum(-1)
    k = len(means)
    logits = -d2 / (2 * std**2) - np.log(k) - np.log(2 * np.pi * std**2)
    m = logits.max(1, keepdims=True)
    return (m + np.log(np.exp(logits - m).sum(1, keepdims=True)))[:, 0]


def mmd2_unbiased(x, y, hs=(0.1, 0.2, 0.5, 1.0, 2.0)):
    def gram(a, b):
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return sum(np.exp(-d2 / (2 * h * h)) for h in hs)

    n, m = len(x), len(y)
    kxx, kyy, kxy = gram(x, x), gram(y, y), gram(x, y)
    return ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * kxy.mean())


def main():
    path, name = sys.argv[1], sys.argv[2]
    x = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    means, std = mixture(name)
    k = len(means)
    d = np.sqrt(((x[:, None, :] - means[None, :, :]) ** 2).sum(-1))
    nearest, dist = d.argmin(1), d.min(1)
    hq = dist < 3 * std
    counts = np.bincount(nearest[hq], minlength=k)
    p = counts[counts > 0] / max(hq.sum(), 1)
    kl = float((p * np.log(p * k)).sum()) if hq.sum() > 0 else float(np.log(k))
    rng = np.random.default_rng(12345)
    ref = means[rng.integers(0, k, 5000)] + std * rng.standard_normal((5000, 2))
    print(json.dumps({
        "modesCovered": int((counts > 0).sum()),
        "modesCoveredStrict": int((counts >= 0.2 * len(x) / k).sum()),
        "highQualityFraction": float(hq.mean()),
        "modeKl": kl,
        "meanLogDensity": float(log_density(x, means, std).mean()),
        "mmd2": float(mmd2_unbiased(x, ref)),
    }))


if __name__ == "__main__":
    main()

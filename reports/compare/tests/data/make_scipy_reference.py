#!/usr/bin/python3
"""Regenerate scipy_reference.json: Mann-Whitney U (scipy.stats.mannwhitneyu,
two-sided, defaults as Google Benchmark's compare.py calls it) and the
Hodges-Lehmann ratio interval computed independently of the C++ code
(exact null distribution of U by brute-force enumeration of orderings).

    /usr/bin/python3 make_scipy_reference.py > scipy_reference.json

Debian 12: python3-scipy 1.10.1, python3-numpy 1.24.2.
"""
import itertools
import json
import math
import sys

import numpy as np
import scipy
from scipy.stats import mannwhitneyu, norm

rng = np.random.default_rng(20240607)


def lognormal(n, median, sigma):
    return [float(x) for x in median * np.exp(sigma * rng.standard_normal(n))]


CASES = [
    ("n1_vs_1", [1.0], [2.0]),
    ("n1_vs_2", [1.0], [2.0, 3.0]),
    ("n2_vs_2_separated", [1.0, 1.1], [2.0, 2.1]),
    ("n2_vs_2_identical", [1.0, 1.0], [1.0, 1.0]),
    ("n3_vs_3_separated", [1.0, 1.2, 1.1], [2.0, 2.2, 2.1]),
    ("n3_vs_3_interleaved", [1.0, 3.0, 5.0], [2.0, 4.0, 6.0]),
    ("n3_vs_3_ties", [1.0, 2.0, 2.0], [2.0, 3.0, 3.0]),
    ("n5_vs_5_separated", [1e-3, 1.01e-3, 1.02e-3, 0.99e-3, 1.005e-3],
     [1.2e-3, 1.21e-3, 1.19e-3, 1.22e-3, 1.18e-3]),
    ("n5_vs_5_overlap", lognormal(5, 1e-3, 0.05), lognormal(5, 1e-3, 0.05)),
    ("n5_vs_7", lognormal(5, 2e-6, 0.1), lognormal(7, 2.2e-6, 0.1)),
    ("n8_vs_20_exact", lognormal(8, 1.0, 0.2), lognormal(20, 1.1, 0.2)),
    ("n9_vs_9_asymptotic", lognormal(9, 5e-4, 0.1), lognormal(9, 5.5e-4, 0.1)),
    ("n10_vs_12_ties", [1.0, 2, 2, 3, 3, 3, 4, 5, 5, 6], [2.0, 3, 3, 4, 4, 5, 6, 6, 7, 7, 8, 9]),
    ("n20_vs_25_shifted", lognormal(20, 1e-2, 0.1), lognormal(25, 1.3e-2, 0.1)),
    ("all_tied", [3.0] * 6, [3.0] * 6),
]


def exact_counts(m, n):
    """counts[k] = number of orderings with U_a = k (pairs a > b), by enumeration."""
    counts = [0] * (m * n + 1)
    for pos in itertools.combinations(range(m + n), m):
        # a's at positions pos (ascending ranks); U_a = sum over a of #b below it
        u = sum(p - i for i, p in enumerate(pos))
        counts[u] += 1
    return counts


def hl_ratio(a, b, confidence):
    d = sorted(math.log(y) - math.log(x) for x in a for y in b)
    N = len(d)
    est = math.exp(float(np.median(d)))
    half = (1 - confidence) / 2
    m, n = len(a), len(b)
    if min(m, n) <= 8 and m * n <= 10000 and math.comb(m + n, m) <= 5_000_000:
        counts = exact_counts(m, n)
        total = sum(counts)
        K, cdf = 0, 0
        for k in range(1, len(counts) + 1):
            cdf += counts[k - 1]
            if cdf / total <= half:
                K = k
            else:
                break
    else:
        k = math.floor(m * n / 2 - norm.ppf(1 - half) * math.sqrt(m * n * (m + n + 1) / 12))
        K = k if k >= 1 else 0
    out = {"estimate": est}
    if K >= 1 and N + 1 - K >= K:
        out["low"] = math.exp(d[K - 1])
        out["high"] = math.exp(d[N - K])
    return out


rows = []
for name, a, b in CASES:
    r = mannwhitneyu(a, b, alternative="two-sided")
    ties = len(set(a + b)) < len(a + b)
    method = "asymptotic" if (len(a) > 8 and len(b) > 8) or ties else "exact"
    row = {"name": name, "a": a, "b": b, "u1": float(r.statistic), "p": float(r.pvalue),
           "method": method}
    if all(x > 0 for x in a + b):
        row["ratio_95"] = hl_ratio(a, b, 0.95)
    rows.append(row)
json.dump({"generator": "make_scipy_reference.py", "scipy": scipy.__version__,
           "numpy": np.__version__, "cases": rows}, sys.stdout, indent=1)
sys.stdout.write("\n")

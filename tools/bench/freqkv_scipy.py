#!/usr/bin/env python3
"""The scipy side of tools/bench/freqkvBench.mjs.

Usage: freqkv_scipy.py INPUT.npy KEEP AXIS REPEATS OUT_PREFIX
Times, on the same float32 data the Node side uses, scipy.fft.dct along AXIS
and the FreqKV operator (DCT, keep the first KEEP coefficients, IDCT of length
KEEP, times sqrt(KEEP/N)) with 1 thread and with all cores. Prints one JSON
object (medians, and every run's time under "runs"); writes scipy's compressed
tensor to OUT_PREFIX.npy for the cross-check.
"""
import json
import os
import sys
import time

import numpy as np
import scipy
from scipy.fft import dct, idct


RUNS = {}


def median_ms(name, fn, repeats):
    fn()  # warm-up: plan caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    RUNS[name] = sorted(times)
    return float(np.median(times))


def main():
    path, keep, axis, repeats, out_prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    x = np.load(path)
    n = x.shape[axis]
    cores = os.cpu_count() or 1

    def compress(workers):
        coeffs = dct(x, type=2, norm="ortho", axis=axis, workers=workers)
        kept = np.take(coeffs, np.arange(keep), axis=axis)
        return np.sqrt(keep / n) * idct(kept, type=2, norm="ortho", axis=axis, workers=workers)

    result = {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "cores": cores,
        "dct_1": median_ms("dct_1", lambda: dct(x, type=2, norm="ortho", axis=axis, workers=1), repeats),
        "dct_all": median_ms("dct_all", lambda: dct(x, type=2, norm="ortho", axis=axis, workers=cores), repeats),
        "compress_1": median_ms("compress_1", lambda: compress(1), repeats),
        "compress_all": median_ms("compress_all", lambda: compress(cores), repeats),
    }
    result["runs"] = RUNS
    np.save(out_prefix + ".npy", compress(1).astype(np.float32))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

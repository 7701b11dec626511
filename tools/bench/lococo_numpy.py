#!/usr/bin/env python3
"""The NumPy side of tools/bench/lococoBench.mjs: LoCoCo fusion of [groups, tokens, features].

Usage: lococo_numpy.py INPUT.npy WEIGHTS.npy BIAS.npy BLEND PRIOR_WIDTH SLOTS SINKS HEAVY WINDOW REPEATS OUT.npy CONV
The same operator as @globalmcp/lococo's fuse() with unit counts: observation-window
scores, sinks, heavy hitters, conv, ReLU + positional prior, softmax, blend with
the one-hot pick, mixing. CONV is "direct" (one BLAS matrix product over sliding
windows, as torch's Conv1d does it) or "fft" (overlap-save with numpy.fft and one
batched complex matrix product per frequency, the algorithm @globalmcp/lococo uses).
Prints the median time in ms as JSON and writes the result for the cross-check.
"""
import json
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def top_in_order(candidates, scores, take):
    # largest scores first, ties to the earlier token; returned in token order
    order = np.lexsort((candidates, -scores[candidates]))
    return np.sort(candidates[order[:take]])


BLOCK = 256


def kernel_spectra(weights):
    # conj(FFT(w)) per (slot, feature), frequency-major for the batched product: [half, fused, features]
    return np.ascontiguousarray(np.conj(np.fft.rfft(weights, n=BLOCK, axis=2)).transpose(2, 0, 1))


def conv_fft(xt, spectra, k):
    features, n = xt.shape
    pad = (k - 1) // 2
    step = BLOCK - (k - 1)
    blocks = -(-n // step)
    padded = np.zeros((features, blocks * step + k - 1))
    padded[:, pad:pad + n] = xt
    segments = sliding_window_view(padded, BLOCK, axis=1)[:, ::step][:, :blocks]  # [features, blocks, BLOCK]
    s = np.fft.rfft(segments, axis=2).transpose(2, 0, 1)  # [half, features, blocks]
    z = np.fft.irfft(np.matmul(spectra, s), n=BLOCK, axis=0)[:step]  # [step, fused, blocks]
    return z.transpose(1, 2, 0).reshape(z.shape[1], -1)[:, :n]


def fuse_group(x, weights, bias, blend, width, slots, sinks, heavy, window, spectra):
    tokens, features = x.shape
    fused = slots - sinks - heavy
    q = x[tokens - window:]
    logits = q @ x.T / np.sqrt(features)
    logits -= logits.max(axis=1, keepdims=True)
    attn = np.exp(logits)
    attn /= attn.sum(axis=1, keepdims=True)
    scores = attn.sum(axis=0)
    heavy_idx = top_in_order(np.arange(sinks, tokens), scores, heavy)
    mask = np.ones(tokens, dtype=bool)
    mask[:sinks] = False
    mask[heavy_idx] = False
    rest = np.nonzero(mask)[0]
    n = rest.size
    one_hot = top_in_order(np.arange(n), scores[rest], fused)
    xr = x[rest]
    k = weights.shape[2]
    pad = (k - 1) // 2
    if np.any(weights) and spectra is not None:
        z = conv_fft(xr.T, spectra, k) + bias[:, None]
    elif np.any(weights):
        padded = np.pad(xr.T, ((0, 0), (pad, pad)))
        windows = sliding_window_view(padded, k, axis=1)  # [features, n, k]
        z = np.tensordot(weights, windows, axes=([1, 2], [0, 2])) + bias[:, None]
    else:
        z = np.zeros((fused, n))
    pos = (np.arange(n) + 0.5) / n
    centre = (np.arange(fused) + 0.5) / fused
    sigma = width / fused
    prior = -((pos[None, :] - centre[:, None]) ** 2) / (2 * sigma * sigma)
    lg = np.maximum(z, 0) + prior
    lg -= lg.max(axis=1, keepdims=True)
    soft = np.exp(lg)
    soft /= soft.sum(axis=1, keepdims=True)
    mix = blend * soft
    mix[np.arange(fused), one_hot] += 1 - blend
    y = mix @ xr
    return np.concatenate([x[:sinks], x[heavy_idx], y], axis=0)


def main():
    (path, wpath, bpath, blend, width, slots, sinks, heavy, window, repeats, out, conv) = sys.argv[1:13]
    x = np.load(path).astype(np.float64)
    weights = np.load(wpath)
    bias = np.load(bpath)
    args = (weights, bias, float(blend), float(width), int(slots), int(sinks), int(heavy), int(window))

    def run():
        # like ours, the kernel spectra are computed once per call and shared by every sequence
        spectra = kernel_spectra(weights) if conv == "fft" and np.any(weights) else None
        return np.stack([fuse_group(x[g], *args, spectra) for g in range(x.shape[0])])

    run()
    times = []
    for _ in range(int(repeats)):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    np.save(out, result.astype(np.float32))
    print(json.dumps({"ms": float(np.median(times)), "numpy": np.__version__}))


if __name__ == "__main__":
    main()

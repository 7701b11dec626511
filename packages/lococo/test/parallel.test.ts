import { afterAll, describe, expect, it } from 'vitest';
import { TensorError, createRandom, syntheticSequence } from '@globalmcp/tensor';
import { LococoError, defaultKernels, fuse, fuseKv } from '../src/index.js';
import type { FuseResult } from '../src/index.js';
import { closeWorkers, fuseKvParallel, fuseParallel } from '../src/parallel.js';

afterAll(closeWorkers);

function sequences(groups: number, tokens: number, dim: number, seed: number): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(groups * tokens * dim);
  for (let g = 0; g < groups; g++) data.set(syntheticSequence({ tokens, dim, seed: seed + g, offsetStd: 1, dtype: 'float32' }).data, g * tokens * dim);
  return { data, shape: [groups, tokens, dim] };
}

function expectSame(parallel: FuseResult, serial: FuseResult): void {
  expect(parallel.tensor.shape).toEqual(serial.tensor.shape);
  const a = parallel.tensor.data;
  const b = serial.tensor.data;
  expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(0);
  expect(Array.from(parallel.counts)).toEqual(Array.from(serial.counts));
  expect({ ...parallel.stats, ms: 0 }).toEqual({ ...serial.stats, ms: 0 });
}

describe('fuseParallel and fuseKvParallel', () => {
  it('give the same slots, counts and stats as fuse, bit for bit, with the default and dense kernels', async () => {
    const input = sequences(5, 700, 80, 1);
    const random = createRandom(3);
    const dense = defaultKernels(22, 80);
    const kernels = { ...dense, weights: dense.weights.map(() => 0.02 * random.normal()), bias: dense.bias.fill(0.5), blend: 0.8 };
    for (const options of [{ slots: 48 }, { slots: 48, kernels }]) {
      for (const threads of [2, 3]) expectSame(await fuseParallel(input, options, { threads }), fuse(input, options));
    }
  });

  it('slice per-sequence counts, scores and queries to each share', async () => {
    const input = sequences(4, 600, 120, 7);
    const random = createRandom(9);
    const counts = Float64Array.from({ length: 4 * 600 }, () => 1 + Math.floor(3 * random.uniform()));
    const scores = Float64Array.from({ length: 4 * 600 }, () => random.uniform());
    const queries = { data: Float64Array.from({ length: 4 * 5 * 120 }, () => random.normal()), shape: [4, 5, 120] };
    expectSame(await fuseParallel(input, { slots: 40, counts, scores }, { threads: 2 }), fuse(input, { slots: 40, counts, scores }));
    expectSame(await fuseParallel(input, { slots: 40, counts, queries }, { threads: 2 }), fuse(input, { slots: 40, counts, queries }));
  });

  it('split a KV cache by (layer, head), whether there are several layers or one', async () => {
    for (const shape of [
      [3, 2, 2, 500, 64],
      [2, 3, 500, 64],
    ]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const kv = { data: Float64Array.from({ length: size }, (_, i) => Math.sin(i * 0.0007) + ((i * 7919) % 17) / 40), shape };
      expectSame(await fuseKvParallel(kv, { slots: 32 }, { threads: 2 }), fuseKv(kv, { slots: 32 }));
    }
  });

  it('run inline on one thread or a small input, and refuse a bad thread count', async () => {
    const small = sequences(2, 100, 8, 2);
    expectSame(await fuseParallel(small, { slots: 20 }, { threads: 2 }), fuse(small, { slots: 20 }));
    expectSame(await fuseParallel(sequences(3, 600, 200, 2), { slots: 20 }, { threads: 1 }), fuse(sequences(3, 600, 200, 2), { slots: 20 }));
    await expect(fuseParallel(small, { slots: 20 }, { threads: 0 })).rejects.toThrow('threads must be a positive integer; got 0');
  });

  it('throw the errors fuse throws, naming positions in the whole tensor', async () => {
    const input = sequences(4, 600, 120, 3);
    input.data[3 * 600 * 120 + 100 * 120 + 7] = Number.NaN; // in the last sequence: a worker's share
    await expect(fuseParallel(input, { slots: 40 }, { threads: 2 })).rejects.toThrow(TensorError);
    await expect(fuseParallel(input, { slots: 40 }, { threads: 2 })).rejects.toThrow('tensor holds NaN at index [3, 100, 7]');
    await expect(fuseParallel(sequences(4, 600, 120, 3), { slots: 600 }, { threads: 2 })).rejects.toThrow(LococoError);
    await expect(fuseKvParallel(sequences(4, 600, 120, 3), { slots: 40 }, { threads: 2 })).rejects.toThrow('a KV cache must have shape');
  });

  it('fails with WORKER_FAILED, rather than hangs, when its workers are stopped mid-call', async () => {
    const input = sequences(8, 2048, 128, 5);
    const pending = fuseParallel(input, { slots: 64 }, { threads: 2 });
    const stopping = closeWorkers();
    const outcome = await pending.then(
      () => 'finished',
      (error: LococoError) => `${error.code}: ${error.message}`,
    );
    await stopping;
    expect(['finished', expect.stringMatching(/^WORKER_FAILED: fuse worker exited/)]).toContainEqual(outcome);
    // and the next call starts new workers
    const again = sequences(4, 600, 120, 4);
    expectSame(await fuseParallel(again, { slots: 40 }, { threads: 2 }), fuse(again, { slots: 40 }));
  });
});

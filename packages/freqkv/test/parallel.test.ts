import { afterAll, describe, expect, it } from 'vitest';
import { TensorError, compress } from '../src/index.js';
import { closeWorkers, compressParallel } from '../src/parallel.js';

afterAll(closeWorkers);

function tensor(shape: number[], seed: number): { data: Float32Array; shape: number[] } {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001 * seed) + ((i * 7919) % 13) / 130), shape };
}

describe('compressParallel', () => {
  it('gives the same tensor, counts and sizes as compress, bit for bit, for even and odd channel splits', async () => {
    // all above the size below which compressParallel runs inline; the first two split whole
    // outer slices between threads, the last (one outer slice) splits channels
    for (const shape of [
      [4, 1100, 64],
      [3, 1201, 75],
      [2, 4096, 65],
      [5, 1100, 65],
      [1201, 251],
    ]) {
      const input = tensor(shape, 3);
      const options = { sinkTokens: 4, recentTokens: 2, retention: 0.37 };
      const serial = compress(input, options);
      const parallel = await compressParallel(input, options, { threads: 2 });
      expect(parallel.tensor.shape).toEqual(serial.tensor.shape);
      expect(Buffer.compare(Buffer.from(parallel.tensor.data.buffer, 0, parallel.tensor.data.byteLength), Buffer.from(serial.tensor.data.buffer))).toBe(0);
      expect(Array.from(parallel.counts)).toEqual(Array.from(serial.counts));
      expect(parallel.stats.energyKept).toBeCloseTo(serial.stats.energyKept, 10);
      expect(Object.prototype.toString.call(parallel.tensor.data.buffer)).toBe('[object SharedArrayBuffer]');
    }
  });

  it('gives each of several overlapping calls its own correct result', async () => {
    const a = tensor([4, 1100, 64], 11);
    const b = tensor([4, 1100, 64], 13);
    const [pa, pb] = await Promise.all([compressParallel(a, {}, { threads: 2 }), compressParallel(b, {}, { threads: 2 })]);
    expect(Array.from(pa.tensor.data)).toEqual(Array.from(compress(a).tensor.data));
    expect(Array.from(pb.tensor.data)).toEqual(Array.from(compress(b).tensor.data));
  });

  it('reports NaN found by a worker as the same TensorError compress throws', async () => {
    const input = tensor([4, 1100, 64], 5);
    input.data[3 * 1100 * 64 + 100 * 64 + 7] = Number.NaN; // in the last outer slice: a worker's share
    await expect(compressParallel(input, {}, { threads: 2 })).rejects.toThrow(TensorError);
    await expect(compressParallel(input, {}, { threads: 2 })).rejects.toThrow('tensor holds NaN at index [3, 100, 7]');
  });

  it('fails, rather than hangs, when its workers are stopped mid-call', async () => {
    const input = tensor([8, 2048, 64], 7);
    const pending = compressParallel(input, {}, { threads: 2 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await closeWorkers();
    const outcome = await pending.then(
      () => 'finished',
      (error: Error) => error.message,
    );
    // either the worker had already answered, or the call reports the exit
    expect(['finished', expect.stringContaining('compress worker exited')]).toContainEqual(outcome);
  });

  it('runs small inputs and threads: 1 inline, and rejects a bad thread count', async () => {
    const small = tensor([10, 4], 1);
    expect(Array.from((await compressParallel(small, { axis: 0 })).tensor.data)).toEqual(Array.from(compress(small, { axis: 0 }).tensor.data));
    await expect(compressParallel(small, {}, { threads: 0 })).rejects.toThrow('threads must be a positive integer; got 0');
  });
});

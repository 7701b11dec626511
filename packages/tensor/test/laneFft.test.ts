import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createComplexFft } from '../src/complexFft.js';
import { laneFft } from '../src/laneFft.js';

function signal(n: number, seed: number): Float64Array {
  return Float64Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 0.7 + seed) + (((i + seed) * 37) % 11) / 11);
}

/** Runs both lanes of the lane FFT of length n on x0 and x1 (interleaved re, im) and returns each lane's output. */
function runLanes(n: number, x0: Float64Array, x1: Float64Array, inverse: boolean): [Float64Array, Float64Array] {
  const fft = laneFft(n);
  if (fft === null) throw new Error(`no lane FFT of length ${n}`);
  const { data, inputAt } = fft;
  for (let i = 0; i < n; i++) {
    const at = inputAt[i] as number;
    data[at] = x0[2 * i] as number;
    data[at + 1] = x1[2 * i] as number;
    data[at + 2] = x0[2 * i + 1] as number;
    data[at + 3] = x1[2 * i + 1] as number;
  }
  if (inverse) fft.inverse();
  else fft.forward();
  const y0 = new Float64Array(2 * n);
  const y1 = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    y0[2 * k] = data[4 * k] as number;
    y1[2 * k] = data[4 * k + 1] as number;
    y0[2 * k + 1] = data[4 * k + 2] as number;
    y1[2 * k + 1] = data[4 * k + 3] as number;
  }
  return [y0, y1];
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('laneFft', () => {
  it('computes two transforms at once that match fft.js, forward and inverse, for every power of two up to 2^14', () => {
    for (let bits = 0; bits <= 14; bits++) {
      const n = 2 ** bits;
      const reference = createComplexFft(n);
      for (const inverse of [false, true]) {
        const [x0, x1] = [signal(n, 1), signal(n, 2)];
        const [y0, y1] = runLanes(n, x0, x1, inverse);
        const [r0, r1] = [new Float64Array(2 * n), new Float64Array(2 * n)];
        if (inverse) {
          reference.inverse(r0, x0);
          reference.inverse(r1, x1);
          // the reference's inverse is normalised by 1 / n, ours is not
          r0.forEach((v, i) => (r0[i] = v * n));
          r1.forEach((v, i) => (r1[i] = v * n));
        } else {
          reference.forward(r0, x0);
          reference.forward(r1, x1);
        }
        const scale = Math.sqrt(n) * 2;
        expect(maxAbsDiff(y0, r0), `n=${n} inverse=${inverse} lane 0`).toBeLessThan(1e-14 * scale * Math.max(1, bits));
        expect(maxAbsDiff(y1, r1), `n=${n} inverse=${inverse} lane 1`).toBeLessThan(1e-14 * scale * Math.max(1, bits));
      }
    }
  });

  it("keeps the lanes apart: one lane's result does not depend, to the bit, on the other's input", () => {
    const n = 1024;
    const x = signal(n, 3);
    const [withNoise] = runLanes(n, x, signal(n, 9).map((v) => v * 1e6), false);
    const [withZeros] = runLanes(n, x, new Float64Array(2 * n), false);
    expect(Array.from(withNoise)).toEqual(Array.from(withZeros));
  });

  it('is null for lengths that are not powers of two, and where WebAssembly is missing', () => {
    expect(laneFft(4096)).not.toBeNull();
    expect(laneFft(4096)).toBe(laneFft(4096));
    for (const n of [0, 3, 4092, 6, -8, 2.5, Number.NaN]) expect(laneFft(n)).toBeNull();
    const script = "import { laneFft } from '@globalmcp/tensor'; console.log(String(laneFft(64)));";
    expect(execFileSync(process.execPath, ['--jitless', '--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()).toBe('null');
  });
});

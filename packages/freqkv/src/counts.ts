import { FreqKvError } from './freqKvError.js';
import { pairedDct } from './planCache.js';

/**
 * Counts below this are raised to it after compression: the DCT's Gibbs
 * undershoot can push a slot's count to or below zero, and log(count) is the
 * attention bias a slot gets.
 */
export const MIN_COUNT = 1e-3;

/** Validates caller-supplied token counts (one positive finite number per token) or makes all-ones. */
export function resolveCounts(counts: ArrayLike<number> | undefined, tokens: number): Float64Array {
  if (counts === undefined) return new Float64Array(tokens).fill(1);
  if (counts.length !== tokens) {
    throw new FreqKvError('SHAPE_MISMATCH', `counts has ${counts.length} entries but the tensor has ${tokens} tokens; give one count per token`);
  }
  const out = Float64Array.from(counts);
  for (let i = 0; i < tokens; i++) {
    const c = out[i] as number;
    if (!(c > 0) || c === Number.POSITIVE_INFINITY) {
      throw new FreqKvError('INVALID_OPTIONS', `counts[${i}] must be a positive finite number of original tokens; got ${String(c)}`);
    }
  }
  return out;
}

/**
 * The counts of the output slots when tokens [from, from + span) are compressed
 * to `keep` slots: the same operator applied to the count vector, times
 * span/keep (which conserves the total exactly), clamped to {@link MIN_COUNT}
 * and rescaled so the total stays exact. Writes `keep` values into `out` at `outOffset`.
 */
export function compressSpanCounts(counts: Float64Array, from: number, span: number, keep: number, out: Float64Array, outOffset: number): void {
  let total = 0;
  for (let i = 0; i < span; i++) total += counts[from + i] as number;
  if (keep === span) {
    out.set(counts.subarray(from, from + span), outOffset);
    return;
  }
  const forward = pairedDct(span);
  const inverse = pairedDct(keep);
  const packed = forward.packed;
  for (let i = 0; i < span; i++) {
    const p = 2 * (forward.perm[i] as number);
    packed[p] = counts[from + i] as number;
    packed[p + 1] = 0;
  }
  const coeffs = new Float64Array(keep);
  const unused = new Float64Array(keep);
  forward.forward(packed, coeffs, unused, keep);
  unused.fill(0);
  inverse.inverse(coeffs, unused, Math.sqrt(keep / span) * (span / keep), inverse.packed);
  let sum = 0;
  for (let i = 0; i < keep; i++) {
    const c = Math.max(MIN_COUNT, inverse.packed[2 * (inverse.perm[i] as number)] as number);
    out[outOffset + i] = c;
    sum += c;
  }
  const fix = total / sum;
  for (let i = 0; i < keep; i++) out[outOffset + i] = (out[outOffset + i] as number) * fix;
}

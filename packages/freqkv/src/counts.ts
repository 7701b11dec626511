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
  const out = new Float64Array(tokens);
  let total = 0;
  for (let i = 0; i < tokens; i++) {
    const c = counts[i];
    if (typeof c !== 'number' || !(c > 0) || c === Number.POSITIVE_INFINITY) {
      throw new FreqKvError('INVALID_OPTIONS', `counts[${i}] must be a positive finite number of original tokens; got ${typeof c === 'string' ? JSON.stringify(c) : String(c)}`);
    }
    out[i] = c;
    total += c;
  }
  if (!Number.isFinite(total)) throw new FreqKvError('INVALID_OPTIONS', `counts sum to more than the largest float64 (${Number.MAX_VALUE}); give them in smaller units`);
  return out;
}

/**
 * The counts of the output slots when tokens [from, from + span) are compressed
 * to `keep` slots: the same operator applied to the count vector, times
 * span/keep (which conserves the total exactly), raised to at least
 * {@link MIN_COUNT} with the others rescaled so the total stays exact. Writes
 * `keep` values into `out` at `outOffset`.
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
  for (let i = 0; i < keep; i++) out[outOffset + i] = inverse.packed[2 * (inverse.perm[i] as number)] as number;
  conserveTotal(out.subarray(outOffset, outOffset + keep), total);
}

/**
 * Raises counts below {@link MIN_COUNT} to it and rescales the others so the
 * total is exactly `total` again, repeating while the rescale pushes another
 * count below the floor (a few rounds at most).
 */
function conserveTotal(counts: Float64Array, total: number): void {
  const floorTotal = MIN_COUNT * counts.length;
  if (total <= floorTotal) {
    counts.fill(total / counts.length);
    return;
  }
  const clamped = new Uint8Array(counts.length);
  for (;;) {
    let free = 0;
    let fixed = 0;
    let changed = false;
    for (let i = 0; i < counts.length; i++) {
      if (clamped[i] === 0 && (counts[i] as number) < MIN_COUNT) {
        clamped[i] = 1;
        changed = true;
      }
      if (clamped[i] === 1) {
        counts[i] = MIN_COUNT;
        fixed += MIN_COUNT;
      } else {
        free += counts[i] as number;
      }
    }
    const scale = (total - fixed) / free;
    for (let i = 0; i < counts.length; i++) if (clamped[i] === 0) counts[i] = (counts[i] as number) * scale;
    if (!changed) return;
  }
}

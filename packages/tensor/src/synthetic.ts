import { createRandom } from './random.js';
import { TensorError } from './tensorError.js';
import type { Tensor } from './tensor.js';

/** Options of {@link syntheticSequence}; the defaults are the "smooth" data of the numerics reference. */
export interface SyntheticOptions {
  /** Tokens (rows). */
  tokens: number;
  /** Channels per token. */
  dim: number;
  /** AR(1) coefficient along the tokens; 0 gives white noise. Default 0.99. */
  rho?: number;
  /** Variance of the white noise added on top (relative to the unit-variance AR process). Default 0.1. */
  noiseVariance?: number;
  /** Std of one offset vector added to every token (the shared offset real keys have). Default 0. */
  offsetStd?: number;
  seed?: number;
  dtype?: 'float32' | 'float64';
}

/**
 * A `[tokens, dim]` sequence whose channels are stationary unit-variance AR(1)
 * processes plus white noise: the "smooth" keys and values on which the
 * reference figures of FreqKV's fidelity were measured.
 */
export function syntheticSequence(options: SyntheticOptions): Tensor {
  const { tokens, dim, rho = 0.99, noiseVariance = 0.1, offsetStd = 0, seed = 0, dtype = 'float64' } = options;
  const bad = (field: string, expected: string, got: unknown) => new TensorError('INVALID_ARGUMENT', `syntheticSequence: ${field} must be ${expected}; got ${String(got)}`);
  if (!Number.isSafeInteger(tokens) || tokens < 1) throw bad('tokens', 'a positive integer', tokens);
  if (!Number.isSafeInteger(dim) || dim < 1) throw bad('dim', 'a positive integer', dim);
  if (!(Math.abs(rho) < 1)) throw bad('rho', 'a number in (-1, 1)', rho);
  if (!(noiseVariance >= 0) || !Number.isFinite(noiseVariance)) throw bad('noiseVariance', 'a finite number >= 0', noiseVariance);
  if (!(offsetStd >= 0) || !Number.isFinite(offsetStd)) throw bad('offsetStd', 'a finite number >= 0', offsetStd);
  if (!Number.isSafeInteger(seed)) throw bad('seed', 'an integer', seed);
  if (dtype !== 'float32' && dtype !== 'float64') throw bad('dtype', '"float32" or "float64"', dtype);
  const random = createRandom(seed);
  const data = dtype === 'float32' ? new Float32Array(tokens * dim) : new Float64Array(tokens * dim);
  const innovation = Math.sqrt(1 - rho * rho);
  const noise = Math.sqrt(noiseVariance);
  const state = new Float64Array(dim);
  const offset = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    state[j] = random.normal();
    offset[j] = offsetStd * random.normal();
  }
  for (let t = 0; t < tokens; t++) {
    for (let j = 0; j < dim; j++) {
      if (t > 0) state[j] = rho * (state[j] as number) + innovation * random.normal();
      data[t * dim + j] = (state[j] as number) + noise * random.normal() + (offset[j] as number);
    }
  }
  return { data, shape: Object.freeze([tokens, dim]) };
}

import { describeIssues } from '@globalmcp/tensor';
import { z } from 'zod';
import { LococoError } from './lococoError.js';

/** Kernel size and padding of the official code (and the paper's runs). */
export const DEFAULT_KERNEL_SIZE = 21;
/** Width (standard deviation) of the positional prior, in fused-slot stretches; 0.35 measured best on smooth data (0.2-1.2 tried). */
export const DEFAULT_PRIOR_WIDTH = 0.35;
/** Weight of the convex mixtures against the one-hot top-score selection (the official code's `normalizer`). */
export const DEFAULT_BLEND = 1;

/**
 * The learnable part of LoCoCo: a 1D convolution with `fused` output channels
 * over `features` input channels (K and V concatenated for a KV cache), kernel
 * `size` with zero padding (size - 1) / 2, plus one blend scalar.
 *
 * Fused slot r mixes the non-heavy-hitter tokens i with weights
 *   w_r = (1 - blend) * onehot(r-th top-score token) + blend * softmax_i( relu(conv(X)[r, i]) + prior[r, i] )
 * where prior[r, i] = -((i + 0.5) / N - (r + 0.5) / R)^2 / (2 (priorWidth / R)^2)
 * is a fixed Gaussian window that places slot r over the r-th of R stretches of the N tokens.
 */
export interface LococoKernels {
  /** Fused slots R: output channels of the convolution. */
  readonly fused: number;
  /** Input channels F. */
  readonly features: number;
  /** Kernel size k (odd). */
  readonly size: number;
  /** weights[(r * features + f) * size + j] */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  readonly blend: number;
  readonly priorWidth: number;
}

/**
 * Kernels that work without training: zero weights, so every fused slot is a
 * smooth positional average (the prior's Gaussian window) of its stretch of
 * the remaining tokens, like a neighbour mean with soft edges. `fit` learns
 * weights that let content move the windows.
 */
export function defaultKernels(fused: number, features: number, size = DEFAULT_KERNEL_SIZE): LococoKernels {
  checkDims(fused, features, size);
  return {
    fused,
    features,
    size,
    weights: new Float64Array(fused * features * size),
    bias: new Float64Array(fused),
    blend: DEFAULT_BLEND,
    priorWidth: DEFAULT_PRIOR_WIDTH,
  };
}

/**
 * Checks kernels built or changed by hand: the dimensions (odd size), array
 * lengths, finite values, blend in [0, 1] and a positive prior width.
 */
export function validateKernels(kernels: LococoKernels, what = 'kernels'): LococoKernels {
  if (typeof kernels !== 'object' || kernels === null) throw new LococoError('INVALID_KERNELS', `${what} must be LococoKernels (see defaultKernels)`);
  checkDims(kernels.fused, kernels.features, kernels.size);
  if (!(kernels.weights instanceof Float64Array) || kernels.weights.length !== kernels.fused * kernels.features * kernels.size) {
    throw new LococoError('INVALID_KERNELS', `${what}: weights must be a Float64Array of fused * features * size = ${kernels.fused * kernels.features * kernels.size} values`);
  }
  if (!(kernels.bias instanceof Float64Array) || kernels.bias.length !== kernels.fused) {
    throw new LococoError('INVALID_KERNELS', `${what}: bias must be a Float64Array of fused = ${kernels.fused} values`);
  }
  for (const v of kernels.weights) if (!Number.isFinite(v)) throw new LococoError('INVALID_KERNELS', `${what}: weights hold a non-finite value`);
  for (const v of kernels.bias) if (!Number.isFinite(v)) throw new LococoError('INVALID_KERNELS', `${what}: bias holds a non-finite value`);
  if (!(kernels.blend >= 0 && kernels.blend <= 1)) throw new LococoError('INVALID_KERNELS', `${what}: blend must be a number in [0, 1]; got ${String(kernels.blend)}`);
  if (!(kernels.priorWidth > 0) || !Number.isFinite(kernels.priorWidth)) {
    throw new LococoError('INVALID_KERNELS', `${what}: priorWidth must be a positive finite number; got ${String(kernels.priorWidth)}`);
  }
  return kernels;
}

function checkDims(fused: number, features: number, size: number): void {
  if (!Number.isSafeInteger(fused) || fused < 1) throw new LococoError('INVALID_KERNELS', `kernels: fused must be a positive integer; got ${String(fused)}`);
  if (!Number.isSafeInteger(features) || features < 1) throw new LococoError('INVALID_KERNELS', `kernels: features must be a positive integer; got ${String(features)}`);
  if (!Number.isSafeInteger(size) || size < 1 || size % 2 === 0) {
    throw new LococoError('INVALID_KERNELS', `kernels: size must be a positive odd integer (padding (size - 1) / 2 keeps the length); got ${String(size)}`);
  }
}

const finite = z.number().refine(Number.isFinite, { error: 'expected a finite number' });

export const KernelsJsonSchema = z.strictObject({
  format: z.literal('globalmcp-lococo-kernels', { error: 'expected "globalmcp-lococo-kernels"' }),
  version: z.literal(1, { error: 'expected 1' }),
  fused: z.number().int().positive(),
  features: z.number().int().positive(),
  size: z.number().int().positive(),
  weights: z.array(finite),
  bias: z.array(finite),
  blend: finite.refine((b) => b >= 0 && b <= 1, { error: 'expected a number in [0, 1]' }),
  priorWidth: finite.refine((w) => w > 0, { error: 'expected a positive number' }),
});

export type KernelsJson = z.infer<typeof KernelsJsonSchema>;

/** A JSON document for the kernels (weights written with full float64 precision). */
export function kernelsToJson(kernels: LococoKernels): KernelsJson {
  return {
    format: 'globalmcp-lococo-kernels',
    version: 1,
    fused: kernels.fused,
    features: kernels.features,
    size: kernels.size,
    weights: Array.from(kernels.weights),
    bias: Array.from(kernels.bias),
    blend: kernels.blend,
    priorWidth: kernels.priorWidth,
  };
}

/** Validates a JSON value (e.g. `JSON.parse` of a saved file) and returns the kernels. */
export function kernelsFromJson(json: unknown): LococoKernels {
  const result = KernelsJsonSchema.safeParse(json, { reportInput: true });
  if (!result.success) {
    throw new LococoError('INVALID_KERNELS', `invalid kernels JSON: ${describeIssues(result.error.issues, 'kernels')}`, { cause: result.error });
  }
  const k = result.data;
  checkDims(k.fused, k.features, k.size);
  if (k.weights.length !== k.fused * k.features * k.size) {
    throw new LococoError('INVALID_KERNELS', `invalid kernels JSON: weights has ${k.weights.length} entries; fused * features * size = ${k.fused * k.features * k.size}`);
  }
  if (k.bias.length !== k.fused) throw new LococoError('INVALID_KERNELS', `invalid kernels JSON: bias has ${k.bias.length} entries; expected fused = ${k.fused}`);
  return validateKernels({ fused: k.fused, features: k.features, size: k.size, weights: Float64Array.from(k.weights), bias: Float64Array.from(k.bias), blend: k.blend, priorWidth: k.priorWidth });
}

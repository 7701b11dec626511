import { TensorError } from './tensorError.js';
import { formatShape } from './tensor.js';

/**
 * How a row-major tensor splits around its token axis: element
 * `(outer o, token t, inner i)` sits at `o * tokens * inner + t * inner + i`.
 * Every `(o, i)` pair is one channel: a sequence of `tokens` values with stride `inner`.
 */
export interface TokenLayout {
  /** The token axis, normalised to [0, rank). */
  readonly axis: number;
  readonly outer: number;
  readonly tokens: number;
  readonly inner: number;
  /** outer * inner: how many independent sequences run along the token axis. */
  readonly channels: number;
}

/** The default token axis: the second to last, as in `[layers, 2, heads, tokens, headDim]` and `[tokens, dim]` (a rank-1 tensor's only axis). */
export const DEFAULT_TOKEN_AXIS = -2;

/** The token axis a tensor of this rank gets when none is given. */
export function defaultTokenAxis(rank: number): number {
  return rank === 1 ? 0 : DEFAULT_TOKEN_AXIS;
}

/** Normalises `axis` (negative counts from the end) for a tensor of rank `shape.length`. */
export function normalizeAxis(axis: number, shape: readonly number[]): number {
  const rank = shape.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new TensorError(
      'INVALID_AXIS',
      `token axis must be an integer in [${-rank}, ${rank - 1}] for a tensor of shape ${formatShape(shape)}; got ${String(axis)}`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * The layout of `shape` around its token axis (default: the second to last,
 * or the only axis of a rank-1 tensor). A rank-1 tensor is one channel of tokens.
 */
export function tokenLayout(shape: readonly number[], axis?: number): TokenLayout {
  shape.forEach((dim, i) => {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new TensorError('INVALID_SHAPE', `tensor shape ${formatShape(shape)}: dimension ${i} must be a non-negative integer; got ${String(dim)}`);
    }
  });
  const a = normalizeAxis(axis ?? defaultTokenAxis(shape.length), shape);
  let outer = 1;
  for (let d = 0; d < a; d++) outer *= shape[d] as number;
  let inner = 1;
  for (let d = a + 1; d < shape.length; d++) inner *= shape[d] as number;
  return { axis: a, outer, tokens: shape[a] as number, inner, channels: outer * inner };
}

/** `shape` with the token axis resized to `tokens`. */
export function withTokens(shape: readonly number[], axis: number, tokens: number): number[] {
  const out = [...shape];
  out[axis] = tokens;
  return out;
}

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

/** The default token axis: the second to last, as in `[layers, 2, heads, tokens, headDim]` and `[tokens, dim]`. */
export const DEFAULT_TOKEN_AXIS = -2;

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
 * The layout of `shape` around its token axis. A rank-1 tensor is one channel
 * of tokens; with the default axis (-2) it needs rank >= 2, so rank-1 callers pass axis 0 or -1.
 */
export function tokenLayout(shape: readonly number[], axis: number = DEFAULT_TOKEN_AXIS): TokenLayout {
  const a = normalizeAxis(axis, shape);
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

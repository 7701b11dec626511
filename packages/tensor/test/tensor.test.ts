import { describe, expect, it } from 'vitest';
import {
  TensorError,
  asTensor,
  assertFinite,
  createTensor,
  dtypeOf,
  findNonFinite,
  shapeSize,
  syntheticSequence,
  tokenLayout,
  unravelIndex,
  withTokens,
} from '../src/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof TensorError) return error.code;
    throw error;
  }
  return undefined;
}

describe('createTensor', () => {
  it('accepts data whose length is the product of the shape and freezes a copy of the shape', () => {
    const shape = [2, 3];
    const t = createTensor(new Float32Array(6), shape);
    shape[0] = 99;
    expect(t.shape).toEqual([2, 3]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(dtypeOf(t.data)).toBe('float32');
    expect(dtypeOf(new Float64Array(1))).toBe('float64');
  });

  it('names the shape and both sizes when the data length disagrees', () => {
    expect(() => createTensor(new Float64Array(5), [2, 3])).toThrow('tensor shape [2, 3] needs 6 elements but the data holds 5');
    expect(codeOf(() => createTensor(new Float64Array(5), [2, 3]))).toBe('SHAPE_MISMATCH');
  });

  it('rejects empty tensors, bad dimensions and non-float data with their codes', () => {
    expect(codeOf(() => createTensor(new Float64Array(0), [0, 4]))).toBe('EMPTY_TENSOR');
    expect(codeOf(() => createTensor(new Float64Array(1), []))).toBe('EMPTY_TENSOR');
    expect(() => createTensor(new Float64Array(1), undefined as never)).toThrow('tensor shape must be an array of dimensions; got undefined');
    expect(() => asTensor(null, 'kv_cache')).toThrow('kv_cache must be an object { data: Float32Array | Float64Array, shape: number[] }; got null');
    expect(() => asTensor([1, 2])).toThrow('got an array');
    expect(codeOf(() => createTensor(new Float64Array(2), [2.5]))).toBe('INVALID_SHAPE');
    expect(codeOf(() => createTensor(new Float64Array(2), [-2]))).toBe('INVALID_SHAPE');
    expect(codeOf(() => createTensor(new Int32Array(2) as unknown as Float64Array, [2]))).toBe('UNSUPPORTED_DTYPE');
    expect(() => createTensor([1, 2] as unknown as Float64Array, [2])).toThrow('got Array');
  });
});

describe('tokenLayout', () => {
  it('splits a KV cache [layers, 2, heads, tokens, headDim] around the second to last axis by default', () => {
    expect(tokenLayout([3, 2, 4, 100, 8])).toEqual({ axis: 3, outer: 24, tokens: 100, inner: 8, channels: 192 });
  });

  it('accepts positive and negative axes and treats [tokens, dim] and [tokens] alike', () => {
    expect(tokenLayout([10, 4], 0)).toEqual({ axis: 0, outer: 1, tokens: 10, inner: 4, channels: 4 });
    expect(tokenLayout([10], -1)).toEqual({ axis: 0, outer: 1, tokens: 10, inner: 1, channels: 1 });
    expect(tokenLayout([2, 10, 4], -1)).toEqual({ axis: 2, outer: 20, tokens: 4, inner: 1, channels: 20 });
  });

  it('defaults a rank-1 tensor to its only axis and rejects negative dimensions', () => {
    expect(tokenLayout([7])).toEqual({ axis: 0, outer: 1, tokens: 7, inner: 1, channels: 1 });
    expect(() => tokenLayout([2, -3, 4], 1)).toThrow('dimension 1 must be a non-negative integer; got -3');
  });

  it('rejects an axis outside the rank with the valid range in the message', () => {
    expect(() => tokenLayout([10], -2)).toThrow('token axis must be an integer in [-1, 0] for a tensor of shape [10]; got -2');
    expect(codeOf(() => tokenLayout([4, 4], 1.5))).toBe('INVALID_AXIS');
  });

  it('resizes only the token axis', () => {
    expect(withTokens([2, 100, 8], 1, 7)).toEqual([2, 7, 8]);
  });
});

describe('finite checks', () => {
  it('finds the first NaN or Infinity and reports its multi-index', () => {
    const data = new Float64Array(12);
    data[7] = Number.POSITIVE_INFINITY;
    data[9] = Number.NaN;
    expect(findNonFinite(data)).toBe(7);
    expect(findNonFinite(data, 8)).toBe(9);
    expect(findNonFinite(new Float32Array(4))).toBe(-1);
    expect(unravelIndex(7, [3, 4])).toEqual([1, 3]);
    expect(() => assertFinite(createTensor(data, [3, 4]), 'kv')).toThrow('kv holds Infinity at index [1, 3] (flat 7)');
  });

  it('counts elements of a shape', () => {
    expect(shapeSize([2, 3, 4])).toBe(24);
    expect(shapeSize([])).toBe(1);
  });
});

describe('syntheticSequence', () => {
  it('is reproducible from its seed and has the requested shape and dtype', () => {
    const a = syntheticSequence({ tokens: 50, dim: 3, seed: 4, dtype: 'float32' });
    const b = syntheticSequence({ tokens: 50, dim: 3, seed: 4, dtype: 'float32' });
    expect(a.shape).toEqual([50, 3]);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(syntheticSequence({ tokens: 50, dim: 3, seed: 5 }).data)).not.toEqual(Array.from(a.data));
  });

  it('rejects arguments that would give NaN or a malformed tensor', () => {
    expect(() => syntheticSequence({ tokens: 10, dim: 2, rho: 1.5 })).toThrow('syntheticSequence: rho must be a number in (-1, 1); got 1.5');
    expect(() => syntheticSequence({ tokens: 2.5, dim: 2 })).toThrow('tokens must be a positive integer');
    expect(() => syntheticSequence({ tokens: 0, dim: 2 })).toThrow('tokens must be a positive integer');
    expect(() => syntheticSequence({ tokens: 3, dim: 2, noiseVariance: -1 })).toThrow('noiseVariance must be a finite number >= 0');
    expect(() => syntheticSequence({ tokens: 3, dim: 2, dtype: 'float16' as never })).toThrow('dtype must be "float32" or "float64"');
  });
});

import { TensorError } from './tensorError.js';

/** The element storage a tensor may use. Float32 for storage, Float64 where precision matters. */
export type FloatArray = Float32Array | Float64Array;

export type DType = 'float32' | 'float64';

/**
 * A dense row-major tensor: `data[i]` holds the element whose multi-index is
 * the row-major decomposition of `i` over `shape`.
 */
export interface Tensor<A extends FloatArray = FloatArray> {
  readonly data: A;
  readonly shape: readonly number[];
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** Bytes per element of a dtype. */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : 4;
}

/** The number of elements a shape describes (1 for rank 0). */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks that `data` and `shape` describe a usable, non-empty tensor and returns it.
 * Throws a {@link TensorError} naming what disagrees; it does not scan values
 * (see {@link findNonFinite} for that).
 */
export function createTensor<A extends FloatArray>(data: A, shape: readonly number[]): Tensor<A> {
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    const got = (data as unknown as { constructor?: { name?: string } })?.constructor?.name ?? typeof data;
    throw new TensorError('UNSUPPORTED_DTYPE', `tensor data must be a Float32Array or a Float64Array; got ${got}`);
  }
  if (!Array.isArray(shape)) {
    throw new TensorError('INVALID_SHAPE', `tensor shape must be an array of dimensions; got ${shape === null ? 'null' : typeof shape}`);
  }
  if (shape.length === 0) {
    throw new TensorError('EMPTY_TENSOR', 'tensor shape must have at least one dimension; got []');
  }
  shape.forEach((dim, i) => {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new TensorError('INVALID_SHAPE', `tensor shape ${formatShape(shape)}: dimension ${i} must be a non-negative integer; got ${String(dim)}`);
    }
  });
  const size = shapeSize(shape);
  if (size === 0) {
    throw new TensorError('EMPTY_TENSOR', `tensor shape ${formatShape(shape)} has no elements`);
  }
  if (data.length !== size) {
    throw new TensorError(
      'SHAPE_MISMATCH',
      `tensor shape ${formatShape(shape)} needs ${size} elements but the data holds ${data.length}`,
    );
  }
  return { data, shape: Object.freeze([...shape]) };
}

/**
 * {@link createTensor} for a value that came from outside: anything that is
 * not an object with `data` and `shape` gets a clear error naming `what`.
 */
export function asTensor<A extends FloatArray>(value: Tensor<A>, what?: string): Tensor<A>;
export function asTensor(value: unknown, what?: string): Tensor;
export function asTensor(value: unknown, what = 'tensor'): Tensor {
  if (typeof value !== 'object' || value === null || !('data' in value) || !('shape' in value)) {
    throw new TensorError(
      'INVALID_SHAPE',
      `${what} must be an object { data: Float32Array | Float64Array, shape: number[] }; got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  const { data, shape } = value as { data: FloatArray; shape: readonly number[] };
  return createTensor(data, shape);
}

/** Converts a flat row-major index to its multi-index over `shape`. */
export function unravelIndex(index: number, shape: readonly number[]): number[] {
  const position = new Array<number>(shape.length);
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    const dim = shape[d] as number;
    position[d] = rest % dim;
    rest = Math.floor(rest / dim);
  }
  return position;
}

/** The flat index of the first NaN or ±Infinity in `data`, or -1 when every value is finite. */
export function findNonFinite(data: ArrayLike<number>, start = 0, end = data.length): number {
  for (let i = start; i < end; i++) {
    const v = data[i] as number;
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Throws a `NON_FINITE` {@link TensorError} naming the first bad element, if there is one. */
export function assertFinite(tensor: Tensor, what = 'tensor'): void {
  const index = findNonFinite(tensor.data);
  if (index >= 0) throw nonFiniteError(tensor, index, what);
}

export function nonFiniteError(tensor: Tensor, index: number, what = 'tensor'): TensorError {
  const value = tensor.data[index] as number;
  return new TensorError(
    'NON_FINITE',
    `${what} holds ${String(value)} at index ${formatShape(unravelIndex(index, tensor.shape))} (flat ${index}); only finite values can be compressed`,
  );
}

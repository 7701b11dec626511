import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, dirname, basename, join } from 'node:path';
import { writeFileAtomic } from '@globalmcp/registry';
import { TensorError, createTensor, halfToFloat, formatShape, parseNpy, parseSafetensors, serializeNpy, serializeSafetensors, shapeSize } from '@globalmcp/tensor';
import type { Tensor } from '@globalmcp/tensor';
import { z } from 'zod';
import { GatewayError } from './gatewayError.js';

/** Largest tensor file read (bytes). */
export const MAX_TENSOR_FILE_BYTES = 2 * 1024 ** 3;
const MAX_ELEMENTS = 256 * 1024 ** 2;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const Base64TensorSchema = z.strictObject({
  dtype: z.enum(['float16', 'float32', 'float64']).describe('Element type of `data`, little-endian.'),
  shape: z.array(z.number().int().min(1)).min(1).max(8).describe('Dimensions, C order.'),
  data: z.string().describe('The raw little-endian elements, base64-encoded.'),
});
const FileTensorSchema = z.strictObject({
  path: z.string().min(1).describe('A .npy or .safetensors file inside an allowed directory (absolute, or relative to the first allowed directory).'),
  tensor: z.string().min(1).optional().describe('For .safetensors files with several tensors: which one.'),
});

/** A tensor as a client can send it: nested arrays (small), base64 typed data (large), or a file path. */
export const TensorInputSchema = z
  .union([z.array(z.unknown()), Base64TensorSchema, FileTensorSchema])
  .describe('Nested arrays of numbers, {dtype, shape, data: base64} or {path, tensor?} naming a .npy/.safetensors file in an allowed directory.');
export type TensorInput = z.infer<typeof TensorInputSchema>;

export const TensorOutputSchema = z
  .union([z.enum(['json', 'base64']), z.strictObject({ path: z.string().min(1) })])
  .describe('How to return the result: "json" nested arrays, "base64" typed data, or {path} to write a .npy/.safetensors file in an allowed directory.');
export type TensorOutput = z.infer<typeof TensorOutputSchema>;

export interface DecodedTensor {
  readonly tensor: Tensor;
  readonly source: 'json' | 'base64' | 'file';
  readonly path?: string;
}

export async function decodeTensor(input: TensorInput, field: string, allowedDirs: readonly string[]): Promise<DecodedTensor> {
  if (Array.isArray(input)) return { tensor: fromNested(input, field), source: 'json' };
  if ('data' in input) return { tensor: fromBase64(input, field), source: 'base64' };
  const path = await resolveInside(input.path, `${field}.path`, allowedDirs, 'read');
  const extension = extname(path).toLowerCase();
  if (extension !== '.npy' && extension !== '.safetensors') throw new GatewayError('INVALID_ARGUMENT', `${field}.path: expected a .npy or .safetensors file; got ${JSON.stringify(input.path)}`);
  const info = await stat(path);
  if (!info.isFile()) throw new GatewayError('INVALID_ARGUMENT', `${field}.path: ${JSON.stringify(input.path)} is not a file`);
  if (info.size > MAX_TENSOR_FILE_BYTES) throw new GatewayError('INVALID_ARGUMENT', `${field}.path: the file is ${info.size} bytes; the limit is ${MAX_TENSOR_FILE_BYTES}`);
  const bytes = new Uint8Array(await readFile(path));
  const name = basename(path);
  const tensor = extension === '.npy' ? parseNpy(bytes, name) : parseSafetensors(bytes, name).tensor(input.tensor);
  return { tensor, source: 'file', path };
}

/** The tensor as the client asked: nested arrays, base64, or written to a file (atomically) with its path returned. */
export async function encodeTensor(tensor: Tensor, output: TensorOutput, allowedDirs: readonly string[]): Promise<unknown> {
  if (output === 'json') return toNested(tensor);
  if (output === 'base64') {
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    return { dtype: tensor.data instanceof Float64Array ? 'float64' : 'float32', shape: [...tensor.shape], data: Buffer.from(bytes).toString('base64') };
  }
  const path = await resolveInside(output.path, 'output.path', allowedDirs, 'write');
  const extension = extname(path).toLowerCase();
  const bytes = extension === '.npy' ? serializeNpy(tensor) : extension === '.safetensors' ? serializeSafetensors({ tensor }) : undefined;
  if (bytes === undefined) throw new GatewayError('INVALID_ARGUMENT', `output.path: expected a .npy or .safetensors file name; got ${JSON.stringify(output.path)}`);
  await writeFileAtomic(path, bytes);
  return { path, dtype: tensor.data instanceof Float64Array ? 'float64' : 'float32', shape: [...tensor.shape], bytes: bytes.byteLength };
}

/**
 * Resolves `requested` inside one of `allowedDirs`, following symlinks, so that
 * `../` and links pointing outside are refused. For writing, the parent
 * directory must exist inside an allowed directory.
 */
export async function resolveInside(requested: string, field: string, allowedDirs: readonly string[], mode: 'read' | 'write'): Promise<string> {
  if (allowedDirs.length === 0) throw new GatewayError('FORBIDDEN_PATH', `${field}: file access is disabled (no allowed directories configured)`);
  if (requested.includes('\0')) throw new GatewayError('INVALID_ARGUMENT', `${field}: the path contains a NUL byte`);
  const roots = await Promise.all(allowedDirs.map((d) => realpath(d).catch(() => resolve(d))));
  const candidate = isAbsolute(requested) ? resolve(requested) : resolve(roots[0] as string, requested);
  let real: string;
  try {
    real = mode === 'read' ? await realpath(candidate) : join(await realpath(dirname(candidate)), basename(candidate));
  } catch {
    throw new GatewayError('INVALID_ARGUMENT', `${field}: ${JSON.stringify(requested)} does not exist${mode === 'write' ? ' (its directory)' : ''}`);
  }
  if (mode === 'write') {
    const existing = await realpath(real).catch(() => undefined);
    if (existing !== undefined) real = existing;
  }
  if (!roots.some((root) => isWithin(root, real))) {
    throw new GatewayError('FORBIDDEN_PATH', `${field}: ${JSON.stringify(requested)} is outside the allowed directories (${allowedDirs.join(', ')})`);
  }
  return real;
}

function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function fromBase64(input: z.infer<typeof Base64TensorSchema>, field: string): Tensor {
  const width = input.dtype === 'float64' ? 8 : input.dtype === 'float32' ? 4 : 2;
  const count = shapeSize(input.shape);
  if (count > MAX_ELEMENTS) throw new GatewayError('INVALID_ARGUMENT', `${field}: shape ${formatShape(input.shape)} has more than ${MAX_ELEMENTS} elements`);
  if (!BASE64.test(input.data)) throw new GatewayError('INVALID_ARGUMENT', `${field}.data: not base64 (expected A-Z, a-z, 0-9, "+", "/" and "=" padding, no whitespace)`);
  const bytes = Buffer.from(input.data, 'base64');
  if (bytes.length !== count * width) {
    throw new GatewayError('INVALID_ARGUMENT', `${field}.data: shape ${formatShape(input.shape)} of ${input.dtype} needs ${count * width} bytes; the base64 decodes to ${bytes.length}`);
  }
  let data: Float32Array | Float64Array;
  if (width === 2) {
    data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = halfToFloat(bytes.readUInt16LE(i * 2));
  } else {
    // A copy on a fresh (aligned) buffer; typed arrays read the platform's byte order, little-endian everywhere Node runs.
    const aligned = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    data = width === 8 ? new Float64Array(aligned) : new Float32Array(aligned);
  }
  return checked(createTensor(data, [...input.shape]), field);
}

/** Nested arrays to a float64 tensor: every level rectangular, every leaf a finite number. */
export function fromNested(input: readonly unknown[], field: string): Tensor {
  const shape: number[] = [];
  let level: unknown = input;
  while (Array.isArray(level)) {
    if (level.length === 0) throw new GatewayError('INVALID_ARGUMENT', `${field}: empty array at depth ${shape.length}; every dimension needs at least one element`);
    shape.push(level.length);
    level = level[0];
  }
  if (shape.length > 8) throw new GatewayError('INVALID_ARGUMENT', `${field}: ${shape.length} levels of nesting; at most 8 dimensions`);
  const count = shapeSize(shape);
  if (count > MAX_ELEMENTS) throw new GatewayError('INVALID_ARGUMENT', `${field}: more than ${MAX_ELEMENTS} elements`);
  const data = new Float64Array(count);
  let at = 0;
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number' || !Number.isFinite(node)) {
        throw new GatewayError('INVALID_ARGUMENT', `${field}${path}: expected a finite number; got ${node === null ? 'null' : Array.isArray(node) ? 'an array' : JSON.stringify(node)}`);
      }
      data[at++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new GatewayError('INVALID_ARGUMENT', `${field}${path}: ragged array: expected ${shape[depth]} elements at depth ${depth} (shape ${formatShape(shape)}); got ${Array.isArray(node) ? node.length : typeof node}`);
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${path}[${i}]`);
  };
  walk(input, 0, '');
  return createTensor(data, shape);
}

export function toNested(tensor: Tensor): unknown {
  const { data, shape } = tensor;
  let at = 0;
  const build = (depth: number): unknown => {
    const n = shape[depth] as number;
    if (depth === shape.length - 1) {
      const row = Array.from(data.subarray(at, at + n));
      at += n;
      return row;
    }
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = build(depth + 1);
    return out;
  };
  return build(0);
}

function checked(tensor: Tensor, field: string): Tensor {
  for (let i = 0; i < tensor.data.length; i++) {
    if (!Number.isFinite(tensor.data[i])) throw new TensorError('NON_FINITE', `${field}: element ${i} is ${tensor.data[i]}; expected finite numbers`);
  }
  return tensor;
}

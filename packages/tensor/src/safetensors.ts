import { halfToFloat, bfloat16ToFloat } from './half.js';
import { TensorError } from './tensorError.js';
import { createTensor, formatShape, shapeSize } from './tensor.js';
import type { Tensor } from './tensor.js';

const WIDTH: Readonly<Record<string, number>> = { F16: 2, BF16: 2, F32: 4, F64: 8 };
/** Largest header accepted: far above real files, small enough that a lying size cannot exhaust memory. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

export interface SafetensorsFile {
  /** The tensors in the file, in header order (`__metadata__` excluded). */
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * Decodes one tensor: F16, BF16 and F32 become Float32Array tensors, F64 a
   * Float64Array tensor. Without a name, the file must hold exactly one tensor.
   */
  tensor(name?: string): Tensor;
}

/**
 * Reads a `.safetensors` file from its bytes: an 8-byte little-endian header
 * size, a JSON header mapping names to `{dtype, shape, data_offsets}`, then the
 * data. Every claim of the header is checked against the bytes (sizes, offsets,
 * overlaps), so a header that lies about sizes is refused, not trusted.
 */
export function parseSafetensors(bytes: Uint8Array, what = '.safetensors file'): SafetensorsFile {
  const fail = (message: string) => new TensorError('INVALID_FORMAT', `${what}: ${message}`);
  if (bytes.length < 8) throw fail(`${bytes.length} bytes is too short for a header size (8 bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = view.getBigUint64(0, true);
  if (headerSize > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    throw fail(`header size ${headerSize} is larger than the ${bytes.length - 8} bytes after it${bytes.length - 8 >= MAX_HEADER_BYTES ? ' (or than 100 MB)' : ''}; the file is truncated or not safetensors`);
  }
  const dataStart = 8 + Number(headerSize);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw fail(`the header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw fail('the header is not a JSON object');

  const dataLength = bytes.length - dataStart;
  const entries: (SafetensorsEntry & { begin: number; end: number })[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Object.values(value).some((v) => typeof v !== 'string')) throw fail('__metadata__ must map strings to strings');
      metadata = value as Record<string, string>;
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object') throw fail(`tensor "${name}": expected {dtype, shape, data_offsets}`);
    if (typeof info.dtype !== 'string') throw fail(`tensor "${name}": dtype missing`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail(`tensor "${name}": shape must be a list of non-negative integers`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw fail(`tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) throw fail(`tensor "${name}": data_offsets [${begin}, ${end}] run past the ${dataLength} data bytes (truncated?)`);
    const width = WIDTH[info.dtype];
    const shape = info.shape as number[];
    if (width !== undefined && (end - begin) !== shapeSize(shape) * width) {
      throw fail(`tensor "${name}": shape ${formatShape(shape)} of ${info.dtype} needs ${shapeSize(shape) * width} bytes but data_offsets give ${end - begin}`);
    }
    entries.push({ name, dtype: info.dtype, shape, begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as (typeof sorted)[number];
    const cur = sorted[i] as (typeof sorted)[number];
    if (cur.begin < prev.end) throw fail(`tensors "${prev.name}" and "${cur.name}" overlap in the data`);
  }

  return {
    entries: entries.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
    metadata,
    tensor(name?: string): Tensor {
      const names = entries.map((e) => e.name);
      if (name === undefined && entries.length !== 1) {
        throw new TensorError('INVALID_ARGUMENT', `${what} holds ${entries.length} tensors (${names.join(', ') || 'none'}); choose one by name`);
      }
      const entry = name === undefined ? entries[0] : entries.find((e) => e.name === name);
      if (entry === undefined) throw new TensorError('INVALID_ARGUMENT', `${what} has no tensor "${name}"; it holds ${names.join(', ') || 'none'}`);
      const width = WIDTH[entry.dtype];
      if (width === undefined) throw fail(`tensor "${entry.name}" has dtype ${entry.dtype}; expected F16, BF16, F32 or F64`);
      if (entry.shape.length === 0) throw fail(`tensor "${entry.name}" is a scalar; expected at least one dimension`);
      const count = shapeSize(entry.shape);
      const at = dataStart + entry.begin;
      const data = width === 8 ? new Float64Array(count) : new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const o = at + i * width;
        data[i] =
          entry.dtype === 'F64' ? view.getFloat64(o, true) : entry.dtype === 'F32' ? view.getFloat32(o, true) : entry.dtype === 'F16' ? halfToFloat(view.getUint16(o, true)) : bfloat16ToFloat(view.getUint16(o, true));
      }
      return createTensor(data, [...entry.shape]);
    },
  };
}

/** Writes tensors as `.safetensors` (F32 for Float32Array data, F64 for Float64Array), with optional string metadata. */
export function serializeSafetensors(tensors: Readonly<Record<string, Tensor>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new TensorError('INVALID_ARGUMENT', 'a tensor cannot be named __metadata__');
    const bytes = t.data.length * t.data.BYTES_PER_ELEMENT;
    header[name] = { dtype: t.data instanceof Float64Array ? 'F64' : 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of Object.values(tensors)) {
    const width = t.data.BYTES_PER_ELEMENT;
    for (let i = 0; i < t.data.length; i++, at += width) {
      if (width === 8) view.setFloat64(at, t.data[i] as number, true);
      else view.setFloat32(at, t.data[i] as number, true);
    }
  }
  return out;
}

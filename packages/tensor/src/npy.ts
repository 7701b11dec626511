import { TensorError } from './tensorError.js';
import { createTensor, formatShape, shapeSize } from './tensor.js';
import type { Tensor } from './tensor.js';
import { halfToFloat } from './half.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Reads a NumPy `.npy` file (format 1.0, 2.0 or 3.0) from its bytes.
 * float16 and float32 arrays become Float32Array tensors, float64 arrays
 * Float64Array tensors; either byte order is accepted. Fortran-ordered arrays
 * and other dtypes are refused with an error saying what to do instead, and a
 * header that disagrees with the data size (a truncated file) is refused too.
 */
export function parseNpy(bytes: Uint8Array, what = '.npy file'): Tensor {
  const fail = (message: string) => new TensorError('INVALID_FORMAT', `${what}: ${message}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('not a .npy file (it does not start with \\x93NUMPY)');
  const major = bytes[6] as number;
  const minor = bytes[7] as number;
  if (major < 1 || major > 3) throw fail(`unsupported .npy format version ${major}.${minor}; expected 1.0, 2.0 or 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw fail('truncated before the header length');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) throw fail(`truncated inside the header (${headerLength} header bytes announced, ${bytes.length - headerStart} present)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw fail(`malformed header ${JSON.stringify(header.trim().slice(0, 120))}; expected a dict with 'descr', 'fortran_order' and 'shape'`);
  }
  if (fortran === 'True') throw fail("Fortran-ordered arrays are not supported; save a C-ordered copy (numpy.ascontiguousarray)");
  const match = /^([<>|=])f([248])$/.exec(descr);
  if (match === null) throw fail(`dtype '${descr}' is not supported; expected float16, float32 or float64 ('<f2', '<f4', '<f8' or big-endian)`);
  const bigEndian = match[1] === '>';
  const width = Number(match[2]);
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const shape = dims.map((d) => {
    if (!/^\d+$/.test(d)) throw fail(`shape entry ${JSON.stringify(d)} is not a non-negative integer`);
    return Number(d);
  });
  if (shape.length === 0) throw fail('0-d arrays (scalars) are not tensors; expected at least one dimension');
  const count = shapeSize(shape);
  const expected = count * width;
  const present = bytes.length - dataStart;
  if (present !== expected) {
    throw fail(`header says shape ${formatShape(shape)} of ${descr} (${expected} bytes) but the file holds ${present} data bytes${present < expected ? ' (truncated?)' : ''}`);
  }

  const data = width === 8 ? new Float64Array(count) : new Float32Array(count);
  const little = !bigEndian;
  for (let i = 0; i < count; i++) {
    const at = dataStart + i * width;
    data[i] = width === 8 ? view.getFloat64(at, little) : width === 4 ? view.getFloat32(at, little) : halfToFloat(view.getUint16(at, little));
  }
  return createTensor(data, shape);
}

/** Writes a tensor as a little-endian, C-ordered `.npy` (format 1.0, or 2.0 for very long headers). */
export function serializeNpy(tensor: Tensor): Uint8Array {
  const t = createTensor(tensor.data, tensor.shape);
  const descr = t.data instanceof Float64Array ? '<f8' : '<f4';
  const shapeText = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const major = header.length + 12 > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  header += ' '.repeat((64 - ((prefix + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(prefix + header.length + t.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  const body = prefix + header.length;
  const width = t.data.BYTES_PER_ELEMENT;
  for (let i = 0; i < t.data.length; i++) {
    if (width === 8) view.setFloat64(body + 8 * i, t.data[i] as number, true);
    else view.setFloat32(body + 4 * i, t.data[i] as number, true);
  }
  return out;
}

/** IEEE 754 binary16 to a JS number. */

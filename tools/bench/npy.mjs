// Minimal .npy (v1.0, little-endian float32/float64, C order) reading and
// writing for the benchmarks' exchange with numpy. Not a general reader: the
// CLI will get a validated one.
import { readFileSync, writeFileSync } from 'node:fs';

export function writeNpy(path, data, shape) {
  const descr = data instanceof Float64Array ? '<f8' : '<f4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

export function readNpy(path) {
  const file = readFileSync(path);
  const headerLength = file.readUInt16LE(8);
  const header = file.subarray(10, 10 + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = file.subarray(10 + headerLength);
  const copy = new Uint8Array(body.length);
  copy.set(body);
  const data = descr === '<f8' ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
  return { data, shape };
}

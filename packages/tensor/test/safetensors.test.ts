import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TensorError, parseSafetensors, serializeSafetensors } from '../src/index.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const values = (n: number) => Array.from({ length: n }, (_, i) => i * 0.25 - 1);

function headerOf(json: string, dataBytes: number): Uint8Array {
  const header = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + header.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  return out;
}

describe('parseSafetensors', () => {
  it('reads F32, F64, F16 and BF16 tensors and the metadata of a file written from the spec', () => {
    const file = parseSafetensors(fixture('mixed.safetensors'));
    expect(file.entries.map((e) => [e.name, e.dtype, e.shape])).toEqual([
      ['k', 'F32', [2, 3]],
      ['v', 'F64', [3]],
      ['h', 'F16', [2, 2]],
      ['b', 'BF16', [4]],
      ['ids', 'I64', [3]],
    ]);
    expect(file.metadata).toEqual({ format: 'pt', source: 'generateNpyFixtures.py' });
    const k = file.tensor('k');
    expect(k.data).toBeInstanceOf(Float32Array);
    expect(k.shape).toEqual([2, 3]);
    expect([...k.data]).toEqual(values(6));
    expect(file.tensor('v').data).toBeInstanceOf(Float64Array);
    expect([...file.tensor('v').data]).toEqual(values(3));
    expect([...file.tensor('h').data]).toEqual(values(4));
    // i * 0.25 - 1 is exact in bfloat16 for these values
    expect([...file.tensor('b').data]).toEqual(values(4));
  });

  it('takes the only tensor when no name is given, and asks for a name otherwise', () => {
    expect(parseSafetensors(fixture('single_f32_4x2.safetensors')).tensor().shape).toEqual([4, 2]);
    expect(() => parseSafetensors(fixture('mixed.safetensors'), 'mixed.safetensors').tensor()).toThrow('mixed.safetensors holds 5 tensors (k, v, h, b, ids); choose one by name');
    expect(() => parseSafetensors(fixture('mixed.safetensors')).tensor('q')).toThrow('has no tensor "q"; it holds k, v, h, b, ids');
    expect(() => parseSafetensors(fixture('mixed.safetensors')).tensor('ids')).toThrow('tensor "ids" has dtype I64; expected F16, BF16, F32 or F64');
  });

  it('round-trips through serializeSafetensors with the data 8-byte aligned', () => {
    const k = { data: new Float32Array(values(6)), shape: [2, 3] };
    const v = { data: new Float64Array(values(4)), shape: [4] };
    const bytes = serializeSafetensors({ k, v }, { note: 'x' });
    const headerSize = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerSize) % 8).toBe(0);
    const back = parseSafetensors(bytes);
    expect(back.metadata).toEqual({ note: 'x' });
    expect([...back.tensor('k').data]).toEqual(values(6));
    expect(back.tensor('v').data).toBeInstanceOf(Float64Array);
  });

  it('refuses a header that lies about sizes, a truncated file and garbage, saying what is wrong', () => {
    const errorOf = (bytes: Uint8Array) => {
      try {
        parseSafetensors(bytes, 'x.safetensors');
      } catch (error) {
        expect(error).toBeInstanceOf(TensorError);
        return (error as TensorError).message;
      }
      throw new Error('expected a failure');
    };
    expect(errorOf(new Uint8Array(3))).toBe('x.safetensors: 3 bytes is too short for a header size (8 bytes)');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1n << 60n, true);
    expect(errorOf(huge)).toMatch(/^x\.safetensors: header size 1152921504606846976 is larger than the 8 bytes after it/);
    expect(errorOf(headerOf('{"a": ', 0))).toMatch(/the header is not valid UTF-8 JSON/);
    expect(errorOf(headerOf('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}', 8))).toBe('x.safetensors: tensor "a": shape [4] of F32 needs 16 bytes but data_offsets give 8');
    expect(errorOf(headerOf('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', 8))).toBe('x.safetensors: tensor "a": data_offsets [0, 16] run past the 8 data bytes (truncated?)');
    expect(errorOf(headerOf('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', 12))).toBe(
      'x.safetensors: tensors "a" and "b" overlap in the data',
    );
    expect(errorOf(headerOf('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}', 0))).toMatch(/shape must be a list of non-negative integers/);
    const full = fixture('single_f32_4x2.safetensors');
    expect(errorOf(full.subarray(0, full.length - 4))).toMatch(/run past the 28 data bytes \(truncated\?\)/);
  });
});

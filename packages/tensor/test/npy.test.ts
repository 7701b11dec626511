import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TensorError, parseNpy, serializeNpy } from '../src/index.js';

/** Files written by numpy (tools/fixtures/generateNpyFixtures.py): values i * 0.25 - 1. */
function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
}

const expected = (n: number) => Array.from({ length: n }, (_, i) => i * 0.25 - 1);

function formatError(fn: () => unknown): TensorError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TensorError) return error;
    throw error;
  }
  throw new Error('expected a TensorError');
}

describe('parseNpy', () => {
  it.each([
    ['f32_2x3x4.npy', [2, 3, 4], Float32Array],
    ['f64_5.npy', [5], Float64Array],
    ['f16_3x2.npy', [3, 2], Float32Array],
    ['f32_big_endian_2x2.npy', [2, 2], Float32Array],
    ['f64_v3_2x2.npy', [2, 2], Float64Array],
  ] as const)('reads %s written by numpy', (name, shape, type) => {
    const t = parseNpy(fixture(name));
    expect(t.shape).toEqual(shape);
    expect(t.data).toBeInstanceOf(type);
    expect(Array.from(t.data)).toEqual(expected(t.data.length));
  });

  it('refuses Fortran order and non-float dtypes with what to do instead', () => {
    expect(() => parseNpy(fixture('f32_fortran_2x3.npy'), 'kv.npy')).toThrow('kv.npy: Fortran-ordered arrays are not supported; save a C-ordered copy');
    expect(() => parseNpy(fixture('i32_4.npy'))).toThrow("dtype '<i4' is not supported; expected float16, float32 or float64");
  });

  it('refuses a truncated file, a header that lies about the size, and files that are not .npy', () => {
    const good = fixture('f32_2x3x4.npy');
    expect(() => parseNpy(good.subarray(0, good.length - 4))).toThrow('header says shape [2, 3, 4] of <f4 (96 bytes) but the file holds 92 data bytes (truncated?)');
    expect(() => parseNpy(good.subarray(0, 40))).toThrow('truncated inside the header');
    expect(formatError(() => parseNpy(new TextEncoder().encode('{"not": "npy"}'))).code).toBe('INVALID_FORMAT');
    expect(() => parseNpy(new Uint8Array(0))).toThrow('not a .npy file');
    const lying = Uint8Array.from(good);
    const header = new TextDecoder('latin1').decode(lying.subarray(10, 10 + 118));
    lying.set(new TextEncoder().encode(header.replace('(2, 3, 4)', '(2, 3, 9)')), 10);
    expect(() => parseNpy(lying)).toThrow('header says shape [2, 3, 9] of <f4 (216 bytes) but the file holds 96 data bytes');
  });
});

describe('serializeNpy', () => {
  it('round-trips float32 and float64 tensors through the .npy format, with a 64-byte aligned header', () => {
    for (const data of [Float32Array.of(1.5, -2, 3.25, 4, 5, 6), Float64Array.of(Math.PI, -1e-300, 7, 8, 9, 10)]) {
      const bytes = serializeNpy({ data, shape: [2, 3] });
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLength) % 64).toBe(0);
      const back = parseNpy(bytes);
      expect(back.shape).toEqual([2, 3]);
      expect(back.data.constructor).toBe(data.constructor);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }
    expect(parseNpy(serializeNpy({ data: Float32Array.of(1, 2, 3), shape: [3] })).shape).toEqual([3]);
  });
});

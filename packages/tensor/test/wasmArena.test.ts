import { describe, expect, it } from 'vitest';
import { LANE_FFT_WASM_BASE64 } from '../src/laneFftWasm.js';
import { WasmArena } from '../src/wasmArena.js';
import type { WasmMemory } from '../src/wasmArena.js';

describe('WasmArena', () => {
  it('hands out aligned room, keeps earlier views valid when the memory grows, and releases to a mark', () => {
    const arena = WasmArena.load<{ memory: WasmMemory }>(LANE_FFT_WASM_BASE64);
    if (arena === null) throw new Error('WebAssembly is missing');
    const first = arena.allocate(24);
    expect(first % 16).toBe(0);
    const early = arena.float64(first, 3);
    early.set([1, 2, 3]);
    const mark = arena.mark();
    const before = arena.exports.memory.buffer.byteLength;
    const big = arena.allocate(8 << 20); // grows the memory
    expect(big).toBeGreaterThan(first);
    expect(arena.exports.memory.buffer.byteLength).toBeGreaterThan(before);
    // the old view still sees, and writes, the same memory as a new one
    expect(Array.from(arena.float64(first, 3))).toEqual([1, 2, 3]);
    early[1] = 7;
    expect(arena.float64(first, 3)[1]).toBe(7);
    expect(arena.holds(early)).toBe(true);
    expect(arena.holds(arena.float64(big, 4))).toBe(true);
    expect(arena.holds(new Float64Array(3))).toBe(false);
    arena.release(mark);
    expect(arena.allocate(8)).toBe(big);
    expect(arena.allocate(2 ** 31)).toBe(-1);
  });
});

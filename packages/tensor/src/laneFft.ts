import { isPowerOfTwo } from './complexFft.js';
import { LANE_FFT_WASM_BASE64 } from './laneFftWasm.js';
import { WasmArena } from './wasmArena.js';
import type { WasmMemory } from './wasmArena.js';

interface Exports {
  readonly memory: WasmMemory;
  readonly fft: (data: number, n: number, twiddles: number, inverse: number) => void;
}

/**
 * Two complex FFTs of one power-of-two length at once, as WebAssembly SIMD (each f64x2 lane carries one
 * transform): about 2.3x fft.js at 4096 points per transform. The two lanes never mix, so a transform's result
 * does not depend on what the other lane holds.
 */
export interface LaneFft {
  readonly n: number;
  /**
   * The transforms' buffer, 4n doubles: element i at `4 * i` is (re of lane 0, re of lane 1, im of lane 0, im
   * of lane 1). Write input i at `inputAt[i]` (bit-reversed order); read output k at `4 * k`.
   */
  readonly data: Float64Array;
  /** Where input i goes in {@link data}: 4 x the bit reversal of i. */
  readonly inputAt: Int32Array;
  /** y_k = sum_j x_j e^(-2 pi i jk / n), in place, unnormalised. */
  forward(): void;
  /** y_k = sum_j x_j e^(+2 pi i jk / n), in place, unnormalised. */
  inverse(): void;
}

let arena: WasmArena<Exports> | null | undefined;
const byLength = new Map<number, LaneFft | null>();

/**
 * The lane FFT of length `n` for this thread, or null when `n` is not a power of two or WebAssembly SIMD is
 * missing (`node --jitless`). One per length and thread, made on first use and kept: its {@link LaneFft.data}
 * is scratch shared by every caller of that length in the thread, so use it synchronously. Each length keeps
 * 40n bytes of the module's memory (at most 1 GiB in all).
 */
export function laneFft(n: number): LaneFft | null {
  if (!Number.isSafeInteger(n) || n < 1 || !isPowerOfTwo(n)) return null;
  let fft = byLength.get(n);
  if (fft === undefined) {
    fft = createLaneFft(n);
    byLength.set(n, fft);
  }
  return fft;
}

function createLaneFft(n: number): LaneFft | null {
  if (arena === undefined) arena = WasmArena.load<Exports>(LANE_FFT_WASM_BASE64);
  if (arena === null) return null;
  // kept for the thread's life: never released
  const twiddlesAt = arena.allocate(8 * Math.max(2, n));
  const dataAt = twiddlesAt < 0 ? -1 : arena.allocate(32 * n);
  if (dataAt < 0) return null;
  const twiddles = arena.float64(twiddlesAt, Math.max(2, n));
  for (let j = 0; 2 * j < n; j++) {
    const angle = (-2 * Math.PI * j) / n;
    twiddles[2 * j] = Math.cos(angle);
    twiddles[2 * j + 1] = Math.sin(angle);
  }
  const bits = Math.round(Math.log2(n));
  const inputAt = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let reversed = 0;
    for (let b = 0; b < bits; b++) reversed |= ((i >> b) & 1) << (bits - 1 - b);
    inputAt[i] = 4 * reversed;
  }
  const { fft } = arena.exports;
  return {
    n,
    data: arena.float64(dataAt, 4 * n),
    inputAt,
    forward: () => fft(dataAt, n, twiddlesAt, 0),
    inverse: () => fft(dataAt, n, twiddlesAt, 1),
  };
}

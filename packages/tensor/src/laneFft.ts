import { isPowerOfTwo } from './complexFft.js';
import { LANE_FFT_WASM_BASE64 } from './laneFftWasm.js';

// Node has WebAssembly as a global; TypeScript declares it only in the DOM libraries. What is used here:
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
};

interface Exports {
  readonly memory: { readonly buffer: ArrayBufferLike; grow(pages: number): number };
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

const PAGE_BYTES = 65_536;
/** The memory's declared maximum (16384 pages). */
const MAX_BYTES = 1 << 30;

let module: { exports: Exports; top: number } | null | undefined;
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

function instance(): { exports: Exports; top: number } | null {
  if (module !== undefined) return module;
  try {
    const bytes = Uint8Array.from(atob(LANE_FFT_WASM_BASE64), (ch) => ch.charCodeAt(0));
    module = { exports: new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Exports, top: 0 };
  } catch {
    module = null;
  }
  return module;
}

/** Reserves `bytes` (16-byte aligned) in the module's memory; -1 when they do not fit. */
function allocate(wasm: { exports: Exports; top: number }, bytes: number): number {
  const at = (wasm.top + 15) & ~15;
  const end = at + bytes;
  if (end > MAX_BYTES) return -1;
  const memory = wasm.exports.memory;
  const have = memory.buffer.byteLength;
  if (end > have) {
    try {
      memory.grow(Math.ceil((end - have) / PAGE_BYTES));
    } catch {
      return -1;
    }
  }
  wasm.top = end;
  return at;
}

function createLaneFft(n: number): LaneFft | null {
  const wasm = instance();
  if (wasm === null) return null;
  const twiddlesAt = allocate(wasm, 8 * Math.max(2, n));
  const dataAt = twiddlesAt < 0 ? -1 : allocate(wasm, 32 * n);
  if (dataAt < 0) return null;
  const twiddles = new Float64Array(wasm.exports.memory.buffer, twiddlesAt, Math.max(2, n));
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
  const { fft } = wasm.exports;
  return {
    n,
    data: new Float64Array(wasm.exports.memory.buffer, dataAt, 4 * n),
    inputAt,
    forward: () => fft(dataAt, n, twiddlesAt, 0),
    inverse: () => fft(dataAt, n, twiddlesAt, 1),
  };
}

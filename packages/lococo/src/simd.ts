// The WebAssembly SIMD kernels of wasm/linalg.wat and the memory they work in. linalg.ts calls them and falls
// back to its JavaScript loops where they are missing (`node --jitless`) or an operand would not fit.
//
// Operands already in the module's memory (see withResidentArrays) are read in place; others are copied in for the
// call. The memory is shared, so growing it never detaches the views handed out.
import { WasmArena } from '@globalmcp/tensor';
import type { WasmMemory } from '@globalmcp/tensor';
import { LINALG_WASM_BASE64 } from './linalgWasm.js';

interface Exports {
  readonly memory: WasmMemory;
  readonly rowDots: (a: number, aStride: number, aRows: number, b: number, bStride: number, bRows: number, depth: number, out: number) => void;
  readonly weightedRowSums: (w: number, n: number, lo: number, hi: number, outputs: number, x: number, rows: number, stride: number, width: number, y: number) => void;
  readonly softmaxColumnSums: (logits: number, rows: number, tokens: number, scale: number, bias: number, scores: number) => void;
  readonly complexRowDots: (aRe: number, aIm: number, aRows: number, bRe: number, bIm: number, bRows: number, depth: number, outRe: number, outIm: number) => void;
}

/**
 * The kernels over their arena: operands are placed (read in place, or copied in for the call), results copied
 * out. Each kernel returns false, having done nothing, when its operands do not fit.
 */
export class SimdKernels {
  constructor(readonly arena: WasmArena<Exports>) {}

  /** The offset of `array`'s first `length` elements in the memory, copied there when they are elsewhere; -1 if they do not fit. */
  place(array: Float64Array | Int32Array, length: number): number {
    if (this.arena.holds(array)) return array.byteOffset;
    const at = this.arena.allocate(length * array.BYTES_PER_ELEMENT);
    if (at < 0) return -1;
    const view = array instanceof Float64Array ? this.arena.float64(at, length) : this.arena.int32(at, length);
    view.set(array.subarray(0, length));
    return at;
  }

  /** An output: `array` itself when it is in the memory, else room for it (copied out by {@link finish}). */
  output(array: Float64Array, offset: number, length: number): number {
    if (this.arena.holds(array)) return array.byteOffset + offset * 8;
    return this.arena.allocate(length * 8);
  }

  /** Copies an output (or an operand the kernel changed) back when it was not in the memory. */
  finish(array: Float64Array, offset: number, length: number, at: number): void {
    if (!this.arena.holds(array)) array.set(this.arena.float64(at, length), offset);
  }

  rowDots(a: Float64Array, aStride: number, aRows: number, b: Float64Array, bStride: number, bRows: number, depth: number, out: Float64Array): boolean {
    const mark = this.arena.mark();
    try {
      const pa = this.place(a, extent(aRows, aStride, depth));
      const pb = pa < 0 ? -1 : this.place(b, extent(bRows, bStride, depth));
      const po = pb < 0 ? -1 : this.output(out, 0, aRows * bRows);
      if (po < 0) return false;
      this.arena.exports.rowDots(pa, aStride, aRows, pb, bStride, bRows, depth, po);
      this.finish(out, 0, aRows * bRows, po);
      return true;
    } finally {
      this.arena.release(mark);
    }
  }

  weightedRowSums(w: Float64Array, n: number, lo: Int32Array, hi: Int32Array, x: Float64Array, rows: Int32Array, stride: number, width: number, y: Float64Array, yOffset: number): boolean {
    const outputs = lo.length;
    let maxRow = -1;
    for (let i = 0; i < n; i++) maxRow = Math.max(maxRow, rows[i] as number);
    const mark = this.arena.mark();
    try {
      const pw = this.placeRanges(w, n, lo, hi);
      const plo = pw < 0 ? -1 : this.place(lo, outputs);
      const phi = plo < 0 ? -1 : this.place(hi, outputs);
      const prows = phi < 0 ? -1 : this.place(rows, n);
      const px = prows < 0 ? -1 : this.place(x, extent(maxRow + 1, stride, width));
      const py = px < 0 ? -1 : this.output(y, yOffset, outputs * width);
      if (py < 0) return false;
      this.arena.exports.weightedRowSums(pw, n, plo, phi, outputs, px, prows, stride, width, py);
      this.finish(y, yOffset, outputs * width, py);
      return true;
    } finally {
      this.arena.release(mark);
    }
  }

  softmaxColumnSums(logits: Float64Array, rows: number, tokens: number, scale: number, bias: Float64Array, scores: Float64Array): boolean {
    const mark = this.arena.mark();
    try {
      const pl = this.place(logits, rows * tokens);
      const pb = pl < 0 ? -1 : this.place(bias, tokens);
      const ps = pb < 0 ? -1 : this.place(scores, tokens);
      if (ps < 0) return false;
      this.arena.exports.softmaxColumnSums(pl, rows, tokens, scale, pb, ps);
      this.finish(logits, 0, rows * tokens, pl);
      this.finish(scores, 0, tokens, ps);
      return true;
    } finally {
      this.arena.release(mark);
    }
  }

  complexRowDots(
    aRe: Float64Array,
    aIm: Float64Array,
    aOff: number,
    aRows: number,
    bRe: Float64Array,
    bIm: Float64Array,
    bOff: number,
    bRows: number,
    depth: number,
    outRe: Float64Array,
    outIm: Float64Array,
    outOff: number,
  ): boolean {
    const mark = this.arena.mark();
    try {
      const aLength = aRows * depth;
      const bLength = bRows * depth;
      const outLength = aRows * bRows;
      const par = this.place(aRe.subarray(aOff), aLength);
      const pai = par < 0 ? -1 : this.place(aIm.subarray(aOff), aLength);
      const pbr = pai < 0 ? -1 : this.place(bRe.subarray(bOff), bLength);
      const pbi = pbr < 0 ? -1 : this.place(bIm.subarray(bOff), bLength);
      const por = pbi < 0 ? -1 : this.output(outRe, outOff, outLength);
      const poi = por < 0 ? -1 : this.output(outIm, outOff, outLength);
      if (poi < 0) return false;
      this.arena.exports.complexRowDots(par, pai, aRows, pbr, pbi, bRows, depth, por, poi);
      this.finish(outRe, outOff, outLength, por);
      this.finish(outIm, outOff, outLength, poi);
      return true;
    } finally {
      this.arena.release(mark);
    }
  }

  /** Like {@link place} for the [outputs x n] weights, copying only each output's range [lo, hi). */
  private placeRanges(w: Float64Array, n: number, lo: Int32Array, hi: Int32Array): number {
    if (this.arena.holds(w)) return w.byteOffset;
    const at = this.arena.allocate(lo.length * n * 8);
    if (at < 0) return -1;
    const view = this.arena.float64(at, lo.length * n);
    for (let o = 0; o < lo.length; o++) view.set(w.subarray(o * n + (lo[o] as number), o * n + (hi[o] as number)), o * n + (lo[o] as number));
    return at;
  }
}

/** Elements a strided matrix spans: the last row need not extend to a full stride. */
function extent(rows: number, stride: number, width: number): number {
  return rows === 0 ? 0 : (rows - 1) * stride + width;
}

let kernels: SimdKernels | null | undefined;

/** The kernels and their memory, made on first use in each thread (5 KB, compiled synchronously); null without SIMD. */
export function simdKernels(): SimdKernels | null {
  if (kernels === undefined) {
    const arena = WasmArena.load<Exports>(LINALG_WASM_BASE64);
    kernels = arena === null ? null : new SimdKernels(arena);
  }
  return kernels;
}

/** Whether the dense loops run as WebAssembly SIMD in this thread. */
export function simdAvailable(): boolean {
  return simdKernels() !== null;
}

/**
 * Runs `body` with a `resident(length)` that hands out zeroed float64 arrays the SIMD kernels read and write in
 * place (plain arrays where SIMD is missing). They are valid until `body` returns: the next call reuses the room.
 * The memory keeps the largest size it had (at most 1 GiB per thread).
 */
export function withResidentArrays<T>(body: (resident: (length: number) => Float64Array) => T): T {
  const simd = simdKernels();
  if (simd === null) return body((length) => new Float64Array(length));
  const mark = simd.arena.mark();
  try {
    return body((length) => {
      const at = simd.arena.allocate(length * 8);
      if (at < 0) return new Float64Array(length);
      const array = simd.arena.float64(at, length);
      array.fill(0);
      return array;
    });
  } finally {
    simd.arena.release(mark);
  }
}

// Node has WebAssembly as a global; TypeScript declares it only in the DOM libraries. What is used here:
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
};

/** A module's memory, as the arena uses it. */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

const PAGE_BYTES = 65_536;
/** The largest memory the arena grows to: the kernels' modules declare a maximum of 16384 pages. */
const MAX_BYTES = 1 << 30;

/**
 * A WebAssembly module (SIMD kernels) with a stack of allocations in its memory: `allocate` bumps, `release`
 * returns to a `mark`. The module's memory must be shared, so that growing it keeps every view handed out
 * valid. One per module and thread (see {@link WasmArena.load}); the memory keeps its largest size.
 */
export class WasmArena<E extends { readonly memory: WasmMemory }> {
  private top = 0;
  /** Every buffer object the memory has had: a view on one of them lies in the memory. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  private constructor(readonly exports: E) {
    this.buffers.add(exports.memory.buffer);
  }

  /** Instantiates a module from its base64 bytes (compiled synchronously: keep it small); null where WebAssembly or SIMD is missing (`node --jitless`). */
  static load<E extends { readonly memory: WasmMemory }>(base64: string): WasmArena<E> | null {
    try {
      const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
      return new WasmArena(new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as E);
    } catch {
      return null;
    }
  }

  mark(): number {
    return this.top;
  }

  /** Frees everything allocated since `mark`. */
  release(mark: number): void {
    this.top = mark;
  }

  /** Reserves `bytes` (16-byte aligned) and returns their offset in the memory, or -1 when they do not fit. */
  allocate(bytes: number): number {
    const at = (this.top + 15) & ~15;
    const end = at + bytes;
    if (end > MAX_BYTES) return -1;
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (end > have) {
      try {
        memory.grow(Math.ceil((end - have) / PAGE_BYTES));
      } catch {
        return -1;
      }
      this.buffers.add(memory.buffer);
    }
    this.top = end;
    return at;
  }

  float64(at: number, length: number): Float64Array {
    return new Float64Array(this.exports.memory.buffer, at, length);
  }

  int32(at: number, length: number): Int32Array {
    return new Int32Array(this.exports.memory.buffer, at, length);
  }

  /** Whether `array` is a view on this memory (its byteOffset is then its address). */
  holds(array: ArrayBufferView): boolean {
    return this.buffers.has(array.buffer);
  }
}

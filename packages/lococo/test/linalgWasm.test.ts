import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { assembleLinalg, linalgModuleSource } from '../scripts/assembleWasm.mjs';
import { LINALG_WASM_BASE64 } from '../src/linalgWasm.js';

describe('the committed WebAssembly', () => {
  it('is wasm/linalg.wat assembled (run `npm run wasm -w @globalmcp/lococo` after editing the .wat)', async () => {
    const bytes = (await assembleLinalg()) as Uint8Array;
    expect(Buffer.from(LINALG_WASM_BASE64, 'base64').equals(Buffer.from(bytes))).toBe(true);
    expect(readFileSync(new URL('../src/linalgWasm.ts', import.meta.url), 'utf8')).toBe(linalgModuleSource(bytes));
  });
});

import { describe, expect, it } from 'vitest';
import { WASM_MODULES, assembleAll } from '../wasm/assembleWat.mjs';

describe('the committed WebAssembly', () => {
  it('is every .wat assembled (run `npm run wasm` after editing one)', async () => {
    expect((WASM_MODULES as unknown[]).length).toBeGreaterThan(0);
    expect(await assembleAll({ check: true })).toEqual([]);
  });
});

import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseNpy, serializeNpy } from '@globalmcp/tensor';
import { decodeTensor, encodeTensor } from '../src/tensorIo.ts';

let root: string;
let allowed: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'globalmcp-tensors-'));
  allowed = join(root, 'allowed');
  await mkdir(allowed);
  await writeFile(join(allowed, 'x.npy'), serializeNpy({ data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] }));
  await writeFile(join(root, 'secret.npy'), serializeNpy({ data: new Float32Array([9]), shape: [1] }));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('tensor inputs', () => {
  it('reads nested arrays, base64 and files', async () => {
    expect((await decodeTensor([[1, 2], [3, 4]], 'kv', [allowed])).tensor).toMatchObject({ shape: [2, 2] });
    const b64 = Buffer.from(new Float32Array([1, 2, 3]).buffer).toString('base64');
    const fromB64 = await decodeTensor({ dtype: 'float32', shape: [3], data: b64 }, 'kv', [allowed]);
    expect([...fromB64.tensor.data]).toEqual([1, 2, 3]);
    const half = Buffer.from(new Uint16Array([0x3c00, 0xc000, 0x3800]).buffer).toString('base64');
    expect([...(await decodeTensor({ dtype: 'float16', shape: [3], data: half }, 'kv', [allowed])).tensor.data]).toEqual([1, -2, 0.5]);
    const f64 = await decodeTensor({ dtype: 'float64', shape: [2], data: Buffer.from(new Float64Array([0.1, 1e300]).buffer).toString('base64') }, 'kv', [allowed]);
    expect(f64.tensor.data).toEqual(new Float64Array([0.1, 1e300]));
    const fromFile = await decodeTensor({ path: 'x.npy' }, 'kv', [allowed]);
    expect(fromFile).toMatchObject({ source: 'file', tensor: { shape: [2, 3] } });
  });

  it('refuses ragged arrays, non-numbers, empty levels and wrong base64 sizes, naming where', async () => {
    await expect(decodeTensor([[1, 2], [3]], 'kv', [allowed])).rejects.toThrow('kv[1]: ragged array: expected 2 elements at depth 1 (shape [2, 2]); got 1');
    await expect(decodeTensor([[1, '2']], 'kv', [allowed])).rejects.toThrow('kv[0][1]: expected a finite number; got "2"');
    await expect(decodeTensor([[1, null]], 'kv', [allowed])).rejects.toThrow('kv[0][1]: expected a finite number; got null');
    await expect(decodeTensor([], 'kv', [allowed])).rejects.toThrow('kv: empty array at depth 0');
    await expect(decodeTensor({ dtype: 'float32', shape: [4], data: Buffer.from(new Float32Array(3).buffer).toString('base64') }, 'kv', [allowed])).rejects.toThrow(
      'kv.data: shape [4] of float32 needs 16 bytes; the base64 decodes to 12',
    );
    await expect(decodeTensor({ dtype: 'float32', shape: [1], data: '!!!!' }, 'kv', [allowed])).rejects.toThrow('kv.data: not base64');
    const nan = Buffer.from(new Float32Array([1, Number.NaN]).buffer).toString('base64');
    await expect(decodeTensor({ dtype: 'float32', shape: [2], data: nan }, 'kv', [allowed])).rejects.toThrow('kv: element 1 is NaN; expected finite numbers');
  });

  it('refuses paths outside the allowed directories: ../, absolute paths and symlinks that escape', async () => {
    await expect(decodeTensor({ path: '../secret.npy' }, 'kv', [allowed])).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
    await expect(decodeTensor({ path: join(root, 'secret.npy') }, 'kv', [allowed])).rejects.toThrow(/is outside the allowed directories/);
    await symlink(join(root, 'secret.npy'), join(allowed, 'link.npy'));
    await expect(decodeTensor({ path: 'link.npy' }, 'kv', [allowed])).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
    await expect(decodeTensor({ path: '/etc/passwd' }, 'kv', [allowed])).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
    await expect(decodeTensor({ path: 'x.txt' }, 'kv', [allowed])).rejects.toThrow('"x.txt" does not exist');
    await expect(decodeTensor({ path: 'x.npy' }, 'kv', [])).rejects.toThrow('file access is disabled');
  });

  it('refuses a truncated .npy file with the reason', async () => {
    const bytes = await readFile(join(allowed, 'x.npy'));
    await writeFile(join(allowed, 'cut.npy'), bytes.subarray(0, bytes.length - 4));
    await expect(decodeTensor({ path: 'cut.npy' }, 'kv', [allowed])).rejects.toThrow(/cut\.npy: header says shape \[2, 3\] .* \(truncated\?\)/);
  });
});

describe('tensor outputs', () => {
  const tensor = { data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] };

  it('returns nested arrays or base64, or writes a file inside an allowed directory', async () => {
    expect(await encodeTensor(tensor, 'json', [allowed])).toEqual([[1, 2], [3, 4]]);
    expect(await encodeTensor(tensor, 'base64', [allowed])).toEqual({ dtype: 'float32', shape: [2, 2], data: Buffer.from(tensor.data.buffer).toString('base64') });
    const written = (await encodeTensor(tensor, { path: 'out.npy' }, [allowed])) as { path: string };
    expect(written.path).toBe(join(allowed, 'out.npy'));
    expect([...parseNpy(new Uint8Array(await readFile(written.path))).data]).toEqual([1, 2, 3, 4]);
  });

  it('will not write outside the allowed directories or through a symlink that escapes', async () => {
    await expect(encodeTensor(tensor, { path: '../out.npy' }, [allowed])).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
    await symlink(join(root, 'secret.npy'), join(allowed, 'trap.npy'));
    await expect(encodeTensor(tensor, { path: 'trap.npy' }, [allowed])).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
    expect([...parseNpy(new Uint8Array(await readFile(join(root, 'secret.npy')))).data]).toEqual([9]);
  });
});

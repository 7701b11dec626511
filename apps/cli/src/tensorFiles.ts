import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { decodeTensor, encodeTensor } from '@globalmcp/mcp-server';
import { writeFileAtomic } from '@globalmcp/registry';
import { TensorError, parseNpy, parseSafetensors, serializeNpy, serializeSafetensors } from '@globalmcp/tensor';
import type { Tensor } from '@globalmcp/tensor';
import { UsageError } from './output.js';

export const TENSOR_EXTENSIONS = ['.npy', '.safetensors', '.json'] as const;

function formatOf(file: string): (typeof TENSOR_EXTENSIONS)[number] {
  const extension = extname(file).toLowerCase();
  if ((TENSOR_EXTENSIONS as readonly string[]).includes(extension)) return extension as (typeof TENSOR_EXTENSIONS)[number];
  throw new UsageError(`${file}: unknown tensor format "${extension || '(none)'}"; expected ${TENSOR_EXTENSIONS.join(', ')}`);
}

/**
 * Reads a tensor from `.npy` (float16/32/64, C order), `.safetensors` (a tensor
 * chosen by name when the file has several) or `.json` (nested arrays, or
 * `{dtype, shape, data}` with base64 data).
 */
export async function readTensorFile(file: string, tensorName?: string): Promise<Tensor> {
  const format = formatOf(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TensorError('INVALID_FORMAT', `${file}: cannot read (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (error as Error).message})`);
  }
  const name = basename(file);
  if (format === '.npy') return parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
  if (format === '.safetensors') return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name).tensor(tensorName);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new TensorError('INVALID_FORMAT', `${name}: not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(json) && (json === null || typeof json !== 'object' || !('data' in json))) {
    throw new TensorError('INVALID_FORMAT', `${name}: expected nested arrays of numbers or {"dtype", "shape", "data": base64}`);
  }
  return (await decodeTensor(json as never, name, [])).tensor;
}

/** Writes a tensor in the format its extension names, atomically. */
export async function writeTensorFile(file: string, tensor: Tensor, name = 'tensor'): Promise<number> {
  const format = formatOf(file);
  const bytes =
    format === '.npy'
      ? serializeNpy(tensor)
      : format === '.safetensors'
        ? serializeSafetensors({ [name]: tensor })
        : new TextEncoder().encode(`${JSON.stringify(await encodeTensor(tensor, 'json', []))}\n`);
  await writeFileAtomic(file, bytes);
  return bytes.byteLength;
}

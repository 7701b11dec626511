import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { LococoError, kernelsFromJson } from '@globalmcp/lococo';
import type { LococoKernels } from '@globalmcp/lococo';
import { decodeTensor, encodeTensor } from '@globalmcp/mcp-server';
import { writeFileAtomic } from '@globalmcp/registry';
import { TensorError, parseNpy, parseSafetensors, serializeNpy, serializeSafetensors } from '@globalmcp/tensor';
import type { Tensor } from '@globalmcp/tensor';
import { numberOption } from './context.js';
import { UsageError } from './output.js';

export type CacheLayout = 'kv' | 'sequence';

/**
 * How fuse, fit and pipeline read a tensor: a KV cache `[...layers, 2 (K, V), heads, tokens, headDim]`
 * when `--kv` is given or the shape has a size-2 axis at -4, otherwise sequences
 * `[...sequences, tokens, features]` with tokens on axis -2.
 */
export function cacheLayoutOf(shape: readonly number[], kv: boolean | undefined): CacheLayout {
  const rank = shape.length;
  return (kv ?? (rank >= 4 && shape[rank - 4] === 2)) ? 'kv' : 'sequence';
}

/** `--heavy-hitters`: shared by fuse, pipeline and fit, because kernels only fit the share they were fitted with. */
export const heavyHittersOption = numberOption('--heavy-hitters', (n) => n >= 0 && n <= 1, 'a number in [0, 1]');

export const TENSOR_EXTENSIONS = ['.npy', '.safetensors', '.json'] as const;

function readError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
}

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
    throw new TensorError('INVALID_FORMAT', `${file}: cannot read (${readError(error)})`, { cause: error });
  }
  const name = basename(file);
  if (format === '.npy') return parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
  if (format === '.safetensors') return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name).tensor(tensorName);
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TensorError('INVALID_FORMAT', `${name}: not valid JSON ${whereJsonFails(text, error)}`, { cause: error });
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

/**
 * Reads kernels saved by `globalmcp fit` (or `kernelsToJson`). Every failure is a
 * `LococoError INVALID_KERNELS` whose message starts with the file, or says it is missing.
 */
export async function readKernelsFile(file: string): Promise<LococoKernels> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LococoError('INVALID_KERNELS', code === 'ENOENT' ? `kernels file not found: ${file}` : `kernels file ${file}: cannot read (${readError(error)})`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LococoError('INVALID_KERNELS', `${file}: invalid JSON ${whereJsonFails(text, error)}`, { cause: error });
  }
  try {
    return kernelsFromJson(json);
  } catch (error) {
    throw new LococoError('INVALID_KERNELS', `${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * `at line L column C: reason` for text JSON.parse refused. V8's own message gives a
 * position for some mistakes and none for others ("Unexpected token"), so the text is
 * scanned again here; this runs only after a failure, so its speed does not matter.
 */
export function whereJsonFails(text: string, parseError: unknown): string {
  const found = jsonSyntaxError(text);
  if (found === null) return `(${(parseError as Error).message})`;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < found.offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `at line ${line} column ${found.offset - lineStart + 1}: ${found.reason}`;
}

/** The first place where `text` breaks RFC 8259 and why, or null when it is JSON. */
export function jsonSyntaxError(text: string): { offset: number; reason: string } | null {
  let i = 0;
  const stack: string[] = [];
  const shown = () => {
    if (i >= text.length) return 'the end of the file';
    const c = text.charCodeAt(i);
    return c < 0x20 || c === 0x7f || c === 0xfeff ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}` : `'${text[i] as string}'`;
  };
  const fail = (expected: string) => ({ offset: i, reason: `expected ${expected}, found ${shown()}` });
  const digits = () => {
    const start = i;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    return i > start;
  };
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (!digits()) return fail('a digit');
    if (text[i] === '.') {
      i++;
      if (!digits()) return fail('a digit after the decimal point');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digits()) return fail('a digit in the exponent');
    }
    return null;
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) return fail(`'"' to close the string`);
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return null;
      }
      if (text.charCodeAt(i) < 0x20) return fail('a character of the string (control characters must be escaped)');
      if (c === '\\') {
        i++;
        const e = text[i];
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/^[0-9a-fA-F]$/.test(text[i] ?? '')) return fail('a hex digit of a \\u escape');
          }
        } else if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          return fail('an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX');
        }
      }
      i++;
    }
  };
  const literal = () => {
    const word = ['true', 'false', 'null'].find((w) => w[0] === text[i]);
    if (word === undefined) return fail('a value');
    for (const c of word) {
      if (text[i] !== c) return fail(`'${word}'`);
      i++;
    }
    return null;
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  let state: 'value' | 'key' | 'after' = 'value';
  for (;;) {
    space();
    if (state === 'value') {
      const c = text[i];
      if (c === '{' || c === '[') {
        i++;
        space();
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++;
          state = 'after';
        } else {
          stack.push(c);
          state = c === '{' ? 'key' : 'value';
        }
        continue;
      }
      const error = c === '"' ? string() : c === '-' || (c !== undefined && c >= '0' && c <= '9') ? number() : literal();
      if (error !== null) return error;
      state = 'after';
    } else if (state === 'key') {
      if (text[i] !== '"') return fail('a property name in double quotes');
      const error = string();
      if (error !== null) return error;
      space();
      if (text[i] !== ':') return fail(`':' after the property name`);
      i++;
      state = 'value';
    } else {
      const open = stack[stack.length - 1];
      if (open === undefined) return i < text.length ? fail('the end of the file after the value') : null;
      const close = open === '{' ? '}' : ']';
      if (text[i] === ',') {
        i++;
        state = open === '{' ? 'key' : 'value';
      } else if (text[i] === close) {
        i++;
        stack.pop();
      } else {
        return fail(`',' or '${close}'`);
      }
    }
  }
}

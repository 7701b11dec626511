import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeJsonError } from './configIssues.js';
import { RegistryError } from './registryError.js';

/**
 * Writes `content` to `file` so that readers see either the old content or the new,
 * never a half-written file: a temporary file in the same directory is written,
 * flushed and renamed over the target.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export interface FileLockOptions {
  /** How long to wait for another holder before giving up (ms). */
  readonly timeoutMs?: number;
  /** A lock older than this whose owner cannot be confirmed alive is taken over (ms). */
  readonly staleMs?: number;
}

const inProcess = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding `${file}.lock`, an exclusive lock shared by every process
 * that edits the file through this function (the CLI and a running server, say).
 * Calls in the same process are queued; other processes are waited for by polling.
 * A lock left by a dead process is taken over.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const previous = inProcess.get(file) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => lockAndRun(file, fn, options));
  inProcess.set(file, run);
  try {
    return await run;
  } finally {
    if (inProcess.get(file) === run) inProcess.delete(file);
  }
}

async function lockAndRun<T>(file: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const lockFile = `${file}.lock`;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const staleMs = options.staleMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  await mkdir(dirname(file), { recursive: true });
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(lockFile, staleMs)) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new RegistryError('CONFIG_LOCKED', `${file} is locked by another process (${lockFile}); waited ${timeoutMs} ms. Remove the lock file if no GlobalMCP process is running.`);
      }
      await sleep(delay);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}

async function isStale(lockFile: string, staleMs: number): Promise<boolean> {
  try {
    const owner = JSON.parse(await readFile(lockFile, 'utf8')) as { pid?: unknown };
    if (typeof owner.pid === 'number') return !isAlive(owner.pid);
    return Date.now() - (await stat(lockFile)).mtimeMs > staleMs;
  } catch {
    // Unreadable or half-written by its creator a moment ago: stale only when old.
    try {
      return Date.now() - (await stat(lockFile)).mtimeMs > staleMs;
    } catch {
      return false;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Read-modify-write of a JSON file under {@link withFileLock}: `update` gets the
 * file's current content (as `parse` returns it; `undefined` when the file does
 * not exist) and returns the new document, which is written atomically. Two
 * processes updating at once both see their change land.
 */
export async function updateJsonFile<T>(
  file: string,
  parse: (raw: unknown, file: string) => T,
  update: (current: T | undefined) => T | Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  return withFileLock(
    file,
    async () => {
      const current = await readJsonFile(file, parse);
      const next = await update(current);
      await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
      return next;
    },
    options,
  );
}

/** Reads and parses a JSON file; `undefined` when it does not exist; a clear `CONFIG_INVALID` when it is not JSON. */
export async function readJsonFile<T>(file: string, parse: (raw: unknown, file: string) => T): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parse(parseJsonText(file, text), file);
}

export function parseJsonText(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RegistryError('CONFIG_INVALID', describeJsonError(file, text, error), { cause: error });
  }
}

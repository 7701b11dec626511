// Everything exported here is the public API of @globalmcp/tensor/workers (Node only: worker_threads).
import { Worker, parentPort } from 'node:worker_threads';
import type { Transferable } from 'node:worker_threads';

/** What a pooled worker sends back for one task: its value, or the error it threw (code and message). */
export type WorkerOutcome<R> = { ok: true; value: R } | { ok: false; code: string; message: string };

interface Envelope<T> {
  id: number;
  task: T;
}

type ReplyEnvelope<R> = { id: number } & WorkerOutcome<R>;

interface PooledWorker<R> {
  worker: Worker;
  pending: Map<number, (outcome: WorkerOutcome<R>) => void>;
}

/**
 * Worker threads started on first use and kept for later calls, for splitting
 * numeric work across cores. Workers never keep the process alive while idle
 * (a busy one does, or an awaited reply would be lost); a worker that fails or
 * exits mid-task resolves its tasks with `{ ok: false, code: 'INTERNAL' }` and
 * is replaced on the next call. The worker module answers with {@link serveTasks}.
 */
export class WorkerPool<T, R> {
  readonly #url: URL;
  readonly #name: string;
  readonly #workers: PooledWorker<R>[] = [];
  #nextId = 0;

  /** `name` appears in failure messages ("compress worker exited ..."). */
  constructor(url: URL, name: string) {
    this.#url = url;
    this.#name = name;
  }

  /** Runs `task` on worker `index` (started if needed); `transfer` moves buffers instead of copying them. */
  run(index: number, task: T, transfer: readonly Transferable[] = []): Promise<WorkerOutcome<R>> {
    const entry = this.#workerAt(index);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      entry.pending.set(id, resolve);
      entry.worker.ref();
      entry.worker.postMessage({ id, task } satisfies Envelope<T>, [...transfer]);
    });
  }

  /** Stops the workers now (tasks in flight fail); later calls start new ones. */
  async close(): Promise<void> {
    const workers = this.#workers.splice(0, this.#workers.length);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  #workerAt(index: number): PooledWorker<R> {
    const existing = this.#workers[index];
    if (existing !== undefined) return existing;
    // No inherited execArgv: a parent's --conditions (such as a test runner's source condition) must not
    // send the worker to TypeScript sources it cannot load.
    const worker = new Worker(this.#url, { execArgv: [] });
    const entry: PooledWorker<R> = { worker, pending: new Map() };
    const failAll = (message: string) => {
      for (const resolve of entry.pending.values()) resolve({ ok: false, code: 'INTERNAL', message });
      entry.pending.clear();
      const at = this.#workers.indexOf(entry);
      if (at >= 0) this.#workers.splice(at, 1);
    };
    worker.on('message', (reply: ReplyEnvelope<R>) => {
      const { id, ...outcome } = reply;
      entry.pending.get(id)?.(outcome as WorkerOutcome<R>);
      entry.pending.delete(id);
      if (entry.pending.size === 0) worker.unref();
    });
    worker.on('error', (error) => failAll(`${this.#name} failed: ${error.message}`));
    // A worker that exits (terminated, out of memory) without an 'error' must not leave a call waiting for ever.
    worker.on('exit', (code) => failAll(`${this.#name} exited (code ${code}) before finishing its share`));
    worker.unref();
    this.#workers[index] = entry;
    return entry;
  }
}

/**
 * The worker side of a {@link WorkerPool}: answers each task with
 * `handle(task)`'s value (moving `transfer` back instead of copying), or with
 * the thrown error's `code` (else 'INTERNAL') and message.
 */
export function serveTasks<T, R>(handle: (task: T) => { value: R; transfer?: Transferable[] }): void {
  parentPort?.on('message', ({ id, task }: Envelope<T>) => {
    let reply: ReplyEnvelope<R>;
    let transfer: Transferable[] = [];
    try {
      const result = handle(task);
      reply = { id, ok: true, value: result.value };
      transfer = result.transfer ?? [];
    } catch (error) {
      const code = typeof (error as { code?: unknown }).code === 'string' ? ((error as { code: string }).code) : 'INTERNAL';
      reply = { id, ok: false, code, message: (error as Error).message };
    }
    parentPort?.postMessage(reply, transfer);
  });
}

// Everything exported here is the public API of @globalmcp/lococo/parallel (Node only: worker_threads).
import { availableParallelism } from 'node:os';
import { asTensor, assertFinite } from '@globalmcp/tensor';
import type { FloatArray, Tensor } from '@globalmcp/tensor';
import { WorkerPool } from '@globalmcp/tensor/workers';
import { allocateOutput, finishFuse, fuseGroups, kvLayout, prepareFuse, sequenceLayout } from './fuse.js';
import type { FuseJob, FuseResult, Layout } from './fuse.js';
import type { FuseShare, FuseTask } from './fuseWorker.js';
import { LococoError } from './lococoError.js';
import { FuseOptionsSchema, parseOptions } from './options.js';
import type { FuseOptions, ResolvedFuseOptions } from './options.js';

export interface ParallelOptions {
  /** Threads in all, this one included. Default: os.availableParallelism(). 1 fuses inline. */
  threads?: number;
}

/** Below this many input elements, copying shares to the workers costs more than a second core saves. */
const MIN_PARALLEL_ELEMENTS = 1 << 18;

// Tests run this file from src/ (TypeScript), where the worker only exists compiled, in dist/.
const workerUrl = import.meta.url.endsWith('.ts') ? new URL('../dist/fuseWorker.js', import.meta.url) : new URL('./fuseWorker.js', import.meta.url);
const pool = new WorkerPool<FuseTask, FuseShare>(workerUrl, 'fuse worker');

/**
 * {@link fuse} with the sequences split across worker threads (this thread
 * fuses the first share in place); same result, bit for bit, and the same
 * errors. Each worker's sequences are copied to it; its slots come back.
 * Workers are started on first use and kept; they never keep the process
 * alive, and {@link closeWorkers} stops them.
 */
export async function fuseParallel<A extends FloatArray>(input: Tensor<A>, options: FuseOptions, parallel: ParallelOptions = {}): Promise<FuseResult<A>> {
  const started = performance.now();
  const opts = parseOptions(FuseOptionsSchema, options, 'fuse options');
  const tensor = asTensor(input);
  return runParallel(tensor, sequenceLayout(tensor, opts.axis, opts.slots), opts, 'sequence', parallel, started);
}

/** {@link fuseKv} split across worker threads, as {@link fuseParallel}. */
export async function fuseKvParallel<A extends FloatArray>(kv: Tensor<A>, options: FuseOptions, parallel: ParallelOptions = {}): Promise<FuseResult<A>> {
  const started = performance.now();
  const opts = parseOptions(FuseOptionsSchema, options, 'fuseKv options');
  const tensor = asTensor(kv, 'kv cache');
  if (opts.axis !== undefined) throw new LococoError('INVALID_OPTIONS', 'invalid fuseKv options: axis: a KV cache has its tokens on axis -2; leave axis out');
  return runParallel(tensor, kvLayout(tensor, opts.slots), opts, 'kv', parallel, started);
}

/** Stops the pooled workers now (they never keep the process alive; this frees their memory). */
export function closeWorkers(): Promise<void> {
  return pool.close();
}

async function runParallel<A extends FloatArray>(tensor: Tensor<A>, layout: Layout, opts: ResolvedFuseOptions, kind: FuseTask['kind'], parallel: ParallelOptions, started: number): Promise<FuseResult<A>> {
  const threads = parallel.threads ?? availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1) {
    throw new LococoError('INVALID_OPTIONS', `threads must be a positive integer; got ${String(threads)}`);
  }
  // finiteness is checked below, while the workers already run
  const job = prepareFuse(tensor, layout, opts, false);
  const { out, counts, place } = allocateOutput(tensor.data, job);
  const shares = Math.min(threads, layout.groups);
  if (shares < 2 || tensor.data.length < MIN_PARALLEL_ELEMENTS) {
    assertFinite(tensor);
    fuseGroups(job, 0, layout.groups, place);
    return finishFuse(tensor, job, out, counts, started);
  }
  const bounds = Array.from({ length: shares + 1 }, (_, i) => Math.round((i * layout.groups) / shares));
  const replies = [];
  for (let i = 1; i < shares; i++) {
    const from = bounds[i] as number;
    const to = bounds[i + 1] as number;
    const task: FuseTask = { kind, tensor: layout.extract(from, to), options: shareOptions(job, from, to, kind) };
    // extract() copied the share into a buffer of its own: move it rather than copy it again
    replies.push(pool.run(i - 1, task, [task.tensor.data.buffer as ArrayBuffer]).then((outcome) => ({ from, outcome })));
  }
  let localError: unknown;
  try {
    assertFinite(tensor);
    fuseGroups(job, 0, bounds[1] as number, place);
  } catch (error) {
    localError = error;
  }
  const settled = await Promise.all(replies);
  if (localError !== undefined) throw localError;
  const width = opts.slots * layout.features;
  for (const { from, outcome } of settled) {
    if (!outcome.ok) throw new LococoError('WORKER_FAILED', outcome.message);
    const { y, counts: shareCounts } = outcome.value;
    const groups = shareCounts.length / opts.slots;
    for (let g = 0; g < groups; g++) place(from + g, y.subarray(g * width, (g + 1) * width), shareCounts.subarray(g * opts.slots, (g + 1) * opts.slots));
  }
  return finishFuse(tensor, job, out, counts, started);
}

/** The options for sequences [from, to) as a tensor of their own: per-sequence counts, scores and queries sliced. */
function shareOptions(job: FuseJob, from: number, to: number, kind: FuseTask['kind']): ResolvedFuseOptions {
  const { opts, layout } = job;
  const { tokens } = layout;
  const perSequence = (values: ArrayLike<number> | undefined) =>
    values === undefined || values.length === tokens ? values : Float64Array.from({ length: (to - from) * tokens }, (_, i) => values[from * tokens + i] as number);
  const share: ResolvedFuseOptions = { ...opts, kernels: job.plan.kernels };
  delete share.axis;
  if (kind === 'sequence') share.axis = -2;
  const counts = perSequence(opts.counts);
  const scores = perSequence(opts.scores);
  if (counts !== undefined) share.counts = counts;
  if (scores !== undefined) share.scores = scores;
  if (job.queries !== undefined && opts.queries !== undefined && opts.queries.shape.length > 2) {
    const { count } = job.queries;
    const keys = layout.keyFeatures;
    const data = new Float64Array((to - from) * count * keys);
    for (let g = from; g < to; g++) data.set(job.queries.data(g), (g - from) * count * keys);
    share.queries = { data, shape: [to - from, count, keys] };
  }
  return share;
}

// Everything exported here is the public API of @globalmcp/freqkv/parallel (Node only: worker_threads).
import { availableParallelism } from 'node:os';
import { TensorError, assertFinite } from '@globalmcp/tensor';
import type { FloatArray, Tensor, TensorErrorCode } from '@globalmcp/tensor';
import { WorkerPool } from '@globalmcp/tensor/workers';
import { allocateLike, compressChannels, compressRescaled, copyRawTokens, energiesOutOfRange, finishCompress, prepareCompress } from './compress.js';
import type { CompressResult, SpanEnergy } from './compress.js';
import type { WorkerTask } from './compressWorker.js';
import { FreqKvError } from './freqKvError.js';
import type { CompressOptions } from './options.js';

export interface ParallelOptions {
  /** Threads in all, this one included. Default: os.availableParallelism(). 1 runs {@link compress} inline. */
  threads?: number;
}

/** Below this many elements the copy to shared memory and the hand-off cost more than a second core saves. */
const MIN_PARALLEL_ELEMENTS = 1 << 18;

// Tests run this file from src/ (TypeScript), where the worker only exists compiled, in dist/.
const workerUrl = import.meta.url.endsWith('.ts') ? new URL('../dist/compressWorker.js', import.meta.url) : new URL('./compressWorker.js', import.meta.url);

const pool = new WorkerPool<WorkerTask, SpanEnergy>(workerUrl, 'compress worker');

/**
 * Shared staging memory for the workers' input, kept between calls: a fresh
 * SharedArrayBuffer of tens of MiB per call costs page faults and zeroing
 * every time. A call that starts while another still uses it gets its own.
 */
let staging: SharedArrayBuffer | undefined;
let stagingBusy = false;

function sharedCopy<A extends FloatArray>(data: A, release: (() => void)[]): A {
  let buffer: SharedArrayBuffer;
  if (!stagingBusy && staging !== undefined && staging.byteLength >= data.byteLength) {
    buffer = staging;
  } else if (!stagingBusy) {
    staging = new SharedArrayBuffer(data.byteLength);
    buffer = staging;
  } else {
    buffer = new SharedArrayBuffer(data.byteLength);
  }
  if (buffer === staging) {
    stagingBusy = true;
    release.push(() => {
      stagingBusy = false;
    });
  }
  const shared = allocateLike(data, data.length, buffer);
  shared.set(data);
  return shared;
}

/**
 * {@link compress} with the channels split across worker threads (this thread
 * takes a share too), for large tensors on machines with more than one core.
 * Same result, bit for bit, and the same errors. The workers' part of the
 * input is copied into shared memory (unless its buffer already is a
 * SharedArrayBuffer); the output is backed by one. Workers are started on
 * first use and kept for later calls, with a staging buffer the size of their
 * share of the input; they never keep the process alive, and
 * {@link closeWorkers} frees both.
 */
export async function compressParallel<A extends FloatArray>(input: Tensor<A>, options: CompressOptions = {}, parallel: ParallelOptions = {}): Promise<CompressResult<A>> {
  const threads = parallel.threads ?? availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1) {
    throw new FreqKvError('INVALID_OPTIONS', `threads must be a positive integer; got ${String(threads)}`);
  }
  const job = prepareCompress(input, options);
  const { span } = job;
  const shares = Math.min(threads, Math.floor(span.channels / 2));
  if (shares < 2 || span.keep === span.span || job.tensor.data.length < MIN_PARALLEL_ELEMENTS) {
    const { compress } = await import('./compress.js');
    return compress(input, options);
  }
  const src = job.tensor.data;
  const { outer } = job.layout;
  const { tokens, inner } = span;
  const out = allocateLike(src, job.outputLength, new SharedArrayBuffer(job.outputLength * src.BYTES_PER_ELEMENT));
  const dtype = src instanceof Float64Array ? 'float64' : 'float32';
  // Split by whole outer slices when there are enough of them: each worker's
  // slice is one contiguous block, so only the workers' blocks are copied to
  // shared memory and this thread reads its own share in place. Otherwise
  // split channels and share one copy of the whole input.
  // Channels go through the FFT in pairs (0,1), (2,3)...; a share must start
  // on an even channel or its pairs, and so its rounding, differ from compress's.
  const outerUnit = inner % 2 === 0 ? 1 : 2;
  const byOuter = Math.floor(outer / outerUnit) >= shares;
  const release: (() => void)[] = [];
  const whole = byOuter || src.buffer instanceof SharedArrayBuffer ? undefined : sharedCopy(src, release);
  const unit = byOuter ? outerUnit : 2;
  const units = byOuter ? Math.floor(outer / outerUnit) : Math.floor(span.channels / 2);
  const bounds = Array.from({ length: shares + 1 }, (_, i) => unit * Math.round((i * units) / shares));
  bounds[shares] = byOuter ? outer : span.channels;
  // In byOuter mode the workers' slices are one contiguous block after this thread's: copy it once.
  const firstWorkerOuter = bounds[1] as number;
  const block = !byOuter || src.buffer instanceof SharedArrayBuffer ? undefined : sharedCopy(src.subarray(firstWorkerOuter * tokens * inner), release);
  const tasks: WorkerTask[] = [];
  for (let i = 1; i < shares; i++) {
    const from = bounds[i] as number;
    const to = bounds[i + 1] as number;
    if (byOuter) {
      tasks.push({
        dtype,
        src: (block ?? src).buffer as SharedArrayBuffer,
        srcOffset: block === undefined ? src.byteOffset / src.BYTES_PER_ELEMENT + from * tokens * inner : (from - firstWorkerOuter) * tokens * inner,
        srcLength: (to - from) * tokens * inner,
        out: out.buffer as SharedArrayBuffer,
        outOffset: from * span.tokensOut * inner,
        outLength: (to - from) * span.tokensOut * inner,
        shape: [to - from, tokens, inner],
        job: span,
        from: 0,
        to: (to - from) * inner,
      });
    } else {
      const shared = whole ?? src;
      tasks.push({
        dtype,
        src: shared.buffer as SharedArrayBuffer,
        srcOffset: shared.byteOffset / shared.BYTES_PER_ELEMENT,
        srcLength: shared.length,
        out: out.buffer as SharedArrayBuffer,
        outOffset: 0,
        outLength: out.length,
        shape: [...job.tensor.shape],
        job: span,
        from,
        to,
      });
    }
  }
  const replies = tasks.map((task, i) => pool.run(i, task));
  const localChannels = byOuter ? (bounds[1] as number) * inner : (bounds[1] as number);
  let local: SpanEnergy | undefined;
  let localError: unknown;
  let rawEnergy = 0;
  try {
    rawEnergy = copyRawTokens(job, out);
    local = compressChannels(src, job.tensor.shape, span, out, 0, localChannels);
  } catch (error) {
    localError = error;
  }
  const settled = await Promise.all(replies);
  for (const done of release) done();
  if (localError !== undefined) throw localError;
  const energy = { ...(local as SpanEnergy) };
  for (const reply of settled) {
    if (!reply.ok) {
      if (reply.code === 'NON_FINITE') assertFinite(job.tensor); // the worker saw its slice; name the position in the whole tensor
      if (reply.code === 'INTERNAL') throw new FreqKvError('WORKER_FAILED', reply.message);
      throw new TensorError(reply.code as TensorErrorCode, reply.message);
    }
    energy.spanEnergy += reply.value.spanEnergy;
    energy.keptEnergy += reply.value.keptEnergy;
  }
  const result = finishCompress(job, out, rawEnergy, energy);
  return energiesOutOfRange(job, result) ? compressRescaled(job) : result;
}

/** Stops the pooled workers and drops the staging memory (workers never keep the process alive; this frees their memory now). */
export async function closeWorkers(): Promise<void> {
  if (!stagingBusy) staging = undefined;
  await pool.close();
}

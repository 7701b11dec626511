import { parentPort } from 'node:worker_threads';
import { TensorError } from '@globalmcp/tensor';
import { compressChannels } from './compress.js';
import type { SpanJob } from './compress.js';

/** One share of a parallel compress: the channels [from, to) of tensors that live in shared memory. */
export interface WorkerTask {
  id: number;
  dtype: 'float32' | 'float64';
  src: SharedArrayBuffer;
  /** Where this share's input starts in `src` (elements). */
  srcOffset: number;
  srcLength: number;
  out: SharedArrayBuffer;
  /** Where this share's output starts in `out` (elements) and how many elements its view spans. */
  outOffset: number;
  outLength: number;
  shape: number[];
  job: SpanJob;
  from: number;
  to: number;
}

export type WorkerReply =
  | { id: number; ok: true; spanEnergy: number; keptEnergy: number }
  | { id: number; ok: false; code: string; message: string };

parentPort?.on('message', (task: WorkerTask) => {
  const wide = task.dtype === 'float64';
  const bytes = wide ? 8 : 4;
  const src = wide ? new Float64Array(task.src, task.srcOffset * bytes, task.srcLength) : new Float32Array(task.src, task.srcOffset * bytes, task.srcLength);
  const out = wide ? new Float64Array(task.out, task.outOffset * bytes, task.outLength) : new Float32Array(task.out, task.outOffset * bytes, task.outLength);
  try {
    const energy = compressChannels(src, task.shape, task.job, out, task.from, task.to);
    parentPort?.postMessage({ id: task.id, ok: true, ...energy } satisfies WorkerReply);
  } catch (error) {
    const code = error instanceof TensorError ? error.code : 'INTERNAL';
    parentPort?.postMessage({ id: task.id, ok: false, code, message: (error as Error).message } satisfies WorkerReply);
  }
});

import { serveTasks } from '@globalmcp/tensor/workers';
import { compressChannels } from './compress.js';
import type { SpanEnergy, SpanJob } from './compress.js';

/** One share of a parallel compress: the channels [from, to) of tensors that live in shared memory. */
export interface WorkerTask {
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

serveTasks<WorkerTask, SpanEnergy>((task) => {
  const wide = task.dtype === 'float64';
  const bytes = wide ? 8 : 4;
  const src = wide ? new Float64Array(task.src, task.srcOffset * bytes, task.srcLength) : new Float32Array(task.src, task.srcOffset * bytes, task.srcLength);
  const out = wide ? new Float64Array(task.out, task.outOffset * bytes, task.outLength) : new Float32Array(task.out, task.outOffset * bytes, task.outLength);
  return { value: compressChannels(src, task.shape, task.job, out, task.from, task.to) };
});

import { serveTasks } from '@globalmcp/tensor/workers';
import type { Tensor } from '@globalmcp/tensor';
import { fuseGroups, kvLayout, prepareFuse, sequenceLayout } from './fuse.js';
import type { ResolvedFuseOptions } from './options.js';

/** One share of a parallel fusion: its sequences as a tensor of their own, with the options sliced to them (already checked). */
export interface FuseTask {
  kind: 'sequence' | 'kv';
  tensor: Tensor;
  options: ResolvedFuseOptions;
}

/** Every sequence's slots, [sequences x slots x features] in float64, and counts [sequences x slots]. */
export interface FuseShare {
  y: Float64Array;
  counts: Float64Array;
}

serveTasks<FuseTask, FuseShare>(({ kind, tensor, options }) => {
  const layout = kind === 'kv' ? kvLayout(tensor, options.slots) : sequenceLayout(tensor, -2, options.slots);
  const job = prepareFuse(tensor, layout, options, false);
  const width = options.slots * layout.features;
  const y = new Float64Array(layout.groups * width);
  const counts = new Float64Array(layout.groups * options.slots);
  fuseGroups(job, 0, layout.groups, (g, slots, slotCounts) => {
    y.set(slots, g * width);
    counts.set(slotCounts, g * options.slots);
  });
  return { value: { y, counts }, transfer: [y.buffer, counts.buffer] };
});

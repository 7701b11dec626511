// Everything exported here is the public API of @globalmcp/lococo.
export { LococoError } from './lococoError.js';
export type { LococoErrorCode } from './lococoError.js';
export { fuse, fuseKv, slotPlan } from './fuse.js';
export type { FuseResult, FuseStats } from './fuse.js';
export { DEFAULT_HEAVY_HITTERS, DEFAULT_OBSERVATION_WINDOW, DEFAULT_SINK_TOKENS, FuseOptionsSchema } from './options.js';
export type { FuseOptions } from './options.js';
export {
  DEFAULT_BLEND,
  DEFAULT_KERNEL_SIZE,
  DEFAULT_PRIOR_WIDTH,
  KernelsJsonSchema,
  defaultKernels,
  kernelsFromJson,
  kernelsToJson,
  validateKernels,
} from './kernels.js';
export type { KernelsJson, LococoKernels } from './kernels.js';
export { LococoCache, LococoCacheOptionsSchema } from './lococoCache.js';
export type { LococoCacheOptions } from './lococoCache.js';
export { DEFAULT_MIN_IMPROVED_SHARE, DEFAULT_MIN_IMPROVEMENT, DEFAULT_REGULARIZATION, DEFAULT_VALIDATION, DEFAULT_VALIDATION_PROBES, FitOptionsSchema, fitKernels, kernelLoss } from './fit.js';
export type { FitOptions, FitResult } from './fit.js';

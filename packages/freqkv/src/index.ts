// Everything exported here is the public API of @globalmcp/freqkv.
export { FreqKvError } from './freqKvError.js';
export type { FreqKvErrorCode } from './freqKvError.js';
export { DctPlan, dct, idct } from './dctPlan.js';
export { dctAlongAxis } from './dctAlongAxis.js';
export { compress, keptSpanLength } from './compress.js';
export type { CompressResult, CompressStats } from './compress.js';
export { CompressOptionsSchema, DEFAULT_RETENTION, DEFAULT_SINK_TOKENS } from './options.js';
export type { CompressOptions } from './options.js';
export { MIN_COUNT } from './counts.js';
export { FreqKvCache, FreqKvCacheOptionsSchema } from './freqKvCache.js';
export type { FreqKvCacheOptions } from './freqKvCache.js';
export { AttentionErrorOptionsSchema, attentionError, quantile, splitKv } from './fidelity.js';
export type { AttentionCache, AttentionErrorOptions, AttentionErrorResult } from './fidelity.js';
export { BASELINES, reduceBaseline } from './baselines.js';
export type { Baseline } from './baselines.js';
export { TensorError, createTensor, syntheticSequence, tokenLayout } from '@globalmcp/tensor';
export type { DType, FloatArray, Tensor, TensorErrorCode, TokenLayout } from '@globalmcp/tensor';

// Everything exported here is the public API of @globalmcp/freqkv.
export { FreqKvError } from './freqKvError.js';
export type { FreqKvErrorCode } from './freqKvError.js';
export { DctPlan, dct, idct } from './dctPlan.js';
export { compress, keptSpanLength } from './compress.js';
export type { CompressResult, CompressStats } from './compress.js';
export { CompressOptionsSchema, DEFAULT_RETENTION, DEFAULT_SINK_TOKENS } from './options.js';
export type { CompressOptions } from './options.js';
export { MIN_COUNT } from './counts.js';
export { TensorError, createTensor, tokenLayout } from '@globalmcp/tensor';
export type { DType, FloatArray, Tensor, TensorErrorCode, TokenLayout } from '@globalmcp/tensor';

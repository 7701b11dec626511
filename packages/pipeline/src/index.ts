// Everything exported here is the public API of @globalmcp/pipeline.
export { PipelineError } from './pipelineError.js';
export type { PipelineErrorCode } from './pipelineError.js';
export { DEFAULT_FREQKV_RETENTION, DEFAULT_PROBES, DEFAULT_SLOTS, PipelineOptionsSchema, compressPipeline } from './compressPipeline.js';
export type { PipelineOptions, PipelineResult, PipelineStats, StageStats } from './compressPipeline.js';

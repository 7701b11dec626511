// Everything exported here is the public API of @globalmcp/tensor.
export { TensorError } from './tensorError.js';
export type { TensorErrorCode } from './tensorError.js';
export {
  asTensor,
  assertFinite,
  bytesPerElement,
  createTensor,
  dtypeOf,
  findNonFinite,
  formatShape,
  nonFiniteError,
  shapeSize,
  unravelIndex,
} from './tensor.js';
export type { DType, FloatArray, Tensor } from './tensor.js';
export { DEFAULT_TOKEN_AXIS, defaultTokenAxis, normalizeAxis, tokenLayout, withTokens } from './tokenLayout.js';
export type { TokenLayout } from './tokenLayout.js';
export { createRandom, fillNormal } from './random.js';
export type { Random } from './random.js';
export { syntheticSequence } from './synthetic.js';
export type { SyntheticOptions } from './synthetic.js';
export { parseNpy, serializeNpy } from './npy.js';
export { parseSafetensors, serializeSafetensors } from './safetensors.js';
export { bfloat16ToFloat, halfToFloat } from './half.js';
export type { SafetensorsEntry, SafetensorsFile } from './safetensors.js';
export { createComplexFft, isPowerOfTwo, nextPowerOfTwo } from './complexFft.js';
export type { ComplexFft } from './complexFft.js';
export { laneFft } from './laneFft.js';
export { WasmArena } from './wasmArena.js';
export type { WasmMemory } from './wasmArena.js';
export type { LaneFft } from './laneFft.js';
export { describeIssues, describeValue, isNumberList } from './issues.js';
export type { ValidationIssue } from './issues.js';

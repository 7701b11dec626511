// Everything exported here is the public API of @globalmcp/registry.
export { RegistryError, isEndpointFailure } from './registryError.js';
export type { RegistryErrorCode, RegistryErrorDetails } from './registryError.js';
export { TIERS, NEIGHBOUR_TIERS } from './tiers.js';
export type { Tier } from './tiers.js';
export type { Attempt } from './attempt.js';
export { describeJsonError, formatConfigIssues, jsonPath } from './configIssues.js';
export { parseJsonText, readJsonFile, updateJsonFile, withFileLock, writeFileAtomic } from './jsonFile.js';
export type { FileLockOptions } from './jsonFile.js';
export type { LogLevel, Logger } from './logger.js';
export { silentLogger } from './logger.js';
export { DEFAULT_OLLAMA_HOST, ollamaBaseUrl, resolveEndpoint } from './endpoint.js';
export type { ProviderKind, ResolvedEndpoint } from './endpoint.js';
export {
  DEFAULT_MAX_TOKENS,
  DEFAULT_REGISTRY_FILE,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  ModelEntrySchema,
  RegistryFileSchema,
  parseRegistryFile,
  resolveRegistry,
} from './registryConfig.js';
export type { HealthSettings, ModelEntry, ModelSpec, RegistryFile, RegistryFileInput, ResolvedRegistry } from './registryConfig.js';
export { InvokeRequestSchema } from './invokeRequest.js';
export type { InvokeRequest } from './invokeRequest.js';
export type { ChatMessage, Usage } from './providers/provider.js';
export { mockText } from './providers/mock.js';
export { HealthMonitor, endpointKey } from './healthMonitor.js';
export type { EndpointHealth } from './healthMonitor.js';
export { ModelRegistry } from './modelRegistry.js';
export type { InvocationResult, ModelRegistryOptions, ModelStatus, RegistryChange, StreamEvent } from './modelRegistry.js';

// Everything exported here is the public API of @globalmcp/integrations.
export { IntegrationsError } from './integrationsError.js';
export type { IntegrationsErrorCode, IntegrationsErrorDetails, MissingVariable } from './integrationsError.js';
export {
  DEFAULT_CHILD_TIMEOUT_MS,
  ServerEntrySchema,
  ServersFileSchema,
  childEnvironment,
  loadServersConfig,
  parseServersConfig,
  parseServersFile,
  resolveServersConfig,
} from './serversConfig.js';
export type {
  ChildServerConfig,
  ChildTransport,
  RemoteChildServerConfig,
  ServerEntry,
  ServersConfig,
  ServersConfigOptions,
  ServersFile,
  ServersFileFormat,
  ServersFileInput,
  StartupMode,
  StdioChildServerConfig,
} from './serversConfig.js';
export {
  DEFAULT_TOOL_BUDGET,
  MAX_TOOL_NAME_LENGTH,
  TOOL_NAME_HASH_LENGTH,
  TOOL_NAME_SEPARATOR,
  planToolNames,
  publicToolName,
  resolvePublicName,
  sanitizeToolName,
} from './toolNames.js';
export type {
  BudgetPolicy,
  ChildTools,
  HiddenTool,
  PlannedTool,
  ToolBudget,
  ToolCollision,
  ToolNamePlan,
  ToolOrigin,
  UnmatchedPattern,
} from './toolNames.js';
export { matchesGlob } from './glob.js';
export { ChildServer } from './childServer.js';
export type { ChildServerHooks, ChildServerOptions, ChildState, ChildStatus, ListKind, Listed, ListedResource, ListedTemplate } from './childServer.js';
export { Federation } from './federation.js';
export type { FederationOptions, FederationStatus, ToolGuard } from './federation.js';
export { LOGGING_LEVELS, silentFederationLogger } from './upstream.js';
export type { CallContext, FederationLogger, ForwardedCapabilities, LoggingLevel, McpMessage, UpstreamSession } from './upstream.js';
export {
  FILESYSTEM_CONFIG_FILE,
  FILESYSTEM_SERVER,
  FILESYSTEM_WRITE_TOOLS,
  GITHUB_BINARY,
  GITHUB_HOSTED_URL,
  JIRA_SERVER,
  PRESET_NAMES,
  expandPreset,
  filesystemGuard,
  githubDefaults,
  presetGuards,
} from './presets.js';
export type { ExpandedPreset, FilesystemRoot, PresetContext, PresetInfo, PresetName } from './presets.js';

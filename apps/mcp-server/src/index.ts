// Everything exported here is the public API of @globalmcp/mcp-server.
export { Gateway } from './gateway.js';
export type { GatewayOptions, GatewayStatus } from './gateway.js';
export { GatewayError } from './gatewayError.js';
export type { GatewayErrorCode } from './gatewayError.js';
export { createMcpServer } from './createMcpServer.js';
export { GATEWAY_TOOLS } from './tools.js';
export type { ToolContext, ToolDefinition, ToolOutcome } from './toolDefinition.js';
export { DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, startHttpServer } from './httpServer.js';
export type { HttpServerOptions, RunningHttpServer } from './httpServer.js';
export { runStdio } from './stdio.js';
export { USAGE, parseServeArgs, serve } from './serve.js';
export type { ServeOptions } from './serve.js';
export { createStderrLogger } from './logger.js';
export { TensorInputSchema, TensorOutputSchema, decodeTensor, encodeTensor } from './tensorIo.js';
export type { TensorInput, TensorOutput } from './tensorIo.js';
export { SERVER_NAME, SERVER_VERSION } from './version.js';

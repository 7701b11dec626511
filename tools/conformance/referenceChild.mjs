// The conformance child: a small MCP server offering every fixture that the server scenarios of
// the official conformance suite (@modelcontextprotocol/conformance) ask for by name — the test_*
// tools, the test:// resources and resource template, the test_* prompts, completion for one
// prompt, per-session logging levels, progress, sampling and elicitation requests to the client,
// and a tool that drops its SSE stream mid-call so that the client has to resume it.
//
// runFederationConformance.mjs runs the suite against it alone (--http) and through the GlobalMCP
// gateway, which federates it without a name prefix as a stdio child (--stdio) or an HTTP child
// (--http), so any difference between the two runs is the gateway's doing. Written for this
// repository from the suite's scenario checks and the MCP 2025-11-25 specification.
//
// Usage: node tools/conformance/referenceChild.mjs --stdio
//        node tools/conformance/referenceChild.mjs --http [--host 127.0.0.1] [--port 0]
// In HTTP mode it serves Streamable HTTP at /mcp (one session per client, resumable SSE streams,
// Host/Origin checked against loopback names) and prints "listening http://HOST:PORT/mcp" on
// stderr. stdout carries JSON-RPC only (stdio mode); every diagnostic goes to stderr.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { deflateSync } from 'node:zlib';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultWithToolsSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingLevelSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const SERVER_INFO = { name: 'globalmcp-conformance-child', title: 'GlobalMCP conformance child', version: '1.0.0' };
/** JSON-RPC code for an unknown resource URI in the 2025-06-18 and 2025-11-25 revisions. */
const RESOURCE_NOT_FOUND = -32002;
/** The `retry` (ms) announced in the priming event of every SSE stream: how soon a dropped client comes back. */
const SSE_RETRY_MS = 500;
const LOG_LEVELS = LoggingLevelSchema.options;

// ---------------------------------------------------------------------------------------------
// media, generated at start-up

/** CRC-32 (IEEE, as PNG uses it). */
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A PNG of one colour: 8-bit RGB, no interlace. */
function solidPng(width, height, [red, green, blue]) {
  const chunk = (type, data) => {
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(typed.length + 8);
    out.writeUInt32BE(data.length, 0);
    typed.copy(out, 4);
    out.writeUInt32BE(crc32(typed), typed.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per sample
  header[9] = 2; // colour type: truecolour
  const scanline = Buffer.alloc(1 + width * 3); // filter byte 0, then the pixels
  for (let x = 0; x < width; x++) scanline.set([red, green, blue], 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: height }, () => scanline));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]);
}

/** A short sine tone as a RIFF/WAVE file: 16-bit mono PCM. */
function toneWav(frequency, milliseconds, sampleRate = 8000) {
  const count = Math.round((sampleRate * milliseconds) / 1000);
  const wav = Buffer.alloc(44 + count * 2);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + count * 2, 4);
  wav.write('WAVE', 8, 'latin1');
  wav.write('fmt ', 12, 'latin1');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // bytes per frame
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(count * 2, 40);
  for (let i = 0; i < count; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * frequency * i) / sampleRate)), 44 + i * 2);
  return wav;
}

const RED_PIXEL_PNG = solidPng(1, 1, [255, 0, 0]).toString('base64');
const TONE_WAV = toneWav(440, 50).toString('base64');

// ---------------------------------------------------------------------------------------------
// small helpers

const text = (value) => ({ type: 'text', text: value });
const image = () => ({ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' });
const ok = (...content) => ({ content });
const toolError = (message) => ({ content: [text(message)], isError: true });
const fromUser = (content) => ({ role: 'user', content });
const describe = (error) => (error instanceof Error ? error.message : String(error));

function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What one client session has chosen: its logging level and its resource subscriptions. */
class SessionState {
  /** The minimum level set by logging/setLevel; until the client sets one, every message is sent. */
  logLevel = undefined;
  subscriptions = new Set();

  wants(level) {
    return this.logLevel === undefined || LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.logLevel);
  }
}

/**
 * What a tool may do besides returning its result, bound to one tools/call request: its
 * notifications and requests travel on that request's stream (relatedRequestId).
 */
function toolContext(server, session, request, extra) {
  const progressToken = request.params._meta?.progressToken;
  return {
    signal: extra.signal,
    progressToken,
    async log(level, data) {
      if (session.wants(level)) await extra.sendNotification({ method: 'notifications/message', params: { level, logger: 'conformance-child', data } });
    },
    async progress(progress, total) {
      if (progressToken !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total } });
    },
    clientDeclares(capability) {
      return server.getClientCapabilities()?.[capability] !== undefined;
    },
    /** A request to the client; its reply is validated against `resultSchema` (a failed validation throws). */
    ask(method, params, resultSchema) {
      return extra.sendRequest({ method, params }, resultSchema, { signal: extra.signal, timeout: 60_000 });
    },
    /** Ends this request's SSE stream early (HTTP with a resumable stream only); undefined elsewhere. */
    dropStream: extra.closeSSEStream,
  };
}

// ---------------------------------------------------------------------------------------------
// tools

/** Sends an elicitation/create request and checks the reply; returns the reply or a tool error result. */
async function elicit(ctx, message, requestedSchema) {
  if (!ctx.clientDeclares('elicitation')) return { refused: toolError('The client did not declare the elicitation capability; nothing was asked.') };
  let reply;
  try {
    reply = await ctx.ask('elicitation/create', { message, requestedSchema }, ElicitResultSchema);
  } catch (error) {
    return { refused: toolError(`elicitation/create failed: ${describe(error)}`) };
  }
  if (reply.action === 'accept') {
    const missing = (requestedSchema.required ?? []).filter((field) => reply.content?.[field] === undefined);
    if (missing.length) return { refused: toolError(`The client accepted but left out required field(s) ${missing.join(', ')}.`) };
  }
  return { reply };
}

const summary = (reply) => `action=${reply.action}, content=${JSON.stringify(reply.content ?? {})}`;

const noArguments = z.object({});

/** The JSON Schema 2020-12 input schema the json-schema-2020-12 scenario looks for, keyword by keyword. */
const SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

/**
 * The tools. `input` is a zod schema (validated here, listed as JSON Schema) unless `inputSchema`
 * gives the JSON Schema verbatim (then the arguments are passed on unchecked).
 */
const TOOLS = [
  {
    name: 'test_simple_text',
    description: 'Returns one fixed text block.',
    input: noArguments,
    call: () => ok(text('This is a simple text response for testing.')),
  },
  {
    name: 'test_image_content',
    description: 'Returns an image block: a 1x1 red PNG.',
    input: noArguments,
    call: () => ok(image()),
  },
  {
    name: 'test_audio_content',
    description: 'Returns an audio block: a 50 ms 440 Hz tone as WAV.',
    input: noArguments,
    call: () => ok({ type: 'audio', data: TONE_WAV, mimeType: 'audio/wav' }),
  },
  {
    name: 'test_embedded_resource',
    description: 'Returns an embedded text resource.',
    input: noArguments,
    call: () => ok({ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }),
  },
  {
    name: 'test_multiple_content_types',
    description: 'Returns a text, an image and an embedded JSON resource in one result.',
    input: noArguments,
    call: () =>
      ok(
        text('Multiple content types test:'),
        image(),
        { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
      ),
  },
  {
    name: 'test_tool_with_logging',
    description: 'Sends three info-level log notifications, 50 ms apart, while it runs.',
    input: noArguments,
    async call(_args, ctx) {
      await ctx.log('info', 'Tool execution started');
      await pause(50, ctx.signal);
      await ctx.log('info', 'Tool processing data');
      await pause(50, ctx.signal);
      await ctx.log('info', 'Tool execution completed');
      return ok(text('Logged three messages at level info.'));
    },
  },
  {
    name: 'test_error_handling',
    description: 'Always fails, as a tool error (isError) rather than a protocol error.',
    input: noArguments,
    call: () => toolError('This tool intentionally returns an error for testing'),
  },
  {
    name: 'test_tool_with_progress',
    description: 'Reports progress 0, 50 and 100 of 100, 50 ms apart, when the request carries a progress token.',
    input: noArguments,
    async call(_args, ctx) {
      for (const [step, value] of [0, 50, 100].entries()) {
        if (step > 0) await pause(50, ctx.signal);
        await ctx.progress(value, 100);
      }
      return ok(
        text(
          ctx.progressToken === undefined
            ? 'Done; no progress token was given, so no progress was reported.'
            : `Reported progress 0, 50 and 100 of 100 for token ${JSON.stringify(ctx.progressToken)}.`,
        ),
      );
    },
  },
  {
    name: 'test_sampling',
    description: 'Asks the client for an LLM completion of `prompt` (sampling/createMessage) and returns its text.',
    input: z.object({ prompt: z.string().describe('The prompt to send to the client\'s model') }),
    async call({ prompt }, ctx) {
      if (!ctx.clientDeclares('sampling')) return toolError('The client did not declare the sampling capability; nothing was asked.');
      let reply;
      try {
        // CreateMessageResult in 2025-11-25: model, role, stopReason and content, one block or an array of blocks.
        reply = await ctx.ask('sampling/createMessage', { messages: [fromUser(text(prompt))], maxTokens: 100 }, CreateMessageResultWithToolsSchema);
      } catch (error) {
        return toolError(`sampling/createMessage failed: ${describe(error)}`);
      }
      if (reply.role !== 'assistant') return toolError(`The sampling reply came from role "${reply.role}", expected "assistant".`);
      const blocks = Array.isArray(reply.content) ? reply.content : [reply.content];
      const said = blocks.filter((block) => block.type === 'text').map((block) => block.text);
      if (said.length === 0) return toolError(`The sampling reply has no text block (content: ${blocks.map((b) => b.type).join(', ') || 'empty'}).`);
      return ok(text(`LLM response: ${said.join('\n')}`), text(`(model ${reply.model}, stop reason ${reply.stopReason ?? 'not given'})`));
    },
  },
  {
    name: 'test_elicitation',
    description: 'Asks the user (elicitation/create) for a username and an email address, showing `message`.',
    input: z.object({ message: z.string().describe('The message to show the user') }),
    async call({ message }, ctx) {
      const { reply, refused } = await elicit(ctx, message, {
        type: 'object',
        properties: {
          username: { type: 'string', description: "User's response" },
          email: { type: 'string', description: "User's email address" },
        },
        required: ['username', 'email'],
      });
      return refused ?? ok(text(`User response: ${summary(reply)}`));
    },
  },
  {
    name: 'test_elicitation_sep1034_defaults',
    description: 'Elicits a form whose fields all carry default values (string, integer, number, enum, boolean).',
    input: noArguments,
    async call(_args, ctx) {
      const { reply, refused } = await elicit(ctx, 'Please review these fields; each has a default value.', {
        type: 'object',
        properties: {
          name: { type: 'string', title: 'Name', default: 'John Doe' },
          age: { type: 'integer', title: 'Age', minimum: 0, default: 30 },
          score: { type: 'number', title: 'Score', minimum: 0, maximum: 100, default: 95.5 },
          status: { type: 'string', title: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
          verified: { type: 'boolean', title: 'Verified', default: true },
        },
      });
      return refused ?? ok(text(`Elicitation completed: ${summary(reply)}`));
    },
  },
  {
    name: 'test_elicitation_sep1330_enums',
    description: 'Elicits a form with each enum style: plain, titled (oneOf), legacy enumNames, and plain and titled multi-select.',
    input: noArguments,
    async call(_args, ctx) {
      const titled = (prefix, words) => words.map((word, i) => ({ const: `value${i + 1}`, title: `${word} ${prefix}` }));
      const { reply, refused } = await elicit(ctx, 'Please pick from these lists.', {
        type: 'object',
        properties: {
          untitledSingle: { type: 'string', title: 'Plain single choice', enum: ['option1', 'option2', 'option3'] },
          titledSingle: { type: 'string', title: 'Titled single choice', oneOf: titled('Option', ['First', 'Second', 'Third']) },
          legacyEnum: { type: 'string', title: 'Legacy titled choice', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
          untitledMulti: { type: 'array', title: 'Plain multiple choice', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
          titledMulti: { type: 'array', title: 'Titled multiple choice', items: { anyOf: titled('Choice', ['First', 'Second', 'Third']) } },
        },
      });
      return refused ?? ok(text(`Elicitation completed: ${summary(reply)}`));
    },
  },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features ($defs, $anchor, allOf/anyOf, if/then/else); echoes its arguments.',
    inputSchema: SCHEMA_2020_12,
    call: (args) => ok(text(`Received ${JSON.stringify(args)}`)),
  },
  {
    name: 'test_reconnection',
    description: 'Closes its SSE stream mid-call (Streamable HTTP with resumability) and answers after the client resumes with Last-Event-ID.',
    input: noArguments,
    async call(_args, ctx) {
      if (ctx.dropStream === undefined) return ok(text('No resumable SSE stream on this transport; nothing was closed.'));
      await pause(50, ctx.signal);
      ctx.dropStream();
      await pause(2 * SSE_RETRY_MS, ctx.signal);
      return ok(text('Reconnection test completed: this result was sent after the stream was closed.'));
    },
  },
];

const TOOL_BY_NAME = new Map(TOOLS.map((tool) => [tool.name, tool]));
const TOOL_LIST = TOOLS.map(({ name, description, input, inputSchema }) => ({
  name,
  description,
  inputSchema: inputSchema ?? z.toJSONSchema(input, { io: 'input' }),
}));

// ---------------------------------------------------------------------------------------------
// resources and prompts

let watchedRevision = 1;

const RESOURCES = [
  {
    uri: 'test://static-text',
    name: 'static-text',
    description: 'A fixed plain-text resource.',
    mimeType: 'text/plain',
    read: () => ({ text: 'This is the content of the static text resource.' }),
  },
  {
    uri: 'test://static-binary',
    name: 'static-binary',
    description: 'A fixed binary resource: a 1x1 red PNG.',
    mimeType: 'image/png',
    read: () => ({ blob: RED_PIXEL_PNG }),
  },
  {
    uri: 'test://watched-resource',
    name: 'watched-resource',
    description: 'A resource clients may subscribe to.',
    mimeType: 'text/plain',
    read: () => ({ text: `Watched resource, revision ${watchedRevision}.` }),
  },
];
const RESOURCE_BY_URI = new Map(RESOURCES.map((resource) => [resource.uri, resource]));

const TEMPLATES = [
  {
    uriTemplate: 'test://template/{id}/data',
    name: 'template-data',
    description: 'JSON data for any id.',
    mimeType: 'application/json',
    pattern: /^test:\/\/template\/([^/]+)\/data$/,
    read: ([id]) => ({ text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }),
    suggestions: { id: ['1', '2', '3', '42', '123'] },
  },
];

const PROMPTS = [
  {
    name: 'test_simple_prompt',
    description: 'A prompt without arguments.',
    arguments: [],
    messages: () => [fromUser(text('This is a simple prompt for testing.'))],
  },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt that quotes its two arguments.',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
    messages: ({ arg1, arg2 }) => [fromUser(text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`))],
    suggestions: { arg1: ['paris', 'park', 'party', 'test', 'tested', 'testing'], arg2: ['alpha', 'beta', 'gamma', 'test'] },
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds a text resource under the given URI.',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
    messages: ({ resourceUri }) => [
      fromUser({ type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } }),
      fromUser(text('Please process the embedded resource above.')),
    ],
  },
  {
    name: 'test_prompt_with_image',
    description: 'A prompt that carries an image.',
    arguments: [],
    messages: () => [fromUser(image()), fromUser(text('Please analyze the image above.'))],
  },
];
const PROMPT_BY_NAME = new Map(PROMPTS.map((prompt) => [prompt.name, prompt]));

function readResource(uri) {
  const fixed = RESOURCE_BY_URI.get(uri);
  if (fixed) return { uri, mimeType: fixed.mimeType, ...fixed.read() };
  for (const template of TEMPLATES) {
    const match = template.pattern.exec(uri);
    if (match) return { uri, mimeType: template.mimeType, ...template.read(match.slice(1).map(decodeURIComponent)) };
  }
  throw new McpError(RESOURCE_NOT_FOUND, 'Resource not found', { uri });
}

// ---------------------------------------------------------------------------------------------
// the MCP server (one per client session)

function createChildServer(session) {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: {}, resources: { subscribe: true }, prompts: {}, logging: {}, completions: {} },
    instructions: 'Fixtures for the MCP conformance suite (test_* tools, test:// resources, test_* prompts). For tests only.',
  });

  // Replaces the SDK's own handler: the level is kept with the session and applied in toolContext().
  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    session.logLevel = request.params.level;
    return {};
  });

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOL_LIST }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = TOOL_BY_NAME.get(request.params.name);
    if (tool === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    let args = request.params.arguments ?? {};
    if (tool.input !== undefined) {
      const parsed = tool.input.safeParse(args);
      if (!parsed.success) return toolError(`Invalid arguments for ${tool.name}: ${z.prettifyError(parsed.error)}`);
      args = parsed.data;
    }
    try {
      return await tool.call(args, toolContext(server, session, request, extra));
    } catch (error) {
      if (extra.signal.aborted) throw error;
      return toolError(`${tool.name} failed: ${describe(error)}`);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: RESOURCES.map(({ uri, name, description, mimeType }) => ({ uri, name, description, mimeType })),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: TEMPLATES.map(({ uriTemplate, name, description, mimeType }) => ({ uriTemplate, name, description, mimeType })),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => ({ contents: [readResource(request.params.uri)] }));
  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    readResource(request.params.uri); // unknown URIs are refused
    session.subscriptions.add(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    session.subscriptions.delete(request.params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({
    prompts: PROMPTS.map(({ name, description, arguments: args }) => ({ name, description, ...(args.length ? { arguments: args } : {}) })),
  }));
  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const prompt = PROMPT_BY_NAME.get(request.params.name);
    if (prompt === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
    const given = request.params.arguments ?? {};
    const missing = prompt.arguments.filter((arg) => arg.required && typeof given[arg.name] !== 'string').map((arg) => arg.name);
    if (missing.length) throw new McpError(ErrorCode.InvalidParams, `Prompt ${prompt.name} needs argument(s) ${missing.join(', ')}`);
    return { description: prompt.description, messages: prompt.messages(given) };
  });

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const { ref, argument } = request.params;
    const owner = ref.type === 'ref/prompt' ? PROMPT_BY_NAME.get(ref.name) : TEMPLATES.find((template) => template.uriTemplate === ref.uri);
    const values = (owner?.suggestions?.[argument.name] ?? []).filter((value) => value.startsWith(argument.value));
    return { completion: { values: values.slice(0, 100), total: values.length, hasMore: values.length > 100 } };
  });

  return server;
}

// ---------------------------------------------------------------------------------------------
// transports

/**
 * The SSE event log of one HTTP session, for resumption: every message the transport sends on a
 * stream is recorded with an id; a client that reconnects with Last-Event-ID gets the later
 * messages of the same stream. Keeps the most recent `limit` events.
 */
class SessionEventLog {
  #events = [];
  #counter = 0;

  constructor(limit = 2000) {
    this.limit = limit;
  }

  async storeEvent(streamId, message) {
    const eventId = `${++this.#counter}`;
    this.#events.push({ eventId, streamId, message });
    if (this.#events.length > this.limit) this.#events.splice(0, this.#events.length - this.limit);
    return eventId;
  }

  async getStreamIdForEventId(eventId) {
    return this.#events.find((event) => event.eventId === eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId, { send }) {
    const at = this.#events.findIndex((event) => event.eventId === lastEventId);
    if (at < 0) throw new Error(`event ${lastEventId} is unknown or no longer kept`);
    const { streamId } = this.#events[at];
    for (const event of this.#events.slice(at + 1)) {
      // Priming events (stored as {}) carry no message.
      if (event.streamId === streamId && 'jsonrpc' in event.message) await send(event.eventId, event.message);
    }
    return streamId;
  }
}

async function serveStdio() {
  const server = createChildServer(new SessionState());
  const transport = new StdioServerTransport();
  await server.connect(transport);
  const quit = () => void server.close().finally(() => process.exit(0));
  process.stdin.once('end', quit);
  process.stdin.once('close', quit);
  console.error('conformance child: serving MCP on stdio');
}

async function serveHttp(host, port) {
  const sessions = new Map();
  const loopback = ['localhost', '127.0.0.1', '[::1]'];
  const allowedNames = new Set([...loopback, host.includes(':') && !host.startsWith('[') ? `[${host}]` : host]);

  const jsonRpcError = (id, code, message) => ({ jsonrpc: '2.0', id: id ?? null, error: { code, message } });
  const send = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const hostname = (value) => {
    try {
      return new URL(value).hostname;
    } catch {
      return undefined;
    }
  };
  /** DNS-rebinding protection: the Host and any Origin must name this server. */
  const refusal = (req) => {
    const host = req.headers.host;
    if (host === undefined || !allowedNames.has(hostname(`http://${host}`))) return `Host ${JSON.stringify(host ?? '')} is not allowed`;
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedNames.has(hostname(origin))) return `Origin ${JSON.stringify(origin)} is not allowed`;
    return undefined;
  };
  const readBody = async (req) => {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > 4 * 1024 * 1024) throw Object.assign(new Error('request body over 4 MiB'), { status: 413 });
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      throw Object.assign(new Error(`Parse error: ${describe(error)}`), { status: 400 });
    }
  };

  async function openSession(req, res, body) {
    const session = new SessionState();
    const server = createChildServer(session);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new SessionEventLog(),
      retryInterval: SSE_RETRY_MS,
      onsessioninitialized: (id) => void sessions.set(id, { transport, server }),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function route(req, res) {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/mcp') return send(res, 404, jsonRpcError(null, ErrorCode.InvalidRequest, 'Not found: the MCP endpoint is /mcp'));
    const refused = refusal(req);
    if (refused !== undefined) return send(res, 403, jsonRpcError(null, ErrorCode.InvalidRequest, `Forbidden: ${refused}`));
    const sessionId = req.headers['mcp-session-id'];
    if (req.method === 'POST') {
      let body;
      try {
        body = await readBody(req);
      } catch (error) {
        return send(res, error.status ?? 400, jsonRpcError(null, ErrorCode.ParseError, describe(error)));
      }
      const id = typeof body === 'object' && body !== null && !Array.isArray(body) ? body.id : undefined;
      if (sessionId === undefined) {
        if (body?.method === 'initialize') return openSession(req, res, body);
        return send(res, 400, jsonRpcError(id, ErrorCode.InvalidRequest, 'Bad Request: no Mcp-Session-Id header; send initialize first'));
      }
      const session = sessions.get(sessionId);
      if (session === undefined) return send(res, 404, jsonRpcError(id, -32001, 'Session not found'));
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (sessionId === undefined) return send(res, 400, jsonRpcError(null, ErrorCode.InvalidRequest, 'Bad Request: no Mcp-Session-Id header'));
      const session = sessions.get(sessionId);
      if (session === undefined) return send(res, 404, jsonRpcError(null, -32001, 'Session not found'));
      const resumeAfter = req.headers['last-event-id'];
      if (req.method === 'GET' && resumeAfter !== undefined) console.error(`conformance child: session ${sessionId} resumes its stream after event ${resumeAfter}`);
      return session.transport.handleRequest(req, res);
    }
    res.setHeader('allow', 'GET, POST, DELETE');
    return send(res, 405, jsonRpcError(null, ErrorCode.InvalidRequest, `Method ${req.method} not allowed`));
  }

  const httpServer = createServer((req, res) => {
    route(req, res).catch((error) => {
      console.error(`conformance child: ${req.method} ${req.url}: ${describe(error)}`);
      if (!res.headersSent) send(res, 500, jsonRpcError(null, ErrorCode.InternalError, 'Internal error'));
      else res.end();
    });
  });
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, resolve);
  });
  const address = httpServer.address();
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  console.error(`conformance child: listening http://${shown}:${address.port}/mcp`);

  const stop = () => {
    for (const { transport } of sessions.values()) void transport.close().catch(() => undefined);
    httpServer.closeAllConnections();
    httpServer.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

// ---------------------------------------------------------------------------------------------
// command line

const USAGE = `Usage: node tools/conformance/referenceChild.mjs --stdio
       node tools/conformance/referenceChild.mjs --http [--host 127.0.0.1] [--port 0]

The conformance suite's reference fixtures as an MCP server, over stdio or Streamable HTTP (/mcp).
In HTTP mode it prints "listening http://HOST:PORT/mcp" on stderr (--port 0: any free port).`;

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      stdio: { type: 'boolean', default: false },
      http: { type: 'boolean', default: false },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }));
} catch (error) {
  console.error(`conformance child: ${describe(error)}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.error(USAGE);
  process.exit(0);
}
const port = Number(options.port);
if (options.stdio === options.http || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`conformance child: give exactly one of --stdio and --http, and a --port from 0 to 65535\n\n${USAGE}`);
  process.exit(2);
}
if (options.stdio) await serveStdio();
else await serveHttp(options.host, port);

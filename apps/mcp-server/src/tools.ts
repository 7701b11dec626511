// The compression packages (freqkv, pipeline) are imported when a compression tool first runs: a gateway
// that only routes and federates stays lighter (about 10 MB of resident memory).
import { TIERS } from '@globalmcp/registry';
import type { InvocationResult } from '@globalmcp/registry';
import type { Decision, RouteResult } from '@globalmcp/router';
import { bytesPerElement, dtypeOf, formatShape } from '@globalmcp/tensor';
import { z } from 'zod';
import { GatewayError } from './gatewayError.js';
import { defineTool } from './toolDefinition.js';
import type { ToolContext, ToolDefinition } from './toolDefinition.js';
import { TensorInputSchema, TensorOutputSchema, decodeTensor, encodeTensor } from './tensorIo.js';

const Tier = z.enum(TIERS);
const MAX_PROMPT_CHARS = 1_000_000;
const Prompt = z.string().min(1, 'must not be empty').max(MAX_PROMPT_CHARS, `at most ${MAX_PROMPT_CHARS} characters`);

const AttemptSchema = z.object({
  model: z.string(),
  endpoint: z.string(),
  tier: Tier.optional(),
  outcome: z.enum(['ok', 'failed', 'skipped']),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  durationMs: z.number(),
  requests: z.number(),
});

const EvidenceSchema = z.object({ kind: z.string(), id: z.string(), tier: Tier, weight: z.number(), detail: z.string() });

const ClassificationSchema = z.object({
  complexity: Tier,
  confidence: z.number().min(0).max(1),
  path: z.enum(['rules', 'model']),
  scores: z.record(Tier, z.number()),
  reasons: z.array(z.string()),
  evidence: z.array(EvidenceSchema),
});

const RoutingSchema = ClassificationSchema.extend({
  id: z.string().describe('Pass to router_feedback to correct the tier.'),
  model_used: z.string().optional(),
  endpoint: z.string().optional(),
  mock: z.boolean().describe('True when no model answered and a labelled placeholder stands in.'),
  chain: z.array(z.string()),
  attempts: z.array(AttemptSchema),
  timings: z.object({ classifyMs: z.number(), modelMs: z.number().optional(), totalMs: z.number() }),
});

const CompressionStatsSchema = z.object({
  original_size: z.number().describe('Tokens in.'),
  compressed_size: z.number().describe('Tokens out.'),
  bytes_in: z.number(),
  bytes_out: z.number(),
  size_reduction: z.number(),
  energy_kept: z.number().optional(),
  reconstruction_error: z.number().optional(),
  attention_error: z.object({ median: z.number(), p90: z.number(), probes: z.number() }).optional(),
  ms: z.number(),
  stages: z.array(z.object({ stage: z.string(), ran: z.boolean(), reason: z.string().optional(), tokensIn: z.number(), tokensOut: z.number(), ms: z.number() })).optional(),
});

function classificationOf(decision: Decision) {
  return {
    complexity: decision.tier,
    confidence: decision.confidence,
    path: decision.path,
    scores: decision.scores,
    reasons: [...decision.reasons],
    evidence: decision.evidence.map((e) => ({ kind: e.kind, id: e.id, tier: e.tier, weight: e.weight, detail: e.detail })),
  };
}

function routingOf(result: RouteResult) {
  const response: InvocationResult | undefined = result.response;
  return {
    id: result.id,
    ...classificationOf(result.decision),
    ...(response ? { model_used: response.model, endpoint: response.endpoint } : {}),
    mock: response?.mock ?? false,
    chain: [...result.chain],
    attempts: (response?.attempts ?? []).map((a) => ({ ...a, ...(a.tier === undefined ? { tier: undefined } : {}) })),
    timings: { classifyMs: result.timings.classifyMs, ...(result.timings.modelMs === undefined ? {} : { modelMs: result.timings.modelMs }), totalMs: result.timings.totalMs },
  };
}

function describeAttempts(response: InvocationResult | undefined): string {
  if (response === undefined) return 'dry run: no model called';
  const tried = response.attempts.filter((a) => a.outcome !== 'ok').map((a) => `${a.model} ${a.outcome} (${a.error?.code ?? ''})`);
  return `answered by ${response.model}${response.mock ? ' (MOCK: no model was reachable)' : ''}${tried.length > 0 ? `; before it: ${tried.join(', ')}` : ''}`;
}

function checkCancelled(ctx: ToolContext): void {
  if (ctx.signal.aborted) throw new Error('cancelled by the client');
}

const compressKvCache = defineTool({
  name: 'compress_kv_cache',
  title: 'Compress a KV cache (FreqKV)',
  description:
    'Shortens a KV cache or embedding sequence along its token axis with FreqKV (DCT low-pass, sink tokens kept raw). Give kv_cache as nested arrays, {dtype, shape, data: base64} or {path} to a .npy/.safetensors file, and either compression_ratio (fraction of the non-sink tokens removed) or target_tokens. Returns the compressed tensor (or writes it to output.path) with stats.',
  input: z.strictObject({
    kv_cache: TensorInputSchema,
    sink_tokens: z.number().int().min(0).default(4).describe('Tokens at the start kept raw.'),
    compression_ratio: z.number().min(0).lt(1).optional().describe('Fraction of the non-sink tokens removed, in [0, 1). Default 0.5.'),
    target_tokens: z.number().int().min(1).optional().describe('Tokens to keep in all (sinks included), instead of compression_ratio.'),
    token_axis: z.number().int().optional().describe('The token axis; negative counts from the end. Default -2.'),
    output: TensorOutputSchema.default('json'),
  }),
  output: z.object({
    tensor: z.unknown().describe('The compressed tensor in the requested output form.'),
    shape: z.array(z.number()),
    counts: z.array(z.number()).optional().describe('Original tokens per output token (first sequence); they sum to the input length.'),
    stats: CompressionStatsSchema,
  }),
  annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    if (args.compression_ratio !== undefined && args.target_tokens !== undefined) {
      throw new GatewayError('INVALID_ARGUMENT', 'give either compression_ratio or target_tokens, not both');
    }
    await ctx.progress(0, 3, 'reading the tensor');
    const { tensor } = await decodeTensor(args.kv_cache, 'kv_cache', ctx.gateway.tensorDirs);
    checkCancelled(ctx);
    await ctx.progress(1, 3, `compressing ${formatShape(tensor.shape)}`);
    const { compress } = await import('@globalmcp/freqkv');
    const result = compress(tensor, {
      sinkTokens: args.sink_tokens,
      ...(args.target_tokens !== undefined ? { targetTokens: args.target_tokens } : { retention: 1 - (args.compression_ratio ?? 0.5) }),
      ...(args.token_axis === undefined ? {} : { axis: args.token_axis }),
    });
    checkCancelled(ctx);
    await ctx.progress(2, 3, 'encoding the result');
    const encoded = await encodeTensor(result.tensor, args.output, ctx.gateway.tensorDirs);
    await ctx.progress(3, 3, 'done');
    const s = result.stats;
    const tokens = s.tokensOut;
    return {
      structured: {
        tensor: encoded,
        shape: [...result.tensor.shape],
        counts: Array.from(result.counts.subarray(0, tokens)),
        stats: {
          original_size: s.tokensIn,
          compressed_size: s.tokensOut,
          bytes_in: s.bytesIn,
          bytes_out: s.bytesOut,
          size_reduction: 1 - s.bytesOut / s.bytesIn,
          energy_kept: s.energyKept,
          reconstruction_error: s.reconstructionError,
          ms: s.ms,
        },
      },
      summary: `Compressed ${formatShape(tensor.shape)} from ${s.tokensIn} to ${s.tokensOut} tokens (${s.sinkTokens} sinks kept raw): ${((1 - s.bytesOut / s.bytesIn) * 100).toFixed(1)}% smaller, energy kept ${(s.energyKept * 100).toFixed(2)}%, reconstruction error ${(s.reconstructionError * 100).toFixed(2)}%, ${s.ms.toFixed(1)} ms (${bytesPerElement(dtypeOf(result.tensor.data)) * 8}-bit).`,
    };
  },
});

const routePrompt = defineTool({
  name: 'route_prompt',
  title: 'Route a prompt to a right-sized model',
  description:
    'Classifies the prompt as simple, moderate or complex, sends it to the first healthy model of that tier (falling back to the next model, then a neighbouring tier, then a labelled mock), and returns the response with model_used, complexity, confidence, reasons and every attempt.',
  input: z.strictObject({
    prompt: Prompt,
    context: z.string().max(MAX_PROMPT_CHARS).optional().describe('Extra text (code, files) for the model and the classifier.'),
    max_tokens: z.number().int().min(1).max(1_000_000).optional(),
    dry_run: z.boolean().default(false).describe('Decide and list the model chain without calling a model.'),
  }),
  output: RoutingSchema.extend({ response: z.string().optional() }),
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run(args, ctx) {
    const result = await ctx.gateway.router.route(args.prompt, args.context, {
      signal: ctx.signal,
      dryRun: args.dry_run,
      ...(args.max_tokens === undefined ? {} : { maxTokens: args.max_tokens }),
    });
    const routing = routingOf(result);
    return {
      structured: { ...routing, ...(result.response ? { response: result.response.text } : {}) },
      summary: `${result.response?.text ?? '(dry run)'}\n\n— ${result.decision.tier} (confidence ${result.decision.confidence.toFixed(2)}, decided by ${result.decision.path}); ${describeAttempts(result.response)}.`,
    };
  },
});

const classifyPrompt = defineTool({
  name: 'classify_prompt',
  title: 'Classify a prompt without calling a model',
  description: 'Returns the complexity tier (simple / moderate / complex), the confidence, the per-tier scores and the evidence (rules and features that fired, with weights). No model is called unless a classifier model is configured for unsure cases.',
  input: z.strictObject({ prompt: Prompt, context: z.string().max(MAX_PROMPT_CHARS).optional() }),
  output: ClassificationSchema.extend({ id: z.string() }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { id, decision } = await ctx.gateway.router.classify(args.prompt, args.context, ctx.signal);
    return {
      structured: { id, ...classificationOf(decision) },
      summary: `${decision.tier} (confidence ${decision.confidence.toFixed(2)})\n${decision.reasons.join('\n')}`,
    };
  },
});

const processFullPipeline = defineTool({
  name: 'process_full_pipeline',
  title: 'Compress the context and route the prompt',
  description:
    'If kv_cache is given, compresses it with FreqKV then LoCoCo into a fixed number of slots (stats and attention-output error per stage); then classifies and routes the prompt. Returns compression, routing and the response.',
  input: z.strictObject({
    prompt: Prompt,
    context: z.string().max(MAX_PROMPT_CHARS).optional(),
    kv_cache: TensorInputSchema.optional(),
    sink_tokens: z.number().int().min(0).default(4),
    slots: z.number().int().min(1).max(65_536).default(128).describe('LoCoCo output slots.'),
    freqkv_retention: z.number().gt(0).lte(1).default(0.3).describe('Fraction of the non-sink tokens FreqKV keeps before fusion.'),
    output: TensorOutputSchema.optional().describe('Return the compressed tensor too (default: stats only).'),
    max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  }),
  output: z.object({
    compression: CompressionStatsSchema.extend({ shape: z.array(z.number()), tensor: z.unknown().optional() }).optional(),
    routing: RoutingSchema,
    response: z.string(),
  }),
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run(args, ctx) {
    const total = args.kv_cache === undefined ? 2 : 4;
    let compression: Record<string, unknown> | undefined;
    let compressionLine = 'no kv_cache given';
    if (args.kv_cache !== undefined) {
      await ctx.progress(0, total, 'reading the tensor');
      const { tensor } = await decodeTensor(args.kv_cache, 'kv_cache', ctx.gateway.tensorDirs);
      checkCancelled(ctx);
      await ctx.progress(1, total, `FreqKV then LoCoCo on ${formatShape(tensor.shape)}`);
      const { compressPipeline } = await import('@globalmcp/pipeline');
      const result = compressPipeline(tensor, { sinkTokens: args.sink_tokens, freqkv: { retention: args.freqkv_retention }, lococo: { slots: args.slots } });
      checkCancelled(ctx);
      const s = result.stats;
      const freq = s.stages.find((st) => st.stage === 'freqkv');
      compression = {
        shape: [...result.tensor.shape],
        original_size: s.tokensIn,
        compressed_size: s.tokensOut,
        bytes_in: s.bytesIn,
        bytes_out: s.bytesOut,
        size_reduction: s.sizeReduction,
        ...(freq?.energyKept === undefined ? {} : { energy_kept: freq.energyKept }),
        ...(freq?.reconstructionError === undefined ? {} : { reconstruction_error: freq.reconstructionError }),
        ...(s.attentionError ? { attention_error: s.attentionError } : {}),
        ms: s.ms,
        stages: s.stages.map((st) => ({ stage: st.stage, ran: st.ran, ...(st.reason ? { reason: st.reason } : {}), tokensIn: st.tokensIn, tokensOut: st.tokensOut, ms: st.ms })),
        ...(args.output === undefined ? {} : { tensor: await encodeTensor(result.tensor, args.output, ctx.gateway.tensorDirs) }),
      };
      compressionLine = `${s.tokensIn} → ${s.tokensOut} tokens (${(s.sizeReduction * 100).toFixed(1)}% smaller${s.attentionError ? `, attention error median ${(s.attentionError.median * 100).toFixed(2)}%` : ''}, ${s.ms.toFixed(0)} ms)`;
      await ctx.progress(2, total, 'routing the prompt');
    }
    const routed = await ctx.gateway.router.route(args.prompt, args.context, { signal: ctx.signal, ...(args.max_tokens === undefined ? {} : { maxTokens: args.max_tokens }) });
    await ctx.progress(total, total, 'done');
    const response = routed.response?.text ?? '';
    return {
      structured: { ...(compression ? { compression: compression as never } : {}), routing: routingOf(routed), response },
      summary: `${response}\n\n— compression: ${compressionLine}; routing: ${routed.decision.tier} (confidence ${routed.decision.confidence.toFixed(2)}), ${describeAttempts(routed.response)}.`,
    };
  },
});

const listModels = defineTool({
  name: 'list_models',
  title: 'List model endpoints and tiers',
  description: 'Lists the registered models with their endpoints, tiers, whether their server is up and whether the model is installed there (Ollama /api/tags, /v1/models).',
  input: z.strictObject({ probe: z.boolean().default(false).describe('Probe the servers now instead of using the last result (cached for a few seconds).') }),
  output: z.object({
    models: z.array(z.object({ name: z.string(), endpoint: z.string(), provider: z.string(), tiers: z.array(Tier), installed: z.boolean().optional(), status: z.string(), error: z.string().optional() })),
    tiers: z.record(Tier, z.array(z.string())),
    fallback: z.enum(['mock', 'error']),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  async run(args, ctx) {
    const statuses = await ctx.gateway.registry.status({ force: args.probe });
    const models = statuses.map((m) => ({
      name: m.name,
      endpoint: m.endpoint,
      provider: m.provider,
      tiers: [...m.tiers],
      ...(m.installed === undefined ? {} : { installed: m.installed }),
      status: m.server?.status ?? 'unknown',
      ...(m.server?.error ? { error: m.server.error.message } : {}),
    }));
    const tiers = ctx.gateway.registry.tiers();
    return {
      structured: { models, tiers, fallback: ctx.gateway.registry.fallback },
      summary: models.map((m) => `${m.name.padEnd(16)} ${m.endpoint.padEnd(32)} ${m.status}${m.installed === false ? ' (not installed)' : ''}${m.tiers.length ? `  [${m.tiers.join(', ')}]` : ''}`).join('\n'),
    };
  },
});

const routerFeedback = defineTool({
  name: 'router_feedback',
  title: 'Correct a routing decision',
  description: 'Records the right tier for a prompt that was classified or routed earlier (by the id those tools returned). The feedback feeds the router analytics and its measured accuracy.',
  input: z.strictObject({ id: z.string().min(1), tier: Tier }),
  output: z.object({ id: z.string(), predicted: Tier, actual: Tier, correct: z.boolean(), accuracy: z.number().optional(), feedback_count: z.number() }),
  annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const result = ctx.gateway.router.feedback(args.id, args.tier);
    const stats = ctx.gateway.router.stats().feedback;
    return {
      structured: { ...result, ...(stats.accuracy === undefined ? {} : { accuracy: stats.accuracy }), feedback_count: stats.count },
      summary: `Recorded: predicted ${result.predicted}, actually ${result.actual} (${result.correct ? 'correct' : 'wrong'}). Accuracy over ${stats.count} corrected prompts: ${((stats.accuracy ?? 0) * 100).toFixed(0)}%.`,
    };
  },
});

const gatewayStatus = defineTool({
  name: 'gateway_status',
  title: 'Gateway status',
  description: 'Version, uptime, the state of every model endpoint and child server, the tier mapping and routing analytics.',
  input: z.strictObject({ probe: z.boolean().default(false) }),
  output: z.object({ status: z.string(), version: z.string(), uptimeSeconds: z.number() }).passthrough(),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  async run(args, ctx) {
    const status = await ctx.gateway.status({ probe: args.probe });
    const up = status.models.filter((m) => m.server?.status === 'up').length;
    const children = status.children.map((c) => `${c.name} ${c.state}${c.state === 'ready' ? ` (${c.tools} tools)` : c.disabledReason ? ` (${c.disabledReason})` : c.lastError ? ` (${c.lastError})` : ''}`);
    return {
      structured: status as unknown as { status: string; version: string; uptimeSeconds: number },
      summary:
        `GlobalMCP ${status.version}: ${status.status}, up ${status.uptimeSeconds} s; ${up}/${status.models.length} model endpoints up; ${status.analytics.total} prompts routed.` +
        (children.length > 0 ? ` Child servers: ${children.join('; ')}.` : ' No child servers configured.'),
    };
  },
});

export const GATEWAY_TOOLS: readonly ToolDefinition[] = [compressKvCache, routePrompt, processFullPipeline, classifyPrompt, listModels, routerFeedback, gatewayStatus];

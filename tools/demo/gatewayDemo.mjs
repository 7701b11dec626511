// npm run demo: the seed's demo.py, through the real server. Starts the built GlobalMCP
// server over stdio with the MCP SDK client and calls its tools: compression, the
// FreqKV -> LoCoCo pipeline, classification and routing. Without Ollama the answers come
// from the labelled mock endpoints, and the attempts say why.
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createRandom, syntheticSequence } from '@globalmcp/tensor';

const root = fileURLToPath(new URL('../../', import.meta.url));
const client = new Client({ name: 'globalmcp-demo', version: '1.0.0' });
await client.connect(
  new StdioClientTransport({
    command: process.execPath,
    args: [`${root}apps/mcp-server/dist/main.js`, '--stdio', '--config-dir', `${root}config`, '--log-level', 'error'],
    cwd: root,
    stderr: 'inherit',
  }),
);

const random = createRandom(42);
const matrix = (rows, cols) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => random.normal()));
async function call(name, args) {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name}: ${result.content[0].text}`);
  return result.structuredContent;
}
const pct = (x) => `${(x * 100).toFixed(1)}%`;

console.log('GlobalMCP demo (through the MCP server over stdio)\n');
const { tools } = await client.listTools();
console.log(`Tools: ${tools.map((t) => t.name).join(', ')}\n`);

console.log('=== KV cache compression ===');
const kv = matrix(200, 64);
const compressed = await call('compress_kv_cache', { kv_cache: kv, sink_tokens: 10, compression_ratio: 0.7 });
const s = compressed.stats;
console.log(`FreqKV: ${s.original_size} -> ${s.compressed_size} tokens (10 sinks kept raw), ${pct(s.size_reduction)} smaller, energy kept ${pct(s.energy_kept)}, reconstruction error ${pct(s.reconstruction_error)} (white noise: the hardest case), ${s.ms.toFixed(1)} ms`);
// Real caches are smooth along the tokens, which is what FreqKV exploits: the same pipeline on AR(1) data.
const smooth = syntheticSequence({ tokens: 1000, dim: 64, seed: 42 });
const smoothKv = Array.from({ length: 1000 }, (_, t) => Array.from(smooth.data.subarray(t * 64, (t + 1) * 64)));
const pipeline = await call('process_full_pipeline', { prompt: 'Summarise this context', kv_cache: smoothKv, sink_tokens: 4, slots: 128 });
const p = pipeline.compression;
console.log(`Pipeline on a smooth 1000x64 cache: ${p.stages.map((st) => `${st.stage} ${st.tokensIn}->${st.tokensOut}${st.ran ? '' : ' (skipped)'}`).join(', ')}; ${pct(p.size_reduction)} smaller; attention-output error median ${pct(p.attention_error.median)}\n`);

console.log('=== Prompt routing ===');
for (const prompt of ['Fix the indentation in this function', 'Refactor this class to use dependency injection', 'Design a microservices architecture for this e-commerce platform']) {
  const r = await call('route_prompt', { prompt });
  console.log(`Prompt: ${prompt}`);
  console.log(`Classified as: ${r.complexity} (confidence ${r.confidence.toFixed(2)}, by ${r.path})`);
  console.log(`Why: ${r.reasons.slice(1, 3).join('; ')}`);
  console.log(`Tried: ${r.attempts.map((a) => `${a.model} ${a.outcome}${a.error ? ` (${a.error.code})` : ''}`).join(' -> ')}`);
  console.log(`Response${r.mock ? ' [mock]' : ''} from ${r.model_used}: ${r.response}`);
  console.log('-'.repeat(60));
}

console.log('\n=== Full pipeline ===');
const full = await call('process_full_pipeline', { prompt: 'Implement a caching layer for this API with Redis', kv_cache: matrix(150, 32), sink_tokens: 5, slots: 64 });
console.log(`Compressed KV: ${full.compression.original_size} -> ${full.compression.compressed_size} tokens`);
console.log(`Prompt complexity: ${full.routing.complexity}; model: ${full.routing.model_used}${full.routing.mock ? ' (mock: no model reachable)' : ''}`);
console.log(`Response: ${full.response}`);

const status = await call('gateway_status', {});
console.log(`\nGateway ${status.version}: ${status.status}; ${status.analytics.total} prompts routed this session.`);
await client.close();

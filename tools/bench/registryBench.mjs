// npm run bench (registry part): what the registry + provider client path adds per
// call over a bare undici request to the same loopback Ollama-compatible server.
// Both sides send the same /api/generate body and parse the same JSON answer;
// calls alternate between the two so drift in the machine affects both alike.
import { cpus } from 'node:os';
import { request } from 'undici';
import { ModelRegistry } from '@globalmcp/registry';
import { startFakeModelServer } from '@globalmcp/registry/testing';

const CALLS = Number(process.env.BENCH_CALLS ?? 5000);
const WARMUP = 500;

const server = await startFakeModelServer();
const registry = ModelRegistry.fromDocument({ ollamaHost: server.url, models: { phi3: 'ollama://phi3' }, complexity_mapping: { simple: ['phi3'] } });
const prompt = 'Rename the variable x to count in utils.ts';
const url = `${server.url}/api/generate`;
const body = JSON.stringify({ model: 'phi3', prompt, stream: false, options: { num_predict: 512 } });

async function bare() {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = await res.body.json();
  if (typeof answer.response !== 'string') throw new Error('bad answer');
  return answer.response;
}
async function viaRegistry() {
  return (await registry.invoke({ tier: 'simple', prompt })).text;
}
async function viaRegistryStream() {
  let text = '';
  for await (const event of registry.stream({ tier: 'simple', prompt })) if (event.type === 'delta') text += event.text;
  return text;
}
async function bareStream() {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.replace('"stream":false', '"stream":true') });
  let text = '';
  let rest = '';
  for await (const chunk of res.body) {
    rest += chunk.toString();
    let nl;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = JSON.parse(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      text += line.response;
    }
  }
  return text;
}

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

async function compare(label, reference, ours) {
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) sink += (await reference()).length + (await ours()).length;
  const a = [];
  const b = [];
  for (let i = 0; i < CALLS; i++) {
    const first = i % 2 === 0;
    for (const [fn, into] of first ? [[reference, a], [ours, b]] : [[ours, b], [reference, a]]) {
      const start = performance.now();
      sink += (await fn()).length;
      into.push(performance.now() - start);
    }
  }
  if (sink === 0) throw new Error('no work done');
  return { label, ref: stats(a), ours: stats(b) };
}

const rows = [
  await compare('generate, no stream', bare, viaRegistry),
  await compare('generate, NDJSON stream (9 chunks)', bareStream, viaRegistryStream),
];
await server.close();

const f = (ms) => (ms * 1000).toFixed(0).padStart(6);
console.log(`registry + client vs bare undici request, ${CALLS} calls each, loopback fake Ollama`);
console.log(`machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, Node ${process.version}; times in µs`);
console.log('');
console.log('| call | bare undici p50 | registry p50 | added p50 | bare p99 | registry p99 | added p99 | target |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.label} | ${f(r.ref.p50)} | ${f(r.ours.p50)} | ${f(r.ours.p50 - r.ref.p50)} | ${f(r.ref.p99)} | ${f(r.ours.p99)} | ${f(r.ours.p99 - r.ref.p99)} | < 200 added |`);
}

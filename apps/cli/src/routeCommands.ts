import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Classifier, loadRouterConfig } from '@globalmcp/router';
import type { Classification, Decision, RouteResult } from '@globalmcp/router';
import { existsSync } from 'node:fs';
import { contextOf, examples, intOption } from './context.js';
import type { Context } from './context.js';
import { UsageError } from './output.js';
import type { Io } from './output.js';
import { openRouter } from './routerSetup.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}

function evidenceLines(c: Classification | Decision): string[] {
  return c.evidence.map((e) => `  ${e.kind === 'rule' ? 'rule   ' : 'feature'} ${e.id.padEnd(28)} ${e.tier.padEnd(8)} ${e.weight >= 0 ? '+' : ''}${e.weight.toFixed(2)}  ${e.detail}`);
}

function decisionJson(d: Decision | Classification) {
  return { tier: d.tier, confidence: d.confidence, path: d.path, scores: d.scores, evidence: d.evidence, ...('reasons' in d ? { reasons: d.reasons } : {}) };
}

export function registerRouteCommands(program: Command, io: Io): void {
  program
    .command('route')
    .description('classify a prompt, send it to the tier model (with fallbacks) and print the answer')
    .argument('<prompt>', 'the prompt')
    .option('--context <file>', 'a file (or - for stdin) given to the model as context and read by the classifier')
    .option('--dry-run', 'decide and show the model chain without calling a model')
    .option('--stream', 'print the answer as it arrives')
    .option('--max-tokens <n>', 'cap the answer length', intOption('--max-tokens', 1))
    .addHelpText('after', examples('globalmcp route "Rename x to count in utils.ts"', 'git diff | globalmcp route "Review this diff" --context - --stream', 'globalmcp route "Design a queue for billing" --dry-run --json'))
    .action(async (prompt: string, opts: { context?: string; dryRun?: boolean; stream?: boolean; maxTokens?: number }, command: Command) => {
      const ctx = contextOf(command, io);
      if (prompt.trim() === '') throw new UsageError('the prompt is empty');
      if (opts.stream && opts.dryRun) throw new UsageError('--stream and --dry-run exclude each other');
      const context = opts.context === undefined ? undefined : opts.context === '-' ? await readAll(io.stdin) : await readFile(opts.context, 'utf8');
      const router = await openRouter(ctx);
      const options = { dryRun: opts.dryRun === true, ...(opts.maxTokens ? { maxTokens: opts.maxTokens } : {}) };
      let result: RouteResult | undefined;
      if (opts.stream) {
        for await (const event of router.routeStream(prompt, context, options)) {
          if (event.type === 'decision' && !ctx.out.json) ctx.out.note(`${event.decision.tier} (confidence ${event.decision.confidence.toFixed(2)}); trying ${event.chain.join(' -> ')}`);
          if (event.type === 'delta' && !ctx.out.json) io.stdout.write(event.text);
          if (event.type === 'done') result = event.result;
        }
        if (!ctx.out.json) io.stdout.write('\n');
      } else {
        result = await router.route(prompt, context, options);
      }
      if (result === undefined) return;
      const done = result;
      const summary = {
        id: done.id,
        decision: decisionJson(done.decision),
        chain: done.chain,
        response: done.response ? { text: done.response.text, model: done.response.model, mock: done.response.mock, attempts: done.response.attempts } : null,
        timings: done.timings,
      };
      if (ctx.out.json) return ctx.out.result(summary, () => '');
      if (!opts.stream) ctx.out.line(done.response?.text ?? `(dry run) would try: ${done.chain.join(' -> ') || 'no model (mock)'}`);
      ctx.out.note(
        [
          `tier: ${done.decision.tier} (confidence ${done.decision.confidence.toFixed(2)}, decided by ${done.decision.path})`,
          ...(done.response
            ? [`answered by: ${done.response.model}${done.response.mock ? ' (MOCK: no model answered)' : ''}`, ...done.response.attempts.map((a) => `  ${a.model}: ${a.outcome}${a.error ? ` ${a.error.code}: ${a.error.message}` : ''} (${a.durationMs.toFixed(1)} ms)`)]
            : []),
          `id: ${done.id}`,
        ].join('\n'),
      );
    });

  program
    .command('classify')
    .description('classify prompts without calling a model: tier, confidence and evidence (prompts from arguments, or one per stdin line)')
    .argument('[prompts...]', 'prompts; without any, one prompt per line of stdin')
    .addHelpText('after', examples('globalmcp classify "Fix indentation" "Design microservices"', 'cat prompts.txt | globalmcp classify --json'))
    .action(async (prompts: string[], _opts: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const texts = prompts.length > 0 ? prompts : (await readAll(io.stdin)).split(/\r?\n/).filter((l) => l.trim() !== '');
      if (texts.length === 0) throw new UsageError('no prompts: give them as arguments or one per line on stdin');
      const classifier = await classifierOf(ctx);
      const results = texts.map((prompt) => ({ prompt, ...decisionJson(classifier.classify(prompt)) }));
      ctx.out.result(results, () =>
        results
          .map((r) => [`${ctx.out.bold(r.tier.padEnd(8))} ${r.confidence.toFixed(2)}  ${r.prompt.length > 70 ? `${r.prompt.slice(0, 70)}…` : r.prompt}`, ...evidenceLines(r as never)].join('\n'))
          .join('\n'),
      );
    });
}

async function classifierOf(ctx: Context): Promise<Classifier> {
  return new Classifier(existsSync(ctx.routerFile) ? await loadRouterConfig(ctx.routerFile) : undefined);
}

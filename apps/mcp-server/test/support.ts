import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** A config directory whose registry points at a fake model server. */
export async function configFor(modelServerUrl: string | undefined): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'globalmcp-server-'));
  const host = modelServerUrl ?? 'http://127.0.0.1:9';
  await writeFile(
    join(dir, 'model_registry.json'),
    JSON.stringify({
      ollamaHost: host,
      models: { phi3: 'ollama://phi3', mistral: 'ollama://mistral', llama3: 'ollama://llama3', slow: 'ollama://slow' },
      complexity_mapping: { simple: ['phi3'], moderate: ['mistral'], complex: ['llama3'] },
    }),
  );
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly base: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts the built server over HTTP on a free port and waits for its "listening" log line. */
export async function startHttpProcess(args: readonly string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [MAIN, '--http', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  return {
    child,
    url,
    base: url.replace(/\/mcp$/, ''),
    stderr: () => stderr,
    async stop() {
      if (stdout !== '') throw new Error(`the HTTP server wrote to stdout: ${stdout.slice(0, 200)}`);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

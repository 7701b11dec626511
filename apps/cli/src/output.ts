/** Where a command writes: results to stdout, diagnostics and progress to stderr. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Bad arguments or flags: exit code 2, with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export class Output {
  readonly colour: boolean;

  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {
    this.colour = io.stdout.isTTY === true && io.env['NO_COLOR'] === undefined && io.env['TERM'] !== 'dumb';
  }

  /** The command's result: JSON with --json, otherwise the human text. */
  result(value: unknown, human: () => string): void {
    this.io.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
  }

  line(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  bold(text: string): string {
    return this.colour ? `\u001b[1m${text}\u001b[22m` : text;
  }

  /** green / yellow / red by state, on a TTY only. */
  state(text: string, kind: 'ok' | 'warn' | 'fail'): string {
    if (!this.colour) return text;
    const code = kind === 'ok' ? 32 : kind === 'warn' ? 33 : 31;
    return `\u001b[${code}m${text}\u001b[39m`;
  }

  table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
    const widths = headers.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
    const render = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c)))).join('  ');
    return [this.bold(render(headers)), ...rows.map(render)].join('\n');
  }

  /** Label / value lines, labels aligned. */
  pairs(rows: readonly (readonly [string, string])[]): string {
    const width = Math.max(...rows.map(([label]) => label.length));
    return rows.map(([label, value]) => `${this.bold(label.padEnd(width))}  ${value}`).join('\n');
  }

  /** A progress bar on stderr, drawn only when stderr is a terminal. */
  progress(label: string): Progress {
    if (this.io.stderr.isTTY !== true) return { update() {}, done() {} };
    const stderr = this.io.stderr;
    return {
      update(fraction: number, detail = '') {
        const width = 24;
        const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
        stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${detail}\u001b[K`);
      },
      done() {
        stderr.write('\r\u001b[K');
      },
    };
  }
}

export interface Progress {
  update(fraction: number, detail?: string): void;
  done(): void;
}

function visible(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

export function percent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

import type { z } from 'zod';
import type { Gateway } from './gateway.js';

export interface ToolContext {
  readonly gateway: Gateway;
  /** Fires when the client cancels the call (or disconnects). */
  readonly signal: AbortSignal;
  /** Sends `notifications/progress` when the client asked for progress (a no-op otherwise). */
  progress(progress: number, total: number, message: string): Promise<void>;
}

export interface ToolOutcome<O> {
  readonly structured: O;
  /** What a person (or a model reading text only) should see. */
  readonly summary: string;
}

/** One of the gateway's own tools: zod schemas in and out, and the work. */
export interface ToolDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly input: I;
  readonly output: O;
  readonly annotations?: { readonly readOnlyHint?: boolean; readonly destructiveHint?: boolean; readonly idempotentHint?: boolean; readonly openWorldHint?: boolean };
  run(args: z.output<I>, ctx: ToolContext): Promise<ToolOutcome<z.output<O>>>;
}

export function defineTool<I extends z.ZodType, O extends z.ZodType>(tool: ToolDefinition<I, O>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

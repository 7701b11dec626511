import { z } from 'zod';
import { RegistryError } from './registryError.js';
import { TIERS } from './tiers.js';

const ChatMessageSchema = z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

/** A call through the registry: a prompt or a conversation, sent to a tier's models or to models named explicitly. */
export const InvokeRequestSchema = z
  .strictObject({
    /** The tier whose models answer, in order, then its neighbours'. */
    tier: z.enum(TIERS).optional(),
    /** Models to try in order, instead of (or, with `tier`, before) the tier's list. */
    models: z.array(z.string().min(1)).optional(),
    /** Models never to try. */
    exclude: z.array(z.string().min(1)).optional(),
    prompt: z.string().optional(),
    system: z.string().optional(),
    messages: z.array(ChatMessageSchema).min(1).optional(),
    maxTokens: z.number().int().min(1).max(1_000_000).optional(),
    temperature: z.number().min(0).max(2).optional(),
    /** Try the neighbouring tiers after the tier's own models (default true). */
    neighbours: z.boolean().optional(),
    /** Overrides the registry's `fallback` for this call. */
    fallback: z.enum(['mock', 'error']).optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .refine((r) => (r.prompt === undefined) !== (r.messages === undefined), { message: 'give either "prompt" or "messages"', path: ['prompt'] })
  .refine((r) => r.prompt === undefined || r.prompt.trim() !== '', { message: 'must not be empty', path: ['prompt'] })
  .refine((r) => r.tier !== undefined || (r.models !== undefined && r.models.length > 0), { message: 'give a "tier" or a non-empty "models" list', path: ['tier'] });
export type InvokeRequest = z.input<typeof InvokeRequestSchema>;

export function parseInvokeRequest(request: unknown): z.output<typeof InvokeRequestSchema> {
  const parsed = InvokeRequestSchema.safeParse(request);
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'request'}: ${i.message}`).join('; ');
    throw new RegistryError('INVALID_REQUEST', `invalid model request: ${message}`);
  }
  return parsed.data;
}

/**
 * Atlassian Document Format: the JSON tree Jira Cloud's REST API v3 uses for
 * rich text (issue descriptions, comment bodies). Only the shape the fake
 * needs; see https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/.
 */
export interface AdfNode {
  readonly type: string;
  readonly text?: string;
  readonly attrs?: Readonly<Record<string, unknown>>;
  readonly marks?: readonly { readonly type: string; readonly attrs?: Readonly<Record<string, unknown>> }[];
  readonly content?: readonly AdfNode[];
}

export interface AdfDocument extends AdfNode {
  readonly type: 'doc';
  readonly version: 1;
  readonly content: readonly AdfNode[];
}

/** A document of plain paragraphs, one per argument, as Jira stores text typed into the editor. */
export function adfDocument(...paragraphs: readonly string[]): AdfDocument {
  return {
    type: 'doc',
    version: 1,
    content: paragraphs.map((text) => ({ type: 'paragraph', content: [{ type: 'text', text }] })),
  };
}

/** Whether `value` has the outer shape Jira accepts as an ADF document. */
export function isAdfDocument(value: unknown): value is AdfDocument {
  if (typeof value !== 'object' || value === null) return false;
  const node = value as { type?: unknown; version?: unknown; content?: unknown };
  return node.type === 'doc' && node.version === 1 && Array.isArray(node.content);
}

/** The text of a document, block nodes separated by newlines (what text search looks at). */
export function adfToText(node: AdfNode | null | undefined): string {
  if (node === null || node === undefined) return '';
  if (node.type === 'text') return node.text ?? '';
  if (node.type === 'hardBreak') return '\n';
  if (node.type === 'mention') return String(node.attrs?.['text'] ?? '');
  const inner = (node.content ?? []).map(adfToText).join('');
  const isBlock = node.type !== 'doc' && node.content !== undefined && !['text', 'emoji', 'inlineCard'].includes(node.type);
  return isBlock ? `${inner}\n` : inner;
}

// A plain MCP client over Streamable HTTP: one keep-alive connection, one session, JSON-RPC
// by hand. It measures what a server costs without the SDK client's own work (zod parsing,
// SSE priming events, the standalone GET stream).
import { Agent, request } from 'undici';

const ACCEPT = 'application/json, text/event-stream';

export class RawSession {
  /**
   * @param {URL} url the MCP endpoint
   * @param {{ protocolVersion: string, timeoutMs?: number }} options
   */
  constructor(url, { protocolVersion, timeoutMs = 15_000 }) {
    this.url = url;
    this.protocolVersion = protocolVersion;
    this.agent = new Agent({ connections: 1, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs });
    this.sessionId = undefined;
    this.nextId = 1;
  }

  /** initialize + notifications/initialized; returns the initialize result. */
  async open() {
    const init = await this.post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: this.protocolVersion, capabilities: {}, clientInfo: { name: 'globalmcp-federation-bench', version: '1' } },
    });
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return init;
  }

  /** One JSON-RPC request; resolves to its result, rejects with its error. */
  request(method, params) {
    return this.post({ jsonrpc: '2.0', id: this.nextId++, method, params });
  }

  async post(message) {
    const headers = { 'content-type': 'application/json', accept: ACCEPT };
    if (this.sessionId !== undefined) {
      headers['mcp-session-id'] = this.sessionId;
      headers['mcp-protocol-version'] = this.protocolVersion;
    }
    const res = await request(this.url, { method: 'POST', dispatcher: this.agent, headers, body: JSON.stringify(message) });
    const text = await res.body.text();
    if (message.id === undefined) {
      if (res.statusCode >= 300) throw new Error(`${message.method}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
      return undefined;
    }
    if (res.statusCode !== 200) throw new Error(`${message.method}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
    const session = res.headers['mcp-session-id'];
    if (typeof session === 'string') this.sessionId = session;
    const reply = findReply(String(res.headers['content-type'] ?? ''), text, message.id);
    if (reply === undefined) throw new Error(`${message.method}: no reply with id ${message.id} in ${text.slice(0, 200)}`);
    if (reply.error !== undefined) throw new Error(`${message.method}: JSON-RPC error ${reply.error.code} ${reply.error.message}`);
    return reply.result;
  }

  async close() {
    if (this.sessionId !== undefined) {
      try {
        const res = await request(this.url, { method: 'DELETE', dispatcher: this.agent, headers: { 'mcp-session-id': this.sessionId, 'mcp-protocol-version': this.protocolVersion } });
        await res.body.dump();
      } catch {
        // the server may already be gone
      }
    }
    await this.agent.destroy();
  }
}

/** The JSON-RPC reply with this id in a JSON body or an SSE stream (priming events and notifications skipped). */
export function findReply(contentType, text, id) {
  if (contentType.includes('application/json')) {
    const body = JSON.parse(text);
    return (Array.isArray(body) ? body : [body]).find((m) => m.id === id);
  }
  for (const event of text.split(/\r?\n\r?\n/)) {
    let data = '';
    for (const line of event.split(/\r?\n/)) {
      if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
    }
    if (data === '') continue;
    const message = JSON.parse(data);
    if (message.id === id) return message;
  }
  return undefined;
}

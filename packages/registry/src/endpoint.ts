import { RegistryError } from './registryError.js';

export type ProviderKind = 'ollama' | 'openai' | 'http' | 'mock';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

/** What an endpoint string resolves to: which protocol, which server, which model. */
export interface ResolvedEndpoint {
  readonly provider: ProviderKind;
  /** Ollama: `http://host:port`; OpenAI-compatible: the API root (`http://host:port/v1`); HTTP: the URL posted to; mock: `mock://name`. */
  readonly baseUrl: string;
  /** The name the server knows the model by (Ollama `phi3`, `llama3:8b`); for mock, its name; empty for plain HTTP. */
  readonly model: string;
}

/**
 * Ollama's own reading of `OLLAMA_HOST`: `host`, `host:port`, `scheme://host:port`;
 * missing parts default to http, 127.0.0.1 and 11434 (`0.0.0.0`, a bind address, is reached as 127.0.0.1).
 */
export function ollamaBaseUrl(host: string | undefined): string {
  const value = host?.trim();
  if (!value) return DEFAULT_OLLAMA_HOST;
  const explicitScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
  let url: URL;
  try {
    url = new URL(explicitScheme ? value : `http://${value}`);
  } catch (error) {
    throw new RegistryError('INVALID_ENDPOINT', `Ollama host ${JSON.stringify(host)} is not a host, host:port or URL`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RegistryError('INVALID_ENDPOINT', `Ollama host ${JSON.stringify(host)} must use http or https`);
  }
  // As Ollama reads it: no scheme means port 11434; an explicit scheme means that scheme's port.
  const defaultPort = !explicitScheme ? '11434' : url.protocol === 'https:' ? '443' : '80';
  const hostname = url.hostname === '0.0.0.0' || url.hostname === '[::]' ? '127.0.0.1' : url.hostname;
  return `${url.protocol}//${hostname}:${url.port || defaultPort}${url.pathname.replace(/\/+$/, '')}`;
}

const HOST_SEGMENT = /^(localhost|\[[0-9a-f:.]+\]|\d{1,3}(\.\d{1,3}){3}|[A-Za-z0-9.-]+:\d{1,5})(:\d{1,5})?$/i;

/**
 * Parses an endpoint string:
 *
 * - `ollama://model[:tag]` on `ollamaHost`; `ollama://host:port/model[:tag]` on that host
 *   (a first segment counts as a host when it has a port, or is `localhost` or an IP address);
 * - `mock://name`;
 * - `http(s)://...`: the plain JSON endpoint (`{prompt, max_tokens}`), or, with
 *   `provider: "openai"`, the root of an OpenAI-compatible API (`http://127.0.0.1:8080/v1`) serving `model`.
 */
export function resolveEndpoint(endpoint: string, options: { ollamaHost: string; provider?: ProviderKind | undefined; model?: string | undefined }): ResolvedEndpoint {
  const trimmed = endpoint.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new RegistryError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(endpoint)} has no scheme; expected ollama://model, mock://name or an http(s):// URL`);
  }
  const rest = trimmed.slice(scheme.length + 3);
  if (options.provider !== undefined && options.provider !== providerOfScheme(scheme)) {
    if (!(options.provider === 'openai' && (scheme === 'http' || scheme === 'https'))) {
      throw new RegistryError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(endpoint)} cannot be used with provider "${options.provider}"${options.provider === 'openai' ? '; give the API root as an http(s):// URL' : ''}`);
    }
  }
  switch (scheme) {
    case 'ollama': {
      const slash = rest.indexOf('/');
      const first = slash < 0 ? rest : rest.slice(0, slash);
      const hasHost = slash >= 0 && HOST_SEGMENT.test(first);
      const model = (options.model ?? (hasHost ? rest.slice(slash + 1) : rest)).trim();
      if (model === '' || /\s/.test(model)) {
        throw new RegistryError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(endpoint)} names no model; expected ollama://model[:tag] or ollama://host:port/model[:tag]`);
      }
      return { provider: 'ollama', baseUrl: hasHost ? ollamaBaseUrl(first) : options.ollamaHost, model };
    }
    case 'mock': {
      const name = rest.replace(/\/+$/, '');
      if (!/^[\w.-]+$/.test(name)) {
        throw new RegistryError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(endpoint)}: a mock needs a name of letters, digits, "_", "." or "-" (mock://simple)`);
      }
      return { provider: 'mock', baseUrl: `mock://${name}`, model: name };
    }
    case 'http':
    case 'https': {
      let url: URL;
      try {
        url = new URL(trimmed);
      } catch (error) {
        throw new RegistryError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(endpoint)} is not a valid URL`, { cause: error });
      }
      if (options.provider === 'openai') {
        if (!options.model) throw new RegistryError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(endpoint)}: an OpenAI-compatible model needs "model" (the name the server serves)`);
        return { provider: 'openai', baseUrl: url.href.replace(/\/+$/, ''), model: options.model };
      }
      return { provider: 'http', baseUrl: url.href, model: options.model ?? '' };
    }
    default:
      throw new RegistryError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(endpoint)} has unknown scheme "${scheme}"; expected ollama://, mock://, http:// or https://`);
  }
}

function providerOfScheme(scheme: string): ProviderKind | undefined {
  if (scheme === 'ollama' || scheme === 'mock') return scheme;
  if (scheme === 'http' || scheme === 'https') return 'http';
  return undefined;
}

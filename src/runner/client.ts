import axios, { AxiosInstance } from 'axios';
import { KeyfactorApiError, RunnerError } from './errors';
import { SecretResolver } from './secrets';

/** How to reach and authenticate to Keyfactor Command. */
export interface ConnectionSettings {
  /** e.g. https://kf.example.com/KeyfactorAPI */
  readonly baseUrl: string;
  readonly auth: { readonly type: 'basic'; readonly username: string; readonly password: string; readonly domain?: string };
  readonly timeoutMs: number;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Reads the connection settings from the environment, with the names Keyfactor's official
 * Terraform provider uses. Throws one error listing everything that is missing.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv, secrets: SecretResolver): ConnectionSettings {
  const hostname = env.KEYFACTOR_HOSTNAME?.trim();
  const username = env.KEYFACTOR_USERNAME;
  const password = env.KEYFACTOR_PASSWORD;
  secrets.protect(password);
  const missing = [
    !hostname && 'KEYFACTOR_HOSTNAME',
    !username && 'KEYFACTOR_USERNAME',
    !password && 'KEYFACTOR_PASSWORD',
  ].filter(Boolean);
  if (missing.length) {
    throw new RunnerError(
      `Keyfactor connection settings missing: set ${missing.join(', ')} ` +
        '(Basic auth: KEYFACTOR_HOSTNAME, KEYFACTOR_USERNAME, KEYFACTOR_PASSWORD, optional KEYFACTOR_DOMAIN and KEYFACTOR_API_PATH).',
    );
  }
  const apiPath = (env.KEYFACTOR_API_PATH || 'KeyfactorAPI').replace(/^\/+|\/+$/g, '');
  const timeoutSeconds = Number(env.KEYFACTOR_CLIENT_TIMEOUT || 60);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new RunnerError(`KEYFACTOR_CLIENT_TIMEOUT must be a positive number of seconds, got ${JSON.stringify(env.KEYFACTOR_CLIENT_TIMEOUT)}.`);
  }
  return {
    baseUrl: `${originOf(hostname!)}/${apiPath}`,
    auth: { type: 'basic', username: username!, password: password!, domain: env.KEYFACTOR_DOMAIN || undefined },
    timeoutMs: timeoutSeconds * 1000,
  };
}

/** `host`, `host:port` or `https://host` -> https origin; `http://` only to loopback. */
function originOf(hostname: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(hostname) ? hostname : `https://${hostname}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new RunnerError(`KEYFACTOR_HOSTNAME ${JSON.stringify(hostname)} is not a host name or URL.`);
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw new RunnerError(
      `KEYFACTOR_HOSTNAME ${JSON.stringify(hostname)} asks for plain HTTP to a non-loopback host; credentials would travel unencrypted. Use https://.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RunnerError(`KEYFACTOR_HOSTNAME ${JSON.stringify(hostname)} must use https:// (or http:// to loopback).`);
  }
  return url.origin;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Record<string, string | number | boolean | undefined>;
}

/** A Keyfactor Command API response. */
export interface ApiResponse<T> {
  readonly status: number;
  readonly data: T;
  readonly headers: Record<string, string>;
}

/**
 * Thin Keyfactor Command client. Every request carries the headers Command requires; every
 * failure becomes a KeyfactorApiError whose message holds Keyfactor's `{ErrorCode, Message}`
 * (or a description of what came back) and never a request header, body or credential.
 */
export class KeyfactorClient {
  private readonly http: AxiosInstance;

  constructor(private readonly settings: ConnectionSettings, private readonly secrets: SecretResolver) {
    const { username, password, domain } = settings.auth;
    const user = domain ? `${domain}\\${username}` : username;
    this.http = axios.create({
      baseURL: settings.baseUrl,
      timeout: settings.timeoutMs,
      headers: {
        'Authorization': `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
        'x-keyfactor-requested-with': 'APIClient',
        'x-keyfactor-api-version': '1',
        'Content-Type': 'application/json',
        'Accept': 'application/json',
      },
      validateStatus: () => true, // every status is handled below, so axios never throws with our headers attached
      transitional: { clarifyTimeoutError: true },
      maxRedirects: 0,
    });
    this.secrets.protect(Buffer.from(`${user}:${password}`).toString('base64'));
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const what = `${method} ${path}`;
    let res;
    try {
      res = await this.http.request({ method, url: path, data: options.body, params: options.query, responseType: 'text', transformResponse: (x) => x });
    } catch (e) {
      throw new KeyfactorApiError(this.secrets.redact(`${what} to ${this.settings.baseUrl} failed: ${networkReason(e)}`));
    }
    const text = typeof res.data === 'string' ? res.data : '';
    if (res.status >= 200 && res.status < 300) {
      let data: unknown = undefined;
      if (text.trim() !== '') {
        try {
          data = JSON.parse(text);
        } catch {
          throw new KeyfactorApiError(`${what}: HTTP ${res.status} but the body is not JSON: ${this.snippet(text)}`, res.status);
        }
      }
      return { status: res.status, data: data as T, headers: flatHeaders(res.headers) };
    }
    throw this.httpError(what, res.status, text);
  }

  private httpError(what: string, status: number, text: string): KeyfactorApiError {
    let body: { ErrorCode?: unknown; Message?: unknown } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const hint = status === 401 ? ' (check KEYFACTOR_USERNAME, KEYFACTOR_PASSWORD and KEYFACTOR_DOMAIN)' :
      status === 403 ? ' (the account lacks the Command permission this call needs)' : '';
    if (body && typeof body === 'object' && (body.Message !== undefined || body.ErrorCode !== undefined)) {
      const code = body.ErrorCode !== undefined ? String(body.ErrorCode) : undefined;
      return new KeyfactorApiError(
        this.secrets.redact(`${what}: HTTP ${status}${hint}: Keyfactor error ${code ?? '(no code)'}: ${String(body.Message ?? '')}`),
        status,
        code,
      );
    }
    const described = text.trim() === '' ? 'empty body' : /<html|<!doctype/i.test(text) ? `an HTML page: ${this.snippet(text.replace(/<[^>]+>/g, ' '))}` : this.snippet(text);
    return new KeyfactorApiError(`${what}: HTTP ${status}${hint}: ${described}`, status);
  }

  private snippet(text: string): string {
    const flat = text.replace(/\s+/g, ' ').trim();
    return this.secrets.redact(flat.length > 300 ? flat.slice(0, 300) + '…' : flat);
  }
}

function networkReason(e: unknown): string {
  const err = e as { code?: string; message?: string };
  // axios/node messages name the address and the cause, never headers.
  return [err.code, err.message].filter(Boolean).join(': ') || 'unknown network error';
}

function flatHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((h ?? {}) as Record<string, unknown>)) out[k.toLowerCase()] = String(v);
  return out;
}

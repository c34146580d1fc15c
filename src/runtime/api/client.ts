import type * as http from 'http';
import { Authenticator } from './auth';
import { exchange, HttpResponse, noAnswer } from './http';
import { Attempt, parseRetryAfter, withRetries } from './retry';
import { agentFor, describeTlsError, skipVerifyWarning } from './tls';
import { KeyfactorApiError } from '../errors';
import { printable } from '../printable';
import type { SecretResolver } from '../secrets';
import { ConnectionSettings, ENV } from '../settings';

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

export interface ClientOptions {
  /** Retry lines; default stderr. */
  readonly log?: (line: string) => void;
  /** The KEYFACTOR_SKIP_VERIFY warning; default stderr. */
  readonly warn?: (line: string) => void;
}

/**
 * A POST that was sent but whose outcome is unknown (timeout or reset after sending, a gateway's
 * 502/504, or a 2xx whose body could not be read). Never re-sent by the client: the operation
 * checks what exists before deciding.
 */
export class AmbiguousRequestError extends KeyfactorApiError {
  constructor(readonly method: string, readonly path: string, readonly sentAt: Date, readonly reason: string, status?: number) {
    super(`${method} ${path}: ${reason}, after the request was sent at ${sentAt.toISOString()}: Keyfactor Command may or may not have acted on it.`, status);
    this.name = 'AmbiguousRequestError';
  }
}

/** Statuses a load balancer or Command sends when it is busy or unreachable. */
const TRANSIENT = new Set([429, 502, 503, 504]);
/** How long a refused connection is retried: long enough for a restarting server, short for a wrong address. */
const REFUSED_BUDGET_MS = 5000;

/**
 * Whether a 429/503 is a refusal, sent before the application saw the request, so that even a
 * POST may go again: 429 (rate limiting happens in front of the work), and 503 from http.sys
 * (the application pool is down) or with Retry-After (a server shedding load). Any other 503
 * may come from a gateway after Command got the request, and is treated like a 502/504.
 */
function isRefusal(res: HttpResponse): boolean {
  if (res.status === 429) return true;
  return res.status === 503 && (res.headers['retry-after'] !== undefined || /^Microsoft-HTTPAPI\//i.test(res.headers.server ?? ''));
}

/**
 * Keyfactor Command client. Every request carries the headers Command requires; every failure
 * becomes a KeyfactorApiError whose message holds Keyfactor's `{ErrorCode, Message}` (or a
 * description of what came back) and never a request header, body or credential.
 *
 * Retries: GET, PUT and DELETE on connection errors, timeouts, 429, 502, 503 and 504; POST only
 * when Command cannot have acted (no connection, 429, a 503 refusal: see isRefusal). Other POST
 * failures without a usable answer throw AmbiguousRequestError.
 */
export class KeyfactorClient {
  private readonly agent: http.Agent;
  private readonly auth: Authenticator;
  private readonly log: (line: string) => void;

  constructor(private readonly settings: ConnectionSettings, private readonly secrets: SecretResolver, options: ClientOptions = {}) {
    const stderr = (line: string) => process.stderr.write(`${secrets.redact(`cdktf-keyfactor: ${line}`)}\n`);
    this.log = options.log ?? stderr;
    this.agent = agentFor(settings.baseUrl, settings);
    const tokenAgent = settings.auth.type === 'oauth' ? agentFor(settings.auth.tokenUrl, settings, settings.tls.authCaPem) : this.agent;
    const net = { agent: tokenAgent, timeoutMs: settings.timeoutMs, policy: settings.retry, log: this.log };
    this.auth = new Authenticator(settings.auth, secrets, net);
    if (settings.tls.skipVerify) (options.warn ?? stderr)(skipVerifyWarning());
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const what = `${method} ${path}`;
    const idempotent = method !== 'POST';
    let refreshed = false;
    return withRetries(what, this.settings.retry, this.log, async (): Promise<Attempt<ApiResponse<T>>> => {
      const authorization = await this.auth.header();
      const sentAt = new Date();
      const r = await exchange({
        method,
        url: this.settings.baseUrl + path,
        headers: {
          'Authorization': authorization,
          'x-keyfactor-requested-with': 'APIClient',
          'x-keyfactor-api-version': '1',
          'Content-Type': 'application/json',
          'Accept': 'application/json',
        },
        data: options.body,
        params: options.query,
        timeoutMs: this.settings.timeoutMs,
        agent: this.agent,
      });
      if (!('response' in r)) {
        if (r.tooLarge) {
          // Command answered (so a POST was processed); asking again would bring the same flood.
          const { reason } = noAnswer(r, this.settings.timeoutMs);
          if (idempotent) throw new KeyfactorApiError(`${what}: ${reason}; not retried.`);
          throw new AmbiguousRequestError(method, path, sentAt, reason);
        }
        if (r.proxyFailed) {
          // The proxy's failure, not Command's: Command never saw the request, so even a POST may go again.
          const { reason, retry } = noAnswer(r, this.settings.timeoutMs);
          const error = new KeyfactorApiError(this.secrets.redact(`${what} failed: ${reason}`));
          if (r.proxyFailed.final) throw error;
          return { retry, error };
        }
        const host = new URL(this.settings.baseUrl).host;
        const tls = describeTlsError(r.error, host);
        if (tls) throw new KeyfactorApiError(this.secrets.redact(`${what} failed: ${tls}`));
        if (r.error.code === 'ENOTFOUND') throw new KeyfactorApiError(`${what} failed: host name ${host} not found (ENOTFOUND): check ${ENV.hostname}.`);
        if (r.error.code === 'ECONNREFUSED') {
          // Nothing listens there: a restarting Command is back within seconds, a wrong host or port never is.
          return {
            retry: 'ECONNREFUSED',
            error: new KeyfactorApiError(`${what} failed: ${host} refused the connection (ECONNREFUSED): check ${ENV.hostname} (host and port) and that Command is running.`),
            budget: { ms: REFUSED_BUDGET_MS, why: `a refused connection is retried for ${REFUSED_BUDGET_MS / 1000} s` },
          };
        }
        const { reason, retry } = noAnswer(r, this.settings.timeoutMs);
        // Not connected: Command never saw it, so even a POST may go again.
        if (!r.sent || idempotent) {
          return { retry, error: new KeyfactorApiError(this.secrets.redact(`${what} to ${this.settings.baseUrl} failed: ${reason}`)) };
        }
        throw new AmbiguousRequestError(method, path, sentAt, this.secrets.redact(reason));
      }
      const res = r.response;
      if (res.status === 401 && !refreshed && await this.auth.refresh(authorization)) {
        refreshed = true;
        return { retry: 'HTTP 401 with a new access token', immediate: true, error: this.httpError(what, res) };
      }
      if (TRANSIENT.has(res.status)) {
        if (idempotent || isRefusal(res)) {
          return { retry: `HTTP ${res.status}`, retryAfterMs: parseRetryAfter(res.headers['retry-after']), error: this.httpError(what, res) };
        }
        throw new AmbiguousRequestError(method, path, sentAt, `HTTP ${res.status} from a gateway (${this.describeBody(res.text)})`, res.status);
      }
      // Node hands interim 1xx answers to events, never as the response: below 300 is success.
      if (res.status >= 300) throw this.httpError(what, res);
      let data: unknown = undefined;
      if (res.text.trim() !== '') {
        try {
          data = JSON.parse(res.text);
        } catch {
          const reason = `HTTP ${res.status} but the body is not JSON: ${this.snippet(res.text)}`;
          if (!idempotent) throw new AmbiguousRequestError(method, path, sentAt, `${reason} (Command accepted the request, but its answer cannot be read)`, res.status);
          throw new KeyfactorApiError(`${what}: ${reason}`, res.status);
        }
      }
      return { done: { status: res.status, data: data as T, headers: res.headers } };
    });
  }

  private httpError(what: string, res: HttpResponse): KeyfactorApiError {
    let body: { ErrorCode?: unknown; Message?: unknown } | undefined;
    try {
      body = JSON.parse(res.text);
    } catch {
      // not JSON: described below
    }
    const hint = res.status === 401 ? ` (${this.auth.hint401()})` :
      res.status === 403 ? ' (the account lacks the Command permission this call needs)' : '';
    if (body && (body.Message !== undefined || body.ErrorCode !== undefined)) {
      const code = body.ErrorCode !== undefined && body.ErrorCode !== null ? String(body.ErrorCode) : undefined;
      return new KeyfactorApiError(
        this.secrets.redact(`${what}: HTTP ${res.status}${hint}: Keyfactor error ${code ?? '(no code)'}: ${this.snippet(String(body.Message ?? ''))}`),
        res.status,
        code,
      );
    }
    return new KeyfactorApiError(`${what}: HTTP ${res.status}${hint}: ${this.describeBody(res.text)}`, res.status);
  }

  private describeBody(text: string): string {
    if (text.trim() === '') return 'empty body';
    if (!/<html|<!doctype/i.test(text)) return this.snippet(text);
    // Redacted before the tags go: stripping could split an echoed value in two.
    const visible = this.secrets.redact(text).replace(/<(style|script)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' ');
    return `an HTML page, not Command's JSON (a proxy or IIS error page?): ${this.snippet(visible)}`;
  }

  /**
   * Redacts the whole text before collapsing and cutting it, so a secret straddling the cut shows
   * no prefix; again after, for a value the collapsing itself brought together.
   */
  private snippet(text: string): string {
    const flat = this.secrets.redact(text).replace(/\s+/g, ' ').trim();
    return this.secrets.redact(printable(flat.length > 300 ? flat.slice(0, 300) + '…' : flat));
  }
}

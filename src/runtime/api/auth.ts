/**
 * The Authorization header: Basic, a ready access token, or OAuth client-credentials tokens that
 * are fetched, cached and renewed. Which mode applies is decided in settings.ts.
 */
import type * as http from 'http';
import { exchange, HttpResponse, noAnswer } from './http';
import { Attempt, parseRetryAfter, withRetries } from './retry';
import { describeTlsError } from './tls';
import { TokenCache } from './token-cache';
import { RunnerError } from '../errors';
import type { SecretResolver } from '../secrets';
import { AuthSettings, ENV, RetryPolicy } from '../settings';

/** How the token endpoint is reached. */
export interface TokenTransport {
  readonly agent: http.Agent;
  readonly timeoutMs: number;
  readonly policy: RetryPolicy;
  readonly log: (line: string) => void;
}

/** Produces the Authorization header; fetches, caches and renews OAuth access tokens. */
export class Authenticator {
  private token?: { readonly value: string; readonly renewAt: number };
  private pending?: Promise<string>;
  /** client_secret_basic first (RFC 6749 §2.3.1), then the form fields, as Go's oauth2 AutoDetect does. */
  private clientAuth: 'header' | 'form' | undefined;

  private readonly cache?: TokenCache;

  constructor(readonly settings: AuthSettings, private readonly secrets: SecretResolver, private readonly net?: TokenTransport) {
    if (settings.type === 'oauth' && settings.tokenCache) {
      const opened = TokenCache.open(settings.tokenCache);
      this.cache = opened.cache;
      if (opened.problem) net?.log(`WARNING: OAuth token cache not used (${opened.problem}); this process asks for its own token`);
    }
    if (settings.type === 'basic') {
      const user = settings.domain ? `${settings.domain}\\${settings.username}` : settings.username;
      this.secrets.protect(Buffer.from(`${user}:${settings.password}`).toString('base64'));
    } else if (settings.type === 'oauth') {
      this.secrets.protect(settings.clientSecret);
      this.secrets.protect(clientHeader(settings.clientId, settings.clientSecret));
    }
  }

  /** The Authorization header value for the next request. */
  async header(): Promise<string> {
    const s = this.settings;
    if (s.type === 'basic') {
      const user = s.domain ? `${s.domain}\\${s.username}` : s.username;
      return `Basic ${Buffer.from(`${user}:${s.password}`).toString('base64')}`;
    }
    if (s.type === 'token') return `Bearer ${s.accessToken}`;
    if (this.token && Date.now() < this.token.renewAt) return `Bearer ${this.token.value}`;
    return `Bearer ${await this.fetchOnce()}`;
  }

  /** After a 401: drops the token `used` and gets a new one. False when no new credential can be had. */
  async refresh(usedHeader: string): Promise<boolean> {
    if (this.settings.type !== 'oauth') return false;
    if (this.token && `Bearer ${this.token.value}` === usedHeader) {
      // Refused: no other process may take it from the cache either.
      this.cache?.remove(this.settings, this.token.value);
      this.token = undefined;
    }
    await this.header();
    return true;
  }

  /** What to check after a 401. */
  hint401(): string {
    switch (this.settings.type) {
      case 'basic': return `check ${ENV.username}, ${ENV.password} and ${ENV.domain}`;
      case 'token': return `${ENV.accessToken} was refused: it may have expired; supply a new one, or use client credentials so the runner gets its own`;
      case 'oauth': return `a new access token from ${ENV.tokenUrl} was refused too: check that Command accepts tokens from that identity provider, and ${ENV.scopes} / ${ENV.audience}`;
    }
  }

  private fetchOnce(): Promise<string> {
    this.pending ??= this.fetchShared().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** From the cache shared with the apply's other runner processes when there is one, else from the endpoint. */
  private async fetchShared(): Promise<string> {
    const s = this.settings;
    if (!this.cache || s.type !== 'oauth') return (await this.fetchToken()).value;
    const token = await this.cache.shared(s, () => this.fetchToken(), this.net?.timeoutMs ?? 30_000);
    this.secrets.protect(token.value);
    this.token = token;
    return token.value;
  }

  /** A new token from the token endpoint; without an expiry, renewed after 5 minutes (and never shared past that). */
  private async fetchToken(): Promise<{ value: string; renewAt: number }> {
    const s = this.settings;
    if (s.type !== 'oauth' || !this.net) throw new RunnerError('internal: no token endpoint configured');
    let response: HttpResponse;
    if (this.clientAuth) {
      response = await this.post(s, this.clientAuth);
    } else {
      response = await this.post(s, 'header');
      this.clientAuth = 'header';
      if (response.status === 401 || (response.status === 400 && oauthError(response.text).error === 'invalid_client')) {
        response = await this.post(s, 'form');
        this.clientAuth = 'form';
      }
    }
    if (response.status !== 200) throw new RunnerError(this.secrets.redact(tokenFailure(s.tokenUrl, response, this.secrets)));
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(response.text);
    } catch {
      throw new RunnerError(this.secrets.redact(`OAuth token request to ${s.tokenUrl}: HTTP 200 but the body is not JSON: ${snippet(response.text, this.secrets)}`));
    }
    if (typeof body?.access_token !== 'string' || body.access_token === '') {
      throw new RunnerError(`OAuth token request to ${s.tokenUrl}: HTTP 200 but the answer has no access_token.`);
    }
    this.secrets.protect(body.access_token);
    const lifetime = Number(body.expires_in);
    // Renew a little before expiry: 10% of the lifetime, at most 30 s.
    const renewAt = Number.isFinite(lifetime) && lifetime > 0
      ? Date.now() + lifetime * 1000 - Math.min(30_000, lifetime * 100)
      : Date.now() + 300_000;
    this.token = { value: body.access_token, renewAt };
    return this.token;
  }

  /** One token request, retried like an idempotent one (a spare token does no harm). */
  private post(s: Extract<AuthSettings, { type: 'oauth' }>, style: 'header' | 'form'): Promise<HttpResponse> {
    const net = this.net!;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (s.scopes.length) form.set('scope', s.scopes.join(' '));
    if (s.audience) form.set('audience', s.audience);
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'application/json' };
    if (style === 'header') {
      headers.Authorization = `Basic ${clientHeader(s.clientId, s.clientSecret)}`;
    } else {
      form.set('client_id', s.clientId);
      form.set('client_secret', s.clientSecret);
    }
    const what = `POST ${s.tokenUrl}`;
    return withRetries(what, net.policy, net.log, async (): Promise<Attempt<HttpResponse>> => {
      const r = await exchange({ method: 'POST', url: s.tokenUrl, headers, data: form.toString(), timeoutMs: net.timeoutMs, agent: net.agent });
      if ('response' in r) {
        const status = r.response.status;
        if (status === 429 || status === 502 || status === 503 || status === 504) {
          return { retry: `HTTP ${status}`, retryAfterMs: parseRetryAfter(r.response.headers['retry-after']), error: new RunnerError(this.secrets.redact(tokenFailure(s.tokenUrl, r.response, this.secrets))) };
        }
        return { done: r.response };
      }
      const host = new URL(s.tokenUrl).host;
      const tls = describeTlsError(r.error, host, `${ENV.authCaCert} (or ${ENV.caCert})`);
      const { reason, retry } = noAnswer(r, net.timeoutMs);
      const error = new RunnerError(this.secrets.redact(`OAuth token request to ${s.tokenUrl} failed: ${tls ?? reason}`));
      if (tls || r.error.code === 'ENOTFOUND') throw error;
      return { retry, error };
    });
  }
}

function clientHeader(id: string, secret: string): string {
  return Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
}

function oauthError(text: string): { error?: string; error_description?: string } {
  try {
    const body = JSON.parse(text);
    return body && typeof body === 'object' ? body : {};
  } catch {
    return {};
  }
}

function tokenFailure(tokenUrl: string, res: HttpResponse, secrets: SecretResolver): string {
  const { error, error_description: description } = oauthError(res.text);
  const fix = error === 'invalid_client' || res.status === 401 ? `check ${ENV.clientId} and ${ENV.clientSecret}`
    : error === 'invalid_scope' ? `check ${ENV.scopes}`
      : error === 'invalid_target' ? `check ${ENV.audience}`
        : res.status === 404 ? `check ${ENV.tokenUrl}` : undefined;
  const said = error ? `${error}${description ? `: ${description}` : ''}` : snippet(res.text, secrets) || 'empty body';
  return `OAuth token request to ${tokenUrl} failed: HTTP ${res.status}: ${said}${fix ? ` (${fix})` : ''}`;
}

/** Redacted whole before tags are stripped and the text is cut, so a cut secret shows no prefix. */
function snippet(text: string, secrets: SecretResolver): string {
  const flat = secrets.redact(text).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  return secrets.redact(flat.length > 200 ? `${flat.slice(0, 200)}…` : flat);
}

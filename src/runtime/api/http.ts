/**
 * One HTTP exchange, no retries: the response (any status), or the error together with whether
 * the request may have reached the server (the connection, and TLS, had been established).
 */
import * as http from 'http';
import * as https from 'https';
import type { Socket } from 'net';
import axios from 'axios';
import { ProxyError } from './tls';
import { ENV } from '../settings';

/** The most of one answer the client reads, counted after decompression (a gzip bomb stops here). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly data?: unknown;
  readonly params?: Record<string, string | number | boolean | undefined>;
  readonly timeoutMs: number;
  readonly agent: http.Agent | https.Agent;
}

export interface HttpResponse {
  readonly status: number;
  readonly text: string;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
}

/** An exchange that got no answer. */
export interface HttpFailure {
  readonly error: { code?: string; message?: string };
  readonly sent: boolean;
  readonly timedOut: boolean;
  /** The answer passed MAX_RESPONSE_BYTES and was dropped unread: the request had reached the server. */
  readonly tooLarge?: boolean;
  /** The proxy failed (its own CONNECT answer, or unreachable): the request never reached the server. */
  readonly proxyFailed?: { readonly status?: number; readonly final: boolean };
}

export type HttpResult = { readonly response: HttpResponse } | HttpFailure;

/** Why there was no answer: `reason` for the error message, `retry` for the retry log line. */
export function noAnswer(r: HttpFailure, timeoutMs: number): { reason: string; retry: string } {
  if (r.tooLarge) return { reason: `the answer is larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB (decompressed), the most the client reads`, retry: 'an oversized answer' };
  // The message names the proxy (without credentials) and says Command was not reached.
  if (r.proxyFailed) return { reason: r.error.message ?? 'the proxy failed', retry: 'a proxy failure' };
  if (r.timedOut) return { reason: `no answer within ${timeoutMs / 1000}s (${ENV.clientTimeout})`, retry: 'a timeout' };
  // Node's network errors carry a code and a message; the fallbacks keep a message readable if one does not.
  return { reason: [r.error.code, r.error.message].filter(Boolean).join(': ') || 'unknown network error', retry: r.error.code ?? 'a network error' };
}

export async function exchange(req: HttpRequest): Promise<HttpResult> {
  let sent = false;
  let timedOut = false;
  const controller = new AbortController();
  // The whole exchange, like Go's http.Client.Timeout in Keyfactor's clients.
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const isHttps = req.url.startsWith('https:');
  try {
    const res = await axios.request({
      method: req.method,
      url: req.url,
      headers: req.headers,
      data: req.data,
      params: req.params,
      responseType: 'text',
      transformResponse: (x: unknown) => x,
      validateStatus: () => true, // every status is handled by the caller, so axios never throws with our headers attached
      maxRedirects: 0,
      // Counted after decompression; axios destroys the stream when it is passed.
      maxContentLength: MAX_RESPONSE_BYTES,
      // Never axios's own reading of HTTP(S)_PROXY: agentFor (tls.ts) decides, with CONNECT for https.
      proxy: false,
      signal: controller.signal,
      httpAgent: isHttps ? undefined : req.agent,
      httpsAgent: isHttps ? req.agent : undefined,
      transport: trackingTransport(isHttps, () => (sent = true)),
    } as Parameters<typeof axios.request>[0]);
    return { response: { status: res.status, text: res.data as string, headers: flatHeaders(res.headers) } };
  } catch (e) {
    const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    // axios wraps node's error; the node error holds the precise code (e.g. a TLS verification code).
    const error = err.cause?.code ? err.cause : err;
    if (error instanceof ProxyError) {
      const proxyFailed = { status: error.status, final: error.final };
      return { error: { code: error.code, message: error.message }, sent: false, timedOut, proxyFailed };
    }
    if (!timedOut && err.code === 'ERR_BAD_RESPONSE' && /^maxContentLength size of \d+ exceeded$/.test(err.message ?? '')) {
      return { error: { code: err.code, message: err.message }, sent: true, timedOut, tooLarge: true };
    }
    return { error: { code: error.code, message: error.message }, sent, timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/** node's http(s).request, noting when the connection is up (after the TLS handshake for https). */
function trackingTransport(isHttps: boolean, onSent: () => void) {
  const mod = isHttps ? https : http;
  return {
    request(options: http.RequestOptions, callback: (res: http.IncomingMessage) => void): http.ClientRequest {
      const request = mod.request(options, callback);
      request.once('socket', (socket: Socket) => {
        if (!socket.connecting && (!isHttps || (socket as unknown as { _secureEstablished?: boolean })._secureEstablished !== false)) onSent();
        else socket.once(isHttps ? 'secureConnect' : 'connect', onSent);
      });
      return request;
    },
  };
}

function flatHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((h ?? {}) as Record<string, unknown>)) out[k.toLowerCase()] = String(v);
  return out;
}

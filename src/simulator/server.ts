/**
 * The request pipeline: record -> fault decision -> token endpoint or
 * (base path -> auth -> required headers -> api version -> route). Nothing
 * here writes to stdout/stderr: requests carry secrets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_PREFIX, adminRequest } from './admin';
import { authorize } from './auth';
import { faultReply, TextReply, truncatedJson } from './fault-replies';
import type { FaultInjector, FaultKind } from './faults';
import { ApiError, badRequest, errorReply, ErrorCode, notFound, QueryParams, Reply } from './http';
import { settleJobs } from './jobs';
import { issueToken } from './oauth';
import { findRoute } from './routes';
import type { SimulatorState } from './state';
import type { JobOrigin, RecordedRequest } from './types';
import type { RawBody } from './validation';

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const REQUESTED_WITH = ['apiclient', 'xmlhttprequest'];

export interface ServerConfig {
  state: SimulatorState;
  apiPath: string;
  requests: RecordedRequest[];
  faults: FaultInjector;
  /** Path of the OAuth 2 token endpoint, outside the api base. */
  tokenPath: string;
  tokenLifetimeSeconds: number;
}

/** Faults that answer (or hang up) without the request being processed. */
const UNPROCESSED: FaultKind[] = ['status503', 'status429', 'status502', 'status504', 'resetBeforeProcessing', 'htmlError'];

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** JSON bodies parsed, form bodies as an object, anything else as text. */
function recordedBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  if (/^\s*application\/x-www-form-urlencoded/i.test(contentType ?? '')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The path after `/{apiPath}` (case-insensitive, like IIS), or null when outside it. */
export function relativePath(pathname: string, apiPath: string): string | null {
  const base = `/${apiPath.replace(/^\/+|\/+$/g, '')}`.toLowerCase();
  const lower = pathname.toLowerCase();
  if (lower === base) return '/';
  if (!lower.startsWith(`${base}/`)) return null;
  return pathname.slice(base.length);
}

function isTokenPath(pathname: string, tokenPath: string): boolean {
  const normalize = (path: string) => `/${path.replace(/^\/+|\/+$/g, '')}`.toLowerCase();
  return normalize(pathname) === normalize(tokenPath);
}

function checkHeaders(req: IncomingMessage): void {
  const requestedWith = firstHeader(req.headers['x-keyfactor-requested-with']);
  if (!requestedWith || !REQUESTED_WITH.includes(requestedWith.trim().toLowerCase())) {
    throw badRequest('The x-keyfactor-requested-with header is required and must be APIClient or XMLHttpRequest.'); // [INFER] wording
  }
  const version = firstHeader(req.headers['x-keyfactor-api-version'])?.trim();
  if (version === undefined || version === '' || version === '1' || version === '1.0') return;
  // Every route here is v1-only; asking for another version is refused. // [INFER]
  throw new ApiError(400, ErrorCode.invalidArgument,
    `The requested API version '${version}' is not supported for this resource (x-keyfactor-api-version); supported: 1.0.`);
}

function dispatch(config: ServerConfig, req: IncomingMessage, url: URL, body: RawBody, now: number, origin: JobOrigin): Reply {
  const method = req.method ?? 'GET';
  if (isTokenPath(url.pathname, config.tokenPath)) {
    const request = { method, authorization: firstHeader(req.headers.authorization), body, now };
    return issueToken(config.state, request, config.tokenLifetimeSeconds);
  }
  if (url.pathname.toLowerCase().startsWith(ADMIN_PREFIX)) {
    const reply = adminRequest(config.state, method, url.pathname, now);
    if (reply) return reply;
  }
  const relative = relativePath(url.pathname, config.apiPath);
  if (relative === null) throw notFound(`No resource found at '${url.pathname}'.`); // [INFER]
  const auth = authorize(firstHeader(req.headers.authorization), config.state, now);
  if (auth === 'read-only' && req.method !== 'GET') {
    return { status: 403 }; // the spec declares 403 without a body
  }
  if (auth !== 'ok' && auth !== 'read-only') {
    // Command sends no JSON body with 401; an expired token is named the way ASP.NET's JwtBearer does. // [INFER] header
    const challenge = auth === 'expired'
      ? 'Bearer error="invalid_token", error_description="The token expired"'
      : 'Basic realm="Keyfactor", Bearer';
    return { status: 401, headers: { 'www-authenticate': challenge } };
  }
  checkHeaders(req);
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    throw badRequest('The request path is not valid.');
  }
  const match = findRoute(method, decoded);
  if (match.kind === 'none') throw notFound(`No API resource matches '${method} ${url.pathname}'.`); // [INFER] wording
  if (match.kind === 'wrong-method') {
    throw new ApiError(405, ErrorCode.notSupported, `The requested resource does not support http method '${method}'.`); // [INFER]
  }
  settleJobs(config.state, now);
  const query = new QueryParams(url.searchParams);
  return match.route.handler({ state: config.state, params: match.params, query, body, now, origin });
}

/** Dispatch with errors turned into Command's error body. */
function processRequest(config: ServerConfig, req: IncomingMessage, url: URL, body: RawBody, now: number, origin: JobOrigin): Reply {
  try {
    return dispatch(config, req, url, body, now, origin);
  } catch (err) {
    return err instanceof ApiError
      ? errorReply(err)
      : errorReply(new ApiError(500, ErrorCode.internal, `Simulator error: ${(err as Error).message}`));
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.body === undefined) {
    res.setHeader('content-length', '0');
    res.writeHead(reply.status).end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(reply.body), 'utf8');
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', String(payload.length));
  res.writeHead(reply.status).end(payload);
}

function sendText(res: ServerResponse, reply: TextReply): void {
  if (res.destroyed) return;
  const payload = Buffer.from(reply.text, 'utf8');
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  res.setHeader('content-length', String(payload.length));
  res.writeHead(reply.status).end(payload);
}

/** Waits without keeping the process alive (a stopped simulator must not linger). */
function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms).unref()) : Promise.resolve();
}

async function handle(config: ServerConfig, req: IncomingMessage, res: ServerResponse, requestId: number): Promise<void> {
  const received = new Date();
  const url = new URL(req.url ?? '/', 'http://simulator.invalid');
  const record: RecordedRequest = {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    rawQuery: url.search.replace(/^\?/, ''),
    headers: { ...req.headers },
    body: undefined,
    status: 0,
    at: received.toISOString(),
  };
  config.requests.push(record);
  const decision = config.faults.decide(record.method, url.pathname);
  if (decision.recorded) record.fault = decision.recorded;
  const hangUp = () => {
    record.status = 0;
    res.destroy();
  };

  let text: string | null;
  try {
    text = await readBody(req);
  } catch {
    record.status = 400;
    res.destroy();
    return;
  }
  const contentType = firstHeader(req.headers['content-type']);
  if (text !== null) record.body = recordedBody(text, contentType);

  const kind = decision.rule?.kind;
  if (kind && UNPROCESSED.includes(kind)) {
    await delay(decision.latencyMs);
    if (kind === 'resetBeforeProcessing') return hangUp();
    const reply = faultReply(decision.rule!);
    record.status = reply.status;
    return sendText(res, reply);
  }

  const reply = text === null
    ? errorReply(new ApiError(413, ErrorCode.tooLarge, 'The request body is too large.'))
    : processRequest(config, req, url, { text, contentType }, received.getTime(), { requestId, body: text });
  // Latency delays the response, not the processing: a client that gives up has still acted.
  await delay(decision.latencyMs);
  if (kind === 'resetAfterProcessing') return hangUp();
  if (kind === 'holdAfterProcessing') {
    record.held = true;
    const holdMs = decision.rule!.holdMs;
    if (holdMs === undefined) return; // never answered: the connection stays open until either side closes it
    await delay(holdMs);
  }
  if (kind === 'unexpectedBody') {
    record.status = 200;
    return sendText(res, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, text: JSON.stringify({ Status: 'Accepted' }) });
  }
  if (kind === 'malformedJson') {
    record.status = 200;
    return sendText(res, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, text: truncatedJson(reply.body) });
  }
  record.status = reply.status;
  send(res, reply);
}

/** Builds the node:http request listener. */
export function createHandler(config: ServerConfig): (req: IncomingMessage, res: ServerResponse) => void {
  let requests = 0;
  return (req, res) => {
    handle(config, req, res, ++requests).catch(() => res.destroy());
  };
}

/**
 * The request pipeline: record -> base path -> auth -> required headers ->
 * api version -> route. Nothing here writes to stdout/stderr: requests carry
 * secrets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAuthorized } from './auth';
import { ApiError, badRequest, errorReply, ErrorCode, notFound, QueryParams, Reply } from './http';
import { settleJobs } from './jobs';
import { findRoute } from './routes';
import type { SimulatorState } from './state';
import type { RecordedRequest } from './types';
import type { RawBody } from './validation';

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const REQUESTED_WITH = ['apiclient', 'xmlhttprequest'];

export interface ServerConfig {
  state: SimulatorState;
  apiPath: string;
  requests: RecordedRequest[];
}

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

function recordedBody(text: string): unknown {
  if (text === '') return undefined;
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

function dispatch(config: ServerConfig, req: IncomingMessage, url: URL, body: RawBody, now: number): Reply {
  const method = req.method ?? 'GET';
  const relative = relativePath(url.pathname, config.apiPath);
  if (relative === null) throw notFound(`No resource found at '${url.pathname}'.`); // [INFER]
  if (!isAuthorized(firstHeader(req.headers.authorization), config.state.seed)) {
    // Command sends no JSON body with 401. // [INFER] header
    return { status: 401, headers: { 'www-authenticate': 'Basic realm="Keyfactor", Bearer' } };
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
  return match.route.handler({ state: config.state, params: match.params, query: new QueryParams(url.searchParams), body, now });
}

function send(res: ServerResponse, reply: Reply): void {
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

/** Builds the node:http request listener. */
export function createHandler(config: ServerConfig): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
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

    const respond = (reply: Reply) => {
      record.status = reply.status;
      send(res, reply);
    };
    readBody(req).then((text) => {
      if (text === null) {
        respond(errorReply(new ApiError(413, ErrorCode.tooLarge, 'The request body is too large.')));
        return;
      }
      record.body = recordedBody(text);
      const body: RawBody = { text, contentType: firstHeader(req.headers['content-type']) };
      try {
        respond(dispatch(config, req, url, body, received.getTime()));
      } catch (err) {
        respond(err instanceof ApiError
          ? errorReply(err)
          : errorReply(new ApiError(500, ErrorCode.internal, `Simulator error: ${(err as Error).message}`)));
      }
    }, () => {
      record.status = 400;
      res.destroy();
    });
  };
}

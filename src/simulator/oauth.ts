/**
 * An OAuth 2 token endpoint (client credentials grant, RFC 6749 §4.4), as an
 * identity provider in front of Command would serve it. The tokens are opaque
 * random strings the API accepts as Bearer until they expire. Errors follow
 * RFC 6749 §5.2: `{ error, error_description }`.
 */
import { randomBytes } from 'node:crypto';
import type { Reply } from './http';
import type { SeedOAuthClient } from './seed';
import type { SimulatorState } from './state';
import type { RawBody } from './validation';

export const DEFAULT_TOKEN_PATH = '/oauth2/token';
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

export interface TokenRequest {
  method: string;
  authorization: string | undefined;
  body: RawBody;
  now: number;
}

const NO_STORE = { 'cache-control': 'no-store', 'pragma': 'no-cache' };

function oauthError(status: number, error: string, description: string, headers: Record<string, string> = {}): Reply {
  return { status, body: { error, error_description: description }, headers: { ...NO_STORE, ...headers } };
}

/** client_secret_basic: `Basic base64(urlencode(id):urlencode(secret))`. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/** POST {tokenPath}: issues an access token for valid client credentials. */
export function issueToken(state: SimulatorState, request: TokenRequest, lifetimeSeconds: number): Reply {
  if (request.method.toUpperCase() !== 'POST') {
    return oauthError(405, 'invalid_request', 'The token endpoint only accepts POST.', { allow: 'POST' });
  }
  if (!/^\s*application\/x-www-form-urlencoded\s*(;|$)/i.test(request.body.contentType ?? '')) {
    return oauthError(400, 'invalid_request', 'The request must be application/x-www-form-urlencoded.');
  }
  const form = new URLSearchParams(request.body.text);
  const grantType = form.get('grant_type');
  if (!grantType) return oauthError(400, 'invalid_request', 'The grant_type parameter is missing.');
  if (grantType !== 'client_credentials') {
    return oauthError(400, 'unsupported_grant_type', `The grant type '${grantType}' is not supported.`);
  }

  // Credentials in the Authorization header take precedence over the form (both are allowed here). // [INFER]
  const basic = basicCredentials(request.authorization);
  const id = basic?.id ?? form.get('client_id') ?? '';
  const secret = basic?.secret ?? form.get('client_secret') ?? '';
  const client: SeedOAuthClient | undefined = (state.seed.oauthClients ?? []).find((c) => c.clientId === id);
  if (!client || client.clientSecret !== secret) {
    return oauthError(401, 'invalid_client', 'Client authentication failed.', basic ? { 'www-authenticate': 'Basic realm="oauth2"' } : {});
  }

  const requested = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
  const unknown = client.scopes ? requested.filter((s) => !client.scopes!.includes(s)) : [];
  if (unknown.length > 0) return oauthError(400, 'invalid_scope', `The scope '${unknown.join(' ')}' is not allowed for this client.`);
  const audience = form.get('audience');
  if (audience && client.audience && audience !== client.audience) {
    return oauthError(400, 'invalid_target', `The audience '${audience}' is not allowed for this client.`); // [INFER] RFC 8707 error code
  }

  const scopes = requested.length > 0 ? requested : client.scopes ?? [];
  const token = randomBytes(32).toString('base64url');
  state.accessTokens.set(token, { clientId: client.clientId, scopes, expiresAt: request.now + lifetimeSeconds * 1000 });
  const body: Record<string, unknown> = {
    access_token: token,
    token_type: 'Bearer',
    // expires_in is an integer; a fractional lifetime (handy in tests) is rounded up.
    expires_in: Math.ceil(lifetimeSeconds),
  };
  if (scopes.length > 0) body.scope = scopes.join(' ');
  return { status: 200, body, headers: NO_STORE };
}

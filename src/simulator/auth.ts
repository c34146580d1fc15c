import type { SeedUser } from './seed';
import type { SimulatorState } from './state';

function basicMatch(encoded: string, users: SeedUser[]): SeedUser | undefined {
  const decoded = Buffer.from(encoded.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const account = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const slash = account.indexOf('\\');
  const domain = slash >= 0 ? account.slice(0, slash).toLowerCase() : undefined;
  const username = (slash >= 0 ? account.slice(slash + 1) : account).toLowerCase();
  // Windows account names are case-insensitive; passwords are not. // [INFER]
  return users.find((user) => user.username.toLowerCase() === username
    && user.password === password
    && (user.domain ? user.domain.toLowerCase() === domain : domain === undefined));
}

export type AuthOutcome = 'ok' | 'read-only' | 'denied' | 'expired';

/** A seeded token, or an unexpired access token from the token endpoint. */
function tokenOutcome(token: string, state: SimulatorState, now: number): AuthOutcome {
  if (state.seed.tokens.includes(token)) return 'ok';
  const issued = state.accessTokens.get(token);
  if (!issued) return 'denied';
  return now < issued.expiresAt ? 'ok' : 'expired';
}

/**
 * Checks the Authorization header: `Basic base64(DOMAIN\user:pass)` (or
 * `user:pass` for a user without a domain), `Bearer <token>`, or the bare
 * token ("Prefixing with Bearer is not required", says the spec).
 */
export function authorize(header: string | undefined, state: SimulatorState, now: number): AuthOutcome {
  if (!header) return 'denied';
  const value = header.trim();
  const parts = /^(\S+)\s+(\S.*)$/.exec(value);
  const scheme = parts?.[1].toLowerCase();
  if (parts && scheme === 'basic') {
    const user = basicMatch(parts[2], state.seed.users);
    return user ? (user.readOnly ? 'read-only' : 'ok') : 'denied';
  }
  if (parts && scheme === 'bearer') return tokenOutcome(parts[2].trim(), state, now);
  return tokenOutcome(value, state, now);
}

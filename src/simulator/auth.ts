import type { SeedUser, SimulatorSeed } from './seed';

function basicMatches(encoded: string, users: SeedUser[]): boolean {
  const decoded = Buffer.from(encoded.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const account = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const slash = account.indexOf('\\');
  const domain = slash >= 0 ? account.slice(0, slash).toLowerCase() : undefined;
  const username = (slash >= 0 ? account.slice(slash + 1) : account).toLowerCase();
  // Windows account names are case-insensitive; passwords are not. // [INFER]
  return users.some((user) => user.username.toLowerCase() === username
    && user.password === password
    && (user.domain ? user.domain.toLowerCase() === domain : domain === undefined));
}

/**
 * Checks the Authorization header: `Basic base64(DOMAIN\user:pass)` (or
 * `user:pass` for a user without a domain), `Bearer <token>`, or the bare
 * token ("Prefixing with Bearer is not required", says the spec).
 */
export function isAuthorized(header: string | undefined, seed: SimulatorSeed): boolean {
  if (!header) return false;
  const value = header.trim();
  const parts = /^(\S+)\s+(\S.*)$/.exec(value);
  const scheme = parts?.[1].toLowerCase();
  if (parts && scheme === 'basic') return basicMatches(parts[2], seed.users);
  if (parts && scheme === 'bearer') return seed.tokens.includes(parts[2].trim());
  return seed.tokens.includes(value);
}

/**
 * The configuration half of a shared ledger store, one per folder beside this file (as Terraform's
 * `internal/backend/remote-state/<name>/` each have one): how a `CDKTF_KEYFACTOR_LEDGER` URL and
 * the stack's Terraform backend name a place in the store. The client half (`client.ts`, with the
 * store's SDK) is bundled on its own and loaded only when the store is used (see load.ts).
 */
import type { LedgerLocation } from '../../../contract/ledger-location';

/**
 * What a store authenticates with (a backend's access key, a URL's password, a role to assume):
 * used, never written. The values named in SECRET_CREDENTIALS are secrets, redacted from all
 * output; the others (an account id, a role) are not, and may appear in messages.
 */
export type Credentials = Readonly<Record<string, string | undefined>>;

/** The credentials that are secrets. */
export const SECRET_CREDENTIALS: ReadonlySet<string> = new Set(['secretAccessKey', 'sessionToken', 'accessKey', 'sasToken', 'clientSecret', 'connectionString', 'password']);

export interface Placed<L extends LedgerLocation = LedgerLocation> {
  readonly location: L;
  readonly credentials: Credentials;
}

export interface StoreConfiguration<L extends LedgerLocation = LedgerLocation> {
  readonly type: L['type'];
  /** URL schemes of CDKTF_KEYFACTOR_LEDGER, e.g. `s3`. */
  readonly schemes: readonly string[];
  /** The URL form, for messages, e.g. `s3://bucket/prefix?region=eu-west-1`. */
  readonly example: string;
  /** The Terraform backend type this store follows by default, e.g. `s3`. */
  readonly backend: string;
  fromUrl(url: URL, env: NodeJS.ProcessEnv): Placed<L>;
  /** The ledger's place beside the state, from the backend's configuration as `terraform init` recorded it. */
  fromBackend(config: Record<string, unknown>, env: NodeJS.ProcessEnv): Placed<L>;
}

/** A URL's query parameters, refusing any not in `allowed` (a mistyped one would be ignored silently). */
export function urlParameters(url: URL, allowed: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (!allowed.includes(name)) {
      throw new Error(`${what}: unknown parameter "${name}" (known: ${allowed.join(', ') || 'none'})`);
    }
    out[name] = value;
  }
  return out;
}

/** The URL path as an object prefix: decoded, without leading or trailing slashes. */
export function prefixOf(pathname: string): string {
  return decodeURIComponent(pathname).replace(/^\/+|\/+$/g, '');
}

/** A string setting of a backend configuration (null and '' are unset, as Terraform records them). */
export function setting(config: Record<string, unknown>, name: string): string | undefined {
  const v = config[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function flag(config: Record<string, unknown>, name: string): boolean | undefined {
  const v = config[name];
  return typeof v === 'boolean' ? v : undefined;
}

/** A variable of `env`, unset when blank. */
export function variable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v;
}

export function truthy(text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  if (/^(1|true|yes)$/i.test(text)) return true;
  if (/^(0|false|no)$/i.test(text)) return false;
  throw new Error(`"${text}" is not true or false`);
}

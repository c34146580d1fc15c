/**
 * Every environment variable the runner (and the `jobs` CLI) reads, parsed and validated here.
 * One rule for bad values: unset or blank means the default; anything else that is not valid is a
 * RunnerError naming the variable and what it takes.
 *
 * Connection variables keep the names of Keyfactor's own Terraform provider and Go client
 * (`KEYFACTOR_*`), so one environment configures both; the project's own use `CDKTF_KEYFACTOR_*`.
 */
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RunnerError } from './errors';
import { chooseLedger, LedgerChoice } from './ledger/locate';
import { ledgerTimeoutMs } from './ledger/open';
import type { SecretResolver } from './secrets';
import {
  DEFAULT_LEDGER_ENV, LEDGER_ENV, LEDGER_LOCATION_ENV, LEDGER_TIMEOUT_ENV, SPEC_ENV, STACK_LEDGER_ENV, WORKSPACE_ENV,
} from '../contract/environment';
import type { LedgerOrigin } from '../contract/ledger-record';

export const ENV = {
  // Keyfactor's names (terraform-provider-keyfactor, keyfactor-auth-client-go).
  hostname: 'KEYFACTOR_HOSTNAME',
  apiPath: 'KEYFACTOR_API_PATH',
  clientTimeout: 'KEYFACTOR_CLIENT_TIMEOUT',
  username: 'KEYFACTOR_USERNAME',
  password: 'KEYFACTOR_PASSWORD',
  domain: 'KEYFACTOR_DOMAIN',
  clientId: 'KEYFACTOR_AUTH_CLIENT_ID',
  clientSecret: 'KEYFACTOR_AUTH_CLIENT_SECRET',
  tokenUrl: 'KEYFACTOR_AUTH_TOKEN_URL',
  scopes: 'KEYFACTOR_AUTH_SCOPES',
  audience: 'KEYFACTOR_AUTH_AUDIENCE',
  accessToken: 'KEYFACTOR_AUTH_ACCESS_TOKEN',
  caCert: 'KEYFACTOR_CA_CERT',
  authCaCert: 'KEYFACTOR_AUTH_CA_CERT',
  skipVerify: 'KEYFACTOR_SKIP_VERIFY',
  // The project's own.
  ledger: LEDGER_LOCATION_ENV,
  ledgerDir: LEDGER_ENV,
  ledgerTimeout: LEDGER_TIMEOUT_ENV,
  retryMaxSeconds: 'CDKTF_KEYFACTOR_RETRY_MAX_SECONDS',
  maxQueryLength: 'CDKTF_KEYFACTOR_MAX_QUERY_LENGTH',
  jobLookupSeconds: 'CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS',
  jobLookupIntervalSeconds: 'CDKTF_KEYFACTOR_JOB_LOOKUP_INTERVAL_SECONDS',
  tokenCache: 'CDKTF_KEYFACTOR_TOKEN_CACHE',
  // The usual proxy variables (curl's meaning); the lower-case spelling wins when both are set.
  httpsProxy: 'HTTPS_PROXY',
  httpProxy: 'HTTP_PROXY',
  noProxy: 'NO_PROXY',
  // Set by the carrier, not by users.
  spec: SPEC_ENV,
  defaultLedgerDir: DEFAULT_LEDGER_ENV,
  stackLedger: STACK_LEDGER_ENV,
  workspace: WORKSPACE_ENV,
} as const;

/** Names the project used before it settled on one prefix: refused, so they are never silently ignored. */
const RENAMED: Record<string, string> = {
  KEYFACTOR_LEDGER_DIR: ENV.ledgerDir,
  KEYFACTOR_RETRY_MAX_SECONDS: ENV.retryMaxSeconds,
  KEYFACTOR_MAX_QUERY_LENGTH: ENV.maxQueryLength,
};

export const DEFAULT_RETRY_BUDGET_SECONDS = 60;
export const RETRY_BASE_MS = 250;
export const RETRY_CAP_MS = 8000;

export interface RetryPolicy {
  /** No new attempt starts later than this after the first one; 0 disables retries. */
  readonly budgetMs: number;
  /** Backoff before attempt 2; doubled for each attempt after it. */
  readonly baseMs: number;
  /** Longest backoff (a longer Retry-After is still honoured, within the budget). */
  readonly capMs: number;
  /** For tests: how to pause, draw jitter and read the clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

export type AuthSettings =
  | { readonly type: 'basic'; readonly username: string; readonly password: string; readonly domain?: string }
  | { readonly type: 'token'; readonly accessToken: string }
  | {
    readonly type: 'oauth';
    readonly clientId: string;
    readonly clientSecret: string;
    readonly tokenUrl: string;
    readonly scopes: string[];
    readonly audience?: string;
    /** Directory of the token cache shared by the apply's runner processes; undefined: off. */
    readonly tokenCache?: string;
  };

export interface TlsSettings {
  /** Extra trusted CAs (PEM), added to Node's default roots. */
  readonly caPem?: string;
  /** Extra CAs for the OAuth token endpoint only. */
  readonly authCaPem?: string;
  readonly skipVerify: boolean;
}

/** A proxy from HTTPS_PROXY or HTTP_PROXY. */
export interface ProxyServer {
  /** http://host:port (or https://); may hold user:password@, which is never printed. */
  readonly url: URL;
  /** The variable it came from, as spelled in the environment (e.g. `https_proxy`). */
  readonly variable: string;
}

/** Which proxy to use for which target (decided per target in api/tls.ts). */
export interface ProxySettings {
  /** For https:// targets. */
  readonly https?: ProxyServer;
  /** For http:// targets (which are loopback only, and loopback is never proxied). */
  readonly http?: ProxyServer;
  /** NO_PROXY entries, lower case: `*`, host names or domains (`.example.com`, `example.com`), IP addresses, each with an optional `:port`. */
  readonly noProxy: readonly string[];
}

/** How to reach and authenticate to Keyfactor Command. */
export interface ConnectionSettings {
  /** e.g. https://kf.example.com/KeyfactorAPI */
  readonly baseUrl: string;
  readonly auth: AuthSettings;
  /** One exchange, connect to last byte. */
  readonly timeoutMs: number;
  readonly tls: TlsSettings;
  readonly retry: RetryPolicy;
  readonly proxy: ProxySettings;
}

/** How long, and how often, to look in JobHistory for the jobs a request created. */
export interface JobLookupTiming {
  readonly timeoutMs: number;
  readonly intervalMs: number;
}

/** What one runner invocation is configured with. */
export interface RunnerSettings {
  /** Where secret references (`Secret.fromEnv`, Terraform variables) are read from. */
  readonly env: NodeJS.ProcessEnv;
  /** Where this stack's ledger lives (ledger/locate.ts), decided from the environment and the working directory. */
  readonly ledger: LedgerChoice;
  /** The Command and workspace this run's ledger records belong to. */
  readonly origin: LedgerOrigin;
  readonly jobLookup: JobLookupTiming;
  readonly maxQueryLength: number;
  /**
   * Host, credentials and TLS, read when the first request needs them: an undo with nothing to
   * do needs no credentials.
   */
  connection(secrets: SecretResolver): ConnectionSettings;
}

/** The runner's settings. Everything but the connection is checked now, before any request. */
export function readSettings(env: NodeJS.ProcessEnv): RunnerSettings {
  refuseRenamed(env);
  // Read only with the connection, but checked now: a bad value must not fail after a request.
  retryPolicy(env);
  requestTimeoutMs(env);
  ledgerTimeoutMs(env);
  return {
    env,
    ledger: chooseLedger(env, process.cwd()),
    origin: origin(env),
    jobLookup: jobLookupTiming(env),
    maxQueryLength: maxQueryLength(env),
    connection: (secrets) => connectionSettings(env, secrets),
  };
}

function refuseRenamed(env: NodeJS.ProcessEnv): void {
  for (const [old, now] of Object.entries(RENAMED)) {
    if (env[old] !== undefined) throw new RunnerError(`${old} was renamed ${now}: set ${now} instead.`);
  }
}

/** The value of `name`, or undefined when unset or blank. */
function raw(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** A number from `name`: unset or blank gives `fallback`; a value `ok` refuses is an error saying it must be `what`. */
function numberSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, ok: (n: number) => boolean, what: string): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || !ok(n)) throw new RunnerError(`${name} must be ${what}, got ${JSON.stringify(env[name])}.`);
  return n;
}

/**
 * The origin of this run's records: Command's host and API path as the connection will use them,
 * and the Terraform workspace (from the carrier, else TF_WORKSPACE, else `default`).
 */
export function origin(env: NodeJS.ProcessEnv): LedgerOrigin {
  const hostname = raw(env, ENV.hostname)?.trim() ?? '';
  let host = hostname.toLowerCase();
  try {
    host = serverUrl(hostname, ENV.hostname).host;
  } catch {
    // A bad host name fails the first request with its own message; the record keeps the text.
  }
  return { host, apiPath: apiPath(env), workspace: raw(env, ENV.workspace)?.trim() ?? raw(env, 'TF_WORKSPACE')?.trim() ?? 'default' };
}

function apiPath(env: NodeJS.ProcessEnv): string {
  return (raw(env, ENV.apiPath) ?? 'KeyfactorAPI').replace(/^\/+|\/+$/g, '');
}

/** The retry budget, CDKTF_KEYFACTOR_RETRY_MAX_SECONDS (default 60; 0 disables retries). */
export function retryPolicy(env: NodeJS.ProcessEnv): RetryPolicy {
  const budget = numberSetting(env, ENV.retryMaxSeconds, DEFAULT_RETRY_BUDGET_SECONDS, (n) => n >= 0, 'a number of seconds >= 0 (0 disables retries)');
  return { budgetMs: budget * 1000, baseMs: RETRY_BASE_MS, capMs: RETRY_CAP_MS };
}

/** One whole request's time limit, KEYFACTOR_CLIENT_TIMEOUT (default 60 s, as in Keyfactor's client). */
export function requestTimeoutMs(env: NodeJS.ProcessEnv): number {
  return numberSetting(env, ENV.clientTimeout, 60, (n) => n > 0, 'a positive number of seconds') * 1000;
}

/** The job lookup's time limit and poll interval (defaults 30 s and 1 s; 0 s = one query). */
export function jobLookupTiming(env: NodeJS.ProcessEnv): JobLookupTiming {
  const timeout = numberSetting(env, ENV.jobLookupSeconds, 30, (n) => n >= 0, 'a number of seconds >= 0');
  const interval = numberSetting(env, ENV.jobLookupIntervalSeconds, 1, (n) => n >= 0.05, 'a number of seconds >= 0.05');
  return { timeoutMs: Math.round(timeout * 1000), intervalMs: Math.round(interval * 1000) };
}

/** Longest URL-encoded JobHistory QueryString per request (default 2000: IIS's default limit is 2048). */
export function maxQueryLength(env: NodeJS.ProcessEnv): number {
  return numberSetting(env, ENV.maxQueryLength, 2000, (n) => Number.isInteger(n) && n >= 100, 'a whole number of characters >= 100');
}

/** Host, API path, credentials, TLS and retries. Throws one error listing everything missing. */
export function connectionSettings(env: NodeJS.ProcessEnv, secrets: SecretResolver): ConnectionSettings {
  refuseRenamed(env);
  const hostname = raw(env, ENV.hostname)?.trim();
  const credentials = authSettings(env, secrets);
  const problems = [
    !hostname && `${ENV.hostname} is not set (a host name, https://host:port, or http://127.0.0.1:port for a loopback test server)`,
    'problem' in credentials && credentials.problem,
  ].filter(Boolean);
  if (problems.length) throw new RunnerError(`Keyfactor connection settings incomplete: ${problems.join('; ')}`);
  return {
    baseUrl: `${serverUrl(hostname!, ENV.hostname).origin}/${apiPath(env)}`,
    auth: (credentials as { auth: AuthSettings }).auth,
    timeoutMs: requestTimeoutMs(env),
    tls: tlsSettings(env),
    retry: retryPolicy(env),
    proxy: proxySettings(env, secrets),
  };
}

/**
 * HTTPS_PROXY, HTTP_PROXY and NO_PROXY, each also lower case (which wins, as in curl). A proxy
 * without a scheme is http://; its password is registered with `secrets`, so it is redacted.
 */
export function proxySettings(env: NodeJS.ProcessEnv, secrets: SecretResolver): ProxySettings {
  const pick = (name: string) => [name.toLowerCase(), name].find((n) => raw(env, n) !== undefined);
  const server = (name: string): ProxyServer | undefined => {
    const variable = pick(name);
    return variable === undefined ? undefined : { url: proxyUrl(raw(env, variable)!.trim(), variable, secrets), variable };
  };
  const noProxy = pick(ENV.noProxy);
  return {
    https: server(ENV.httpsProxy),
    http: server(ENV.httpProxy),
    noProxy: noProxy === undefined ? [] : env[noProxy]!.toLowerCase().split(/[\s,]+/).filter(Boolean),
  };
}

function proxyUrl(text: string, variable: string, secrets: SecretResolver): URL {
  let url: URL | undefined;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    // reported below
  }
  if (url?.password) {
    secrets.protect(url.password);
    secrets.protect(decodedUserInfo(url.password));
  }
  // The value may hold a password: an error shows it without its user information.
  const shown = JSON.stringify(text.replace(/\/\/[^/@]*@/, '//***@'));
  if (!url || !url.hostname) throw new RunnerError(`${variable} ${shown} is not a proxy URL (http://host:port, optionally http://user:password@host:port).`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RunnerError(`${variable} ${shown}: only http:// and https:// proxies are supported (got ${url.protocol}//).`);
  }
  return url;
}

/**
 * The first complete auth mode, or what each mode lacks. Every credential is registered with
 * `secrets`, so it is redacted from all output. Precedence as in Keyfactor's own code: the
 * provider's `getServerConfig` takes Basic before OAuth, and keyfactor-auth-client-go a ready
 * access token before client credentials; `DOMAIN\user` gives the domain, ahead of
 * KEYFACTOR_DOMAIN. Deliberately different: an empty variable counts as unset, `user@domain` is
 * sent as written, and no scope is sent when KEYFACTOR_AUTH_SCOPES is unset.
 */
export function authSettings(env: NodeJS.ProcessEnv, secrets: SecretResolver): { auth: AuthSettings } | { problem: string } {
  const get = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  for (const name of [ENV.password, ENV.clientSecret, ENV.accessToken]) secrets.protect(get(name));
  const [username, password] = [get(ENV.username), get(ENV.password)];
  if (username && password) {
    const slash = username.indexOf('\\');
    const domain = slash >= 0 ? username.slice(0, slash) : get(ENV.domain);
    return { auth: { type: 'basic', username: slash >= 0 ? username.slice(slash + 1) : username, password, domain: domain || undefined } };
  }
  const accessToken = get(ENV.accessToken);
  if (accessToken) return { auth: { type: 'token', accessToken } };
  const [clientId, clientSecret, tokenUrl] = [get(ENV.clientId), get(ENV.clientSecret), get(ENV.tokenUrl)];
  if (clientId && clientSecret && tokenUrl) {
    const scopes = (get(ENV.scopes) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    return {
      auth: { type: 'oauth', clientId, clientSecret, tokenUrl: serverUrl(tokenUrl, ENV.tokenUrl).href, scopes, audience: get(ENV.audience), tokenCache: tokenCacheDirectory(env) },
    };
  }
  const state = (names: string[]) => {
    const set = names.filter((n) => get(n));
    return set.length === 0 ? 'none set' : `${set.join(', ')} set; missing ${names.filter((n) => !get(n)).join(', ')}`;
  };
  return {
    problem: 'no complete set of Keyfactor credentials. Set one of: ' +
      `Basic: ${ENV.username} and ${ENV.password} (optional ${ENV.domain}, or DOMAIN\\user as the user name) [${state([ENV.username, ENV.password])}]; ` +
      `OAuth client credentials: ${ENV.clientId}, ${ENV.clientSecret} and ${ENV.tokenUrl} (optional ${ENV.scopes}, comma-separated, and ${ENV.audience}) ` +
      `[${state([ENV.clientId, ENV.clientSecret, ENV.tokenUrl])}]; ` +
      `OAuth access token: ${ENV.accessToken} [not set]. ` +
      `If several are complete, Basic is used first, then ${ENV.accessToken}, then client credentials.`,
  };
}

/**
 * TLS settings, with the names and meanings of keyfactor-auth-client-go (auth_providers/auth_core.go):
 * KEYFACTOR_CA_CERT "a filepath or a string of the certificate in PEM format", added to the system
 * pool; KEYFACTOR_SKIP_VERIFY "true" or "1".
 */
export function tlsSettings(env: NodeJS.ProcessEnv): TlsSettings {
  const skip = (env[ENV.skipVerify] ?? '').trim().toLowerCase();
  return {
    caPem: readPem(env, ENV.caCert),
    authCaPem: readPem(env, ENV.authCaCert),
    skipVerify: skip === 'true' || skip === '1',
  };
}

/** A URL's percent-encoded user or password as written by the user (as is, if it does not decode). */
export function decodedUserInfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The variable's PEM text, read from the file it names unless it holds PEM itself. */
function readPem(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  let pem = value;
  if (!value.includes('-----BEGIN')) {
    try {
      pem = fs.readFileSync(value, 'utf8');
    } catch (e) {
      throw new RunnerError(`${name}: cannot read ${JSON.stringify(value)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ` +
        'give the path of a PEM file or the PEM text itself.');
    }
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new RunnerError(`${name}: no PEM certificate (-----BEGIN CERTIFICATE-----) found in it.`);
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      throw new RunnerError(`${name}: certificate ${i + 1} of ${blocks.length} is not a valid PEM certificate.`);
    }
  }
  return blocks.join('\n');
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * A URL from `variable`, checked: https, or plain http only when written explicitly and only to
 * a loopback address (credentials would otherwise cross the network unencrypted).
 */
export function serverUrl(text: string, variable: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new RunnerError(`${variable} ${JSON.stringify(text)} is not a host name or URL.`);
  }
  if (url.username || url.password) {
    throw new RunnerError(`${variable} must not contain credentials (user:password@); use the KEYFACTOR_* credential variables.`);
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw new RunnerError(`${variable} ${JSON.stringify(text)} asks for plain HTTP to a non-loopback host; credentials would travel unencrypted. Use https://.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RunnerError(`${variable} ${JSON.stringify(text)} must use https:// (or http:// to a loopback address).`);
  }
  return url;
}

/**
 * Where the runner processes of an apply share OAuth tokens: CDKTF_KEYFACTOR_TOKEN_CACHE (an
 * absolute directory, or `off`), else the per-user runtime directory (XDG_RUNTIME_DIR, a tmpfs
 * only its owner can enter), else the temporary directory, per user id.
 */
export function tokenCacheDirectory(env: NodeJS.ProcessEnv): string | undefined {
  const chosen = raw(env, ENV.tokenCache)?.trim();
  if (chosen === 'off') return undefined;
  if (chosen) {
    if (!path.isAbsolute(chosen)) throw new RunnerError(`${ENV.tokenCache} must be an absolute directory or "off", got ${JSON.stringify(chosen)}.`);
    return chosen;
  }
  const runtime = raw(env, 'XDG_RUNTIME_DIR')?.trim();
  if (runtime && path.isAbsolute(runtime)) return path.join(runtime, 'cdktf-keyfactor');
  return path.join(os.tmpdir(), `cdktf-keyfactor-tokens-${process.getuid?.() ?? 'user'}`);
}

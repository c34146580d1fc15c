/**
 * TLS settings (names from Keyfactor's keyfactor-auth-client-go, auth_providers/auth_core.go:
 * KEYFACTOR_CA_CERT "a filepath or a string of the certificate in PEM format", added to the
 * system pool; KEYFACTOR_SKIP_VERIFY "true" or "1"), the HTTPS agents, and TLS errors
 * explained as what to fix.
 */
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { rootCertificates } from 'tls';
import { RunnerError } from './errors';

export const CA_CERT_ENV = 'KEYFACTOR_CA_CERT';
export const AUTH_CA_CERT_ENV = 'KEYFACTOR_AUTH_CA_CERT';
export const SKIP_VERIFY_ENV = 'KEYFACTOR_SKIP_VERIFY';

export interface TlsSettings {
  /** Extra trusted CAs (PEM), added to Node's default roots. */
  readonly caPem?: string;
  /** Extra CAs for the OAuth token endpoint only (KEYFACTOR_AUTH_CA_CERT). */
  readonly authCaPem?: string;
  readonly skipVerify: boolean;
}

export function tlsFromEnv(env: NodeJS.ProcessEnv): TlsSettings {
  const skip = (env[SKIP_VERIFY_ENV] ?? '').trim().toLowerCase();
  return {
    caPem: readPem(env, CA_CERT_ENV),
    authCaPem: readPem(env, AUTH_CA_CERT_ENV),
    skipVerify: skip === 'true' || skip === '1',
  };
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

/** Agents without keep-alive: every request has its own connection, so "never connected" is exact. */
export function httpsAgent(settings: TlsSettings, extraPem?: string): https.Agent {
  const extra = [settings.caPem, extraPem].filter((x): x is string => !!x);
  return new https.Agent({
    keepAlive: false,
    rejectUnauthorized: !settings.skipVerify,
    ca: extra.length ? [...rootCertificates, ...extra] : undefined,
  });
}

export function httpAgent(): http.Agent {
  return new http.Agent({ keepAlive: false });
}

export function skipVerifyWarning(): string {
  return `WARNING: ${SKIP_VERIFY_ENV} is set: the Keyfactor server's TLS certificate is NOT verified, so anyone on the network path can read the credentials; set ${CA_CERT_ENV} instead.`;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

/** What to fix, for a TLS failure; undefined when the error is not about TLS. */
export function describeTlsError(err: { code?: string; message?: string }, host: string, caVariable = CA_CERT_ENV): string | undefined {
  const code = err.code ?? '';
  const detail = `(${[code, err.message].filter(Boolean).join(': ')})`;
  if (UNTRUSTED.has(code)) {
    return `the TLS certificate of ${host} is not trusted: set ${caVariable} to the CA that issued it (a file path or PEM text) ${detail}`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the TLS certificate of ${host} is not issued for that name: set KEYFACTOR_HOSTNAME to a name the certificate lists ${detail}`;
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return `the TLS certificate of ${host} has expired: the server needs a renewed certificate (or check this machine's clock) ${detail}`;
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return `the TLS certificate of ${host} is not valid yet: check this machine's clock ${detail}`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(err.message ?? '')) {
    return `${host} did not answer with TLS: check the port, or write http:// in KEYFACTOR_HOSTNAME if it is a loopback address serving plain HTTP ${detail}`;
  }
  if (/^ERR_SSL_|^ERR_TLS_|^CERT_|_CERT$|^EPROTO$/.test(code)) {
    return `TLS connection to ${host} failed ${detail}`;
  }
  return undefined;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * A URL from `variable`, checked: https, or plain http only when written explicitly and only to
 * a loopback address (credentials would otherwise cross the network unencrypted).
 */
export function serverUrl(raw: string, variable: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new RunnerError(`${variable} ${JSON.stringify(raw)} is not a host name or URL.`);
  }
  if (url.username || url.password) {
    throw new RunnerError(`${variable} must not contain credentials (user:password@); use the KEYFACTOR_* credential variables.`);
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw new RunnerError(`${variable} ${JSON.stringify(raw)} asks for plain HTTP to a non-loopback host; credentials would travel unencrypted. Use https://.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RunnerError(`${variable} ${JSON.stringify(raw)} must use https:// (or http:// to a loopback address).`);
  }
  return url;
}

/**
 * The HTTPS agents, and TLS errors explained as what to fix. (The TLS settings themselves are read
 * in settings.ts.)
 */
import * as http from 'http';
import * as https from 'https';
import { rootCertificates } from 'tls';
import { ENV, TlsSettings } from '../settings';

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
  return `WARNING: ${ENV.skipVerify} is set: the Keyfactor server's TLS certificate is NOT verified, so anyone on the network path can read the credentials; set ${ENV.caCert} instead.`;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

/** What to fix, for a TLS failure; undefined when the error is not about TLS. */
export function describeTlsError(err: { code?: string; message?: string }, host: string, caVariable: string = ENV.caCert): string | undefined {
  const code = err.code ?? '';
  const detail = `(${[code, err.message].filter(Boolean).join(': ')})`;
  if (UNTRUSTED.has(code)) {
    return `the TLS certificate of ${host} is not trusted: set ${caVariable} to the CA that issued it (a file path or PEM text) ${detail}`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the TLS certificate of ${host} is not issued for that name: set ${ENV.hostname} to a name the certificate lists ${detail}`;
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return `the TLS certificate of ${host} has expired: the server needs a renewed certificate (or check this machine's clock) ${detail}`;
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return `the TLS certificate of ${host} is not valid yet: check this machine's clock ${detail}`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(err.message ?? '')) {
    return `${host} did not answer with TLS: check the port, or write http:// in ${ENV.hostname} if it is a loopback address serving plain HTTP ${detail}`;
  }
  if (/^ERR_SSL_|^ERR_TLS_|^CERT_|_CERT$|^EPROTO$/.test(code)) {
    return `TLS connection to ${host} failed ${detail}`;
  }
  return undefined;
}

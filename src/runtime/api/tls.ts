/**
 * The agents (direct, or through a proxy's CONNECT tunnel), and TLS errors explained as what to
 * fix. (The TLS and proxy settings themselves are read in settings.ts.)
 */
import * as http from 'http';
import * as https from 'https';
import { BlockList, isIP, Socket } from 'net';
import type { Duplex } from 'stream';
import * as tls from 'tls';
import { decodedUserInfo, ENV, ProxyServer, ProxySettings, TlsSettings } from '../settings';

function tlsOptions(settings: TlsSettings, extraPem?: string): https.AgentOptions {
  const extra = [settings.caPem, extraPem].filter((x): x is string => !!x);
  return { rejectUnauthorized: !settings.skipVerify, ca: extra.length ? [...tls.rootCertificates, ...extra] : undefined };
}

/** Agents without keep-alive: every request has its own connection, so "never connected" is exact. */
export function httpsAgent(settings: TlsSettings, extraPem?: string): https.Agent {
  return new https.Agent({ keepAlive: false, ...tlsOptions(settings, extraPem) });
}

/**
 * The agent for requests to `url`: direct, or through the proxy `proxyFor` picks. Axios's own
 * proxy handling is off (http.ts), so this is the only place a proxy is chosen.
 */
export function agentFor(url: string, settings: { tls: TlsSettings; proxy: ProxySettings; timeoutMs: number }, extraPem?: string): http.Agent {
  const target = new URL(url);
  // http:// is allowed to loopback addresses only (settings.serverUrl), which are never proxied.
  if (target.protocol !== 'https:') return httpAgent();
  const proxy = proxyFor(target, settings.proxy);
  return proxy ? new TunnelAgent(proxy, settings.timeoutMs, tlsOptions(settings.tls, extraPem)) : httpsAgent(settings.tls, extraPem);
}

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** The proxy for `target`: none for loopback (a local server is never reached through a proxy) or a NO_PROXY match. */
export function proxyFor(target: URL, settings: ProxySettings): ProxyServer | undefined {
  const host = target.hostname.toLowerCase();
  const proxy = target.protocol === 'https:' ? settings.https : target.protocol === 'http:' ? settings.http : undefined;
  if (!proxy || LOOPBACK_HOST.test(host)) return undefined;
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return settings.noProxy.some((entry) => bypasses(entry, host.replace(/^\[|\]$/g, ''), port)) ? undefined : proxy;
}

/** One NO_PROXY entry: `*`, a host or domain (`example.com` and `.example.com` both take subdomains), an IP or CIDR range; optional `:port`. */
function bypasses(entry: string, host: string, port: number): boolean {
  if (entry === '*') return true;
  let name = entry;
  let entryPort: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) [, name, entryPort] = bracketed;
  else if (entry.split(':').length === 2) [name, entryPort] = entry.split(':');
  if (entryPort !== undefined && Number(entryPort) !== port) return false;
  name = name.replace(/^\*?\.?/, '');
  const range = /^(.+)\/(\d{1,3})$/.exec(name);
  const family = isIP(host);
  if (range) {
    if (!family || isIP(range[1]) !== family) return false;
    const list = new BlockList();
    try {
      list.addSubnet(range[1], Number(range[2]), family === 6 ? 'ipv6' : 'ipv4');
    } catch {
      return false; // an impossible prefix length: matches nothing
    }
    return list.check(host, family === 6 ? 'ipv6' : 'ipv4');
  }
  return name !== '' && (host === name || host.endsWith(`.${name}`));
}

/** A proxy failed before Command was reached: never Command's answer, and the request was not sent. */
export class ProxyError extends Error {
  readonly code = 'ERR_PROXY';
  /** `final`: asking again cannot help (407, or the proxy's TLS certificate refused). */
  constructor(message: string, readonly status: number | undefined, readonly final: boolean) {
    super(message);
    this.name = 'ProxyError';
  }
}

/** The proxy as it may be printed: scheme, host and port, never its user or password. */
export function shownProxy(proxy: ProxyServer): string {
  return `${proxy.url.protocol}//${proxy.url.host} (${proxy.variable})`;
}

/**
 * HTTPS through a proxy: a CONNECT tunnel to Command's host and port, then TLS to Command inside
 * it with our CA and skip-verify settings, so the proxy sees neither the requests nor the
 * credentials. The socket is handed over before the handshake, so http.ts counts a request as
 * sent only once TLS to Command is up, never when only the proxy was reached.
 */
class TunnelAgent extends https.Agent {
  constructor(private readonly proxy: ProxyServer, private readonly timeoutMs: number, options: https.AgentOptions) {
    super({ ...options, keepAlive: false });
  }

  createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    openTunnel(this.proxy, String(options.hostname ?? options.host), Number(options.port) || 443, this.timeoutMs, this.options).then(
      (socket) => callback!(null, tls.connect({ ...(options as tls.ConnectionOptions), socket })),
      (e: Error) => callback!(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

function openTunnel(proxy: ProxyServer, host: string, port: number, timeoutMs: number, tlsToProxy: https.AgentOptions): Promise<Socket> {
  const target = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { Host: target };
  const { username, password, hostname, protocol } = proxy.url;
  if (username || password) {
    headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${decodedUserInfo(username)}:${decodedUserInfo(password)}`).toString('base64')}`;
  }
  const secure = protocol === 'https:';
  const proxyHost = hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const fail = (reason: string, status: number | undefined, final: boolean) =>
      reject(new ProxyError(`the proxy ${shownProxy(proxy)} ${reason}; the request never reached Command`, status, final));
    const req = (secure ? https : http).request({
      host: proxyHost,
      port: proxy.url.port || (secure ? 443 : 80),
      method: 'CONNECT',
      path: target,
      headers,
      agent: false,
      // The proxy's own name, not the Host header's (Command's); '' for an address: no SNI, checked against the address.
      ...(secure ? { ca: tlsToProxy.ca, rejectUnauthorized: tlsToProxy.rejectUnauthorized, servername: isIP(proxyHost) ? '' : proxyHost } : {}),
    });
    // Node hands every answer to a CONNECT to this event, whatever its status.
    req.once('connect', (res: http.IncomingMessage, socket: Socket, head: Buffer) => {
      socket.setTimeout(0);
      if (res.statusCode === 200) {
        if (head.length) socket.unshift(head);
        resolve(socket);
        return;
      }
      socket.destroy();
      const status = `HTTP ${res.statusCode}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
      const hint = res.statusCode === 407 ? ` (check the user and password in ${proxy.variable})` : '';
      fail(`answered ${status} to the CONNECT for ${target}: that is the proxy's answer, not Keyfactor Command's${hint}`, res.statusCode, res.statusCode === 407);
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer to the CONNECT within ${timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })));
    req.once('error', (e: NodeJS.ErrnoException) => {
      // describeTlsError's hints are about Command's address; this one is about the proxy's.
      const tlsProblem = describeTlsError(e, proxy.url.host) !== undefined;
      const hint = tlsProblem ? `: TLS to the proxy failed, check ${proxy.variable} (http:// for a proxy without TLS) and ${ENV.caCert}` : '';
      fail(`could not be reached or failed (${[e.code, e.message].filter(Boolean).join(': ')})${hint}`, undefined, tlsProblem);
    });
    req.end();
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

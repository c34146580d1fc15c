/**
 * HTTPS material made at start: a throw-away CA and a server certificate
 * signed by it. Keys come from node:crypto (fast, native); the X.509 encoding
 * comes from node-forge.
 *
 * Why node-forge rather than @peculiar/x509: it has no dependencies of its own
 * (jsii bundles every runtime dependency into the package, and @peculiar/x509
 * brings about a dozen asn1/tsyringe packages), and its synchronous API needs
 * no WebCrypto key juggling. It only builds and signs certificates here; node's
 * own TLS stack does all verification. It is loaded lazily, only when tls is on.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';

export interface TlsOptions {
  /** Names the server certificate is issued for (DNS names or IP addresses); default localhost and 127.0.0.1. */
  hostnames?: string[];
}

export interface TlsMaterial {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

export const DEFAULT_TLS_HOSTNAMES = ['localhost', '127.0.0.1'];

/** The part of node-forge used here (it ships no types of its own). */
interface ForgeCertificate {
  publicKey: unknown;
  serialNumber: string;
  validity: { notBefore: Date; notAfter: Date };
  setSubject(attributes: { shortName: string; value: string }[]): void;
  setIssuer(attributes: { shortName: string; value: string }[]): void;
  setExtensions(extensions: Record<string, unknown>[]): void;
  sign(key: unknown, digest: unknown): void;
  generateSubjectKeyIdentifier(): { getBytes(): string };
}

interface Forge {
  pki: {
    createCertificate(): ForgeCertificate;
    certificateToPem(cert: ForgeCertificate): string;
    privateKeyFromPem(pem: string): unknown;
    publicKeyFromPem(pem: string): unknown;
  };
  md: { sha256: { create(): unknown } };
}

function loadForge(): Forge {
  return createRequire(__filename)('node-forge') as Forge;
}

interface PemKeyPair {
  publicKey: string;
  privateKey: string;
}

function rsaKeyPair(): Promise<PemKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })));
  });
}

/** A random positive serial number (hex). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0] % 128;
  return bytes.toString('hex');
}

function validity(cert: ForgeCertificate, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 5 * 60_000); // tolerate clock skew
  cert.validity.notAfter = new Date(now + days * 86_400_000);
}

/** subjectAltName entries: type 7 (iPAddress) for IPs, 2 (dNSName) otherwise. */
function altNames(hostnames: string[]): Record<string, unknown>[] {
  return hostnames.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name }));
}

/** Makes a CA and a server certificate for `hostnames`, signed by that CA (RSA 2048, SHA-256). */
export async function createTlsMaterial(hostnames: string[] = DEFAULT_TLS_HOSTNAMES): Promise<TlsMaterial> {
  if (hostnames.length === 0) throw new Error('tls.hostnames must name at least one host');
  const forge = loadForge();
  const [caKeys, serverKeys] = await Promise.all([rsaKeyPair(), rsaKeyPair()]);
  const caKey = forge.pki.privateKeyFromPem(caKeys.privateKey);

  const ca = forge.pki.createCertificate();
  const caName = [
    { shortName: 'CN', value: `Keyfactor Simulator Test CA ${randomBytes(4).toString('hex')}` },
    { shortName: 'O', value: 'cdktf-keyfactor simulator' },
  ];
  ca.publicKey = forge.pki.publicKeyFromPem(caKeys.publicKey);
  ca.serialNumber = serialNumber();
  validity(ca, 30);
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKey, forge.md.sha256.create());

  const server = forge.pki.createCertificate();
  server.publicKey = forge.pki.publicKeyFromPem(serverKeys.publicKey);
  server.serialNumber = serialNumber();
  validity(server, 30);
  server.setSubject([{ shortName: 'CN', value: hostnames[0] }]);
  server.setIssuer(caName);
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: altNames(hostnames) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  server.sign(caKey, forge.md.sha256.create());

  return {
    caCertPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(server),
    keyPem: serverKeys.privateKey,
  };
}

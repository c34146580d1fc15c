import * as fs from 'fs';
import * as path from 'path';
import { RunnerError } from '../../src/runtime/errors';
import { SecretResolver } from '../../src/runtime/secrets';
import { connectionSettings, jobLookupTiming, maxQueryLength, readSettings, requestTimeoutMs, retryPolicy } from '../../src/runtime/settings';
import { CANARY, expectNoCanary, tempDir } from '../support/runtime';

/** A complete Basic-auth environment. */
const BASE = { KEYFACTOR_HOSTNAME: 'http://127.0.0.1:8080', KEYFACTOR_USERNAME: 'admin', KEYFACTOR_PASSWORD: CANARY.password };

describe('connection settings', () => {
  test('incomplete settings: one error saying what completes each mode', () => {
    const secrets = new SecretResolver({});
    const message = (env: Record<string, string>) => {
      try {
        connectionSettings(env, secrets);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    const userOnly = message({ KEYFACTOR_HOSTNAME: 'kf.example.test', KEYFACTOR_USERNAME: 'admin' });
    expect(userOnly).toContain('Basic: KEYFACTOR_USERNAME and KEYFACTOR_PASSWORD (optional KEYFACTOR_DOMAIN, or DOMAIN\\user as the user name) [KEYFACTOR_USERNAME set; missing KEYFACTOR_PASSWORD]');
    expect(userOnly).toContain('OAuth client credentials: KEYFACTOR_AUTH_CLIENT_ID, KEYFACTOR_AUTH_CLIENT_SECRET and KEYFACTOR_AUTH_TOKEN_URL');
    expect(userOnly).toContain('[none set]');
    expect(userOnly).toContain('OAuth access token: KEYFACTOR_AUTH_ACCESS_TOKEN [not set]');
    expect(userOnly).not.toContain('KEYFACTOR_HOSTNAME is not set');
    const noSecret = message({ KEYFACTOR_AUTH_CLIENT_ID: 'terraform', KEYFACTOR_AUTH_TOKEN_URL: 'https://idp.example.test/token', KEYFACTOR_PASSWORD: CANARY.password });
    expect(noSecret).toContain('KEYFACTOR_HOSTNAME is not set');
    expect(noSecret).toContain('[KEYFACTOR_PASSWORD set; missing KEYFACTOR_USERNAME]');
    expect(noSecret).toContain('[KEYFACTOR_AUTH_CLIENT_ID, KEYFACTOR_AUTH_TOKEN_URL set; missing KEYFACTOR_AUTH_CLIENT_SECRET]');
    expectNoCanary(userOnly, noSecret);
  });

  test('bad settings: plain HTTP to a non-loopback host, a missing CA file, a file without a certificate', () => {
    const secrets = new SecretResolver({});
    const settings = (extra: Record<string, string>) => () => connectionSettings({ ...BASE, ...extra }, secrets);
    expect(settings({ KEYFACTOR_HOSTNAME: 'http://kf.example.test' })).toThrow(
      'KEYFACTOR_HOSTNAME "http://kf.example.test" asks for plain HTTP to a non-loopback host; credentials would travel unencrypted. Use https://.');
    expect(settings({ KEYFACTOR_AUTH_ACCESS_TOKEN: 'x', KEYFACTOR_USERNAME: '', KEYFACTOR_HOSTNAME: 'kf.example.test', KEYFACTOR_AUTH_TOKEN_URL: 'http://idp.example.test/token' })).not.toThrow();
    expect(settings({ KEYFACTOR_USERNAME: '', KEYFACTOR_AUTH_CLIENT_ID: 'a', KEYFACTOR_AUTH_CLIENT_SECRET: 'b', KEYFACTOR_AUTH_TOKEN_URL: 'http://idp.example.test/token' }))
      .toThrow('KEYFACTOR_AUTH_TOKEN_URL "http://idp.example.test/token" asks for plain HTTP');
    expect(settings({ KEYFACTOR_HOSTNAME: 'https://user:pw@kf.example.test' })).toThrow('KEYFACTOR_HOSTNAME must not contain credentials');
    expect(connectionSettings({ ...BASE, KEYFACTOR_HOSTNAME: 'http://localhost:8080/ignored' }, secrets).baseUrl).toBe('http://localhost:8080/KeyfactorAPI');
    expect(connectionSettings({ ...BASE, KEYFACTOR_HOSTNAME: 'kf.example.test' }, secrets).baseUrl).toBe('https://kf.example.test/KeyfactorAPI');
    expect(settings({ KEYFACTOR_CA_CERT: '/nonexistent/ca.pem' })).toThrow('KEYFACTOR_CA_CERT: cannot read "/nonexistent/ca.pem" (ENOENT); give the path of a PEM file or the PEM text itself.');
    const notPem = path.join(tempDir('kf-ca-'), 'ca.txt');
    fs.writeFileSync(notPem, 'hello');
    expect(settings({ KEYFACTOR_CA_CERT: notPem })).toThrow('KEYFACTOR_CA_CERT: no PEM certificate (-----BEGIN CERTIFICATE-----) found in it.');
    expect(settings({ KEYFACTOR_CLIENT_TIMEOUT: 'soon' })).toThrow('KEYFACTOR_CLIENT_TIMEOUT must be a positive number of seconds, got "soon".');
    expect(settings({ CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '-1' })).toThrow('CDKTF_KEYFACTOR_RETRY_MAX_SECONDS must be a number of seconds >= 0');
  });
});

describe("the project's own settings", () => {
  test('the lookup window comes from CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS (default 30 s, polling every 1 s)', () => {
    expect(jobLookupTiming({})).toEqual({ timeoutMs: 30000, intervalMs: 1000 });
    expect(jobLookupTiming({ CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '5', CDKTF_KEYFACTOR_JOB_LOOKUP_INTERVAL_SECONDS: '0.25' })).toEqual({ timeoutMs: 5000, intervalMs: 250 });
    expect(jobLookupTiming({ CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '0' })).toEqual({ timeoutMs: 0, intervalMs: 1000 });
    expect(() => jobLookupTiming({ CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: 'soon' })).toThrow(RunnerError);
    expect(() => jobLookupTiming({ CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '-1' })).toThrow(/CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS must be a number of seconds >= 0, got "-1"/);
  });

  test('one rule for numbers: unset or blank is the default; anything invalid names the variable and what it takes', () => {
    expect(retryPolicy({}).budgetMs).toBe(60_000);
    expect(retryPolicy({ CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '  ' }).budgetMs).toBe(60_000);
    expect(retryPolicy({ CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0' }).budgetMs).toBe(0);
    expect(retryPolicy({ CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '2.5' }).budgetMs).toBe(2500);
    expect(() => retryPolicy({ CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: 'ten' }))
      .toThrow('CDKTF_KEYFACTOR_RETRY_MAX_SECONDS must be a number of seconds >= 0 (0 disables retries), got "ten".');
    expect(requestTimeoutMs({})).toBe(60_000);
    expect(requestTimeoutMs({ KEYFACTOR_CLIENT_TIMEOUT: '0.5' })).toBe(500);
    expect(() => requestTimeoutMs({ KEYFACTOR_CLIENT_TIMEOUT: '0' })).toThrow('KEYFACTOR_CLIENT_TIMEOUT must be a positive number of seconds, got "0".');
    expect(maxQueryLength({})).toBe(2000);
    expect(maxQueryLength({ CDKTF_KEYFACTOR_MAX_QUERY_LENGTH: '16000' })).toBe(16000);
    expect(maxQueryLength({ CDKTF_KEYFACTOR_MAX_QUERY_LENGTH: '100' })).toBe(100);
    for (const bad of ['99', '2000.5', 'long', 'Infinity']) {
      expect(() => maxQueryLength({ CDKTF_KEYFACTOR_MAX_QUERY_LENGTH: bad }))
        .toThrow(`CDKTF_KEYFACTOR_MAX_QUERY_LENGTH must be a whole number of characters >= 100, got "${bad}".`);
    }
  });

  test('the ledger: an absolute CDKTF_KEYFACTOR_LEDGER_DIR wins over the one chosen at synth (ledger/locate.test.ts has the rest)', () => {
    const dir = tempDir('kf-settings-');
    expect(readSettings({ CDKTF_KEYFACTOR_LEDGER_DIR: dir, CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR: '../../ledger' }).ledger.location).toEqual({ type: 'directory', path: dir });
    expect(readSettings({ CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR: '../../ledger' }).ledger.location).toEqual({ type: 'directory', path: path.resolve('../../ledger') });
    expect(() => readSettings({ CDKTF_KEYFACTOR_LEDGER_DIR: 'ledger' }))
      .toThrow('CDKTF_KEYFACTOR_LEDGER_DIR must be an absolute path (Terraform runs the runner from the stack directory), got "ledger".');
    expect(() => readSettings({ CDKTF_KEYFACTOR_LEDGER_TIMEOUT_SECONDS: 'soon' }))
      .toThrow('CDKTF_KEYFACTOR_LEDGER_TIMEOUT_SECONDS must be a positive number of seconds, got "soon".');
  });

  test('names the project used before it settled on one prefix are refused, naming the new one', () => {
    for (const [old, now] of [
      ['KEYFACTOR_LEDGER_DIR', 'CDKTF_KEYFACTOR_LEDGER_DIR'],
      ['KEYFACTOR_RETRY_MAX_SECONDS', 'CDKTF_KEYFACTOR_RETRY_MAX_SECONDS'],
      ['KEYFACTOR_MAX_QUERY_LENGTH', 'CDKTF_KEYFACTOR_MAX_QUERY_LENGTH'],
    ]) {
      expect(() => readSettings({ ...BASE, [old]: '1' })).toThrow(new RunnerError(`${old} was renamed ${now}: set ${now} instead.`));
      expect(() => connectionSettings({ ...BASE, [old]: '1' }, new SecretResolver({}))).toThrow(`${old} was renamed ${now}`);
    }
  });

  test('readSettings checks every setting but the connection before any request; the connection is read on demand', () => {
    expect(() => readSettings({ KEYFACTOR_CLIENT_TIMEOUT: 'soon' })).toThrow('KEYFACTOR_CLIENT_TIMEOUT must be a positive number of seconds');
    expect(() => readSettings({ CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '-1' })).toThrow('CDKTF_KEYFACTOR_RETRY_MAX_SECONDS must be');
    expect(() => readSettings({ CDKTF_KEYFACTOR_JOB_LOOKUP_INTERVAL_SECONDS: '0' })).toThrow('CDKTF_KEYFACTOR_JOB_LOOKUP_INTERVAL_SECONDS must be a number of seconds >= 0.05');
    // No host or credentials: fine until a request needs them.
    const settings = readSettings({ CDKTF_KEYFACTOR_MAX_QUERY_LENGTH: '4000' });
    expect(settings).toMatchObject({ maxQueryLength: 4000, jobLookup: { timeoutMs: 30000, intervalMs: 1000 } });
    expect(() => settings.connection(new SecretResolver({}))).toThrow(/^Keyfactor connection settings incomplete: KEYFACTOR_HOSTNAME is not set/);
    const secrets = new SecretResolver({});
    expect(readSettings(BASE).connection(secrets)).toMatchObject({ baseUrl: 'http://127.0.0.1:8080/KeyfactorAPI', timeoutMs: 60_000, auth: { type: 'basic' } });
    expect(secrets.redact(CANARY.password)).toBe('***'); // credentials are protected as soon as they are read
  });
});

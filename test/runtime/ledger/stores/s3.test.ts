import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { storeConformance, StoreUnderTest } from './conformance';
import type { S3Location } from '../../../../src/contract/ledger-location';
import type { ObjectClient } from '../../../../src/runtime/ledger';
import type { Credentials } from '../../../../src/runtime/ledger/stores';
import { clientModuleFile, loadClientModule } from '../../../../src/runtime/ledger/stores/load';
import { openClient } from '../../../../src/runtime/ledger/stores/s3/client';
import { failure } from '../../../support/runtime';
import { S3RVER_ACCESS_KEY_ID, S3Server, startS3Server } from '../../../support/servers/s3';

const BUCKET = 'kf-ledger';
/** A bucket of its own for the ledger at the bucket's top. */
const TOP_BUCKET = 'kf-top';
const GOOD_ENV = { AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: 'secret-s3rver-does-not-check' };
const BAD_SECRET = 'wrong-secret-7d41c9e2b8';
const BAD_ENV = { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNKEY000001', AWS_SECRET_ACCESS_KEY: BAD_SECRET };

let server: S3Server;
let n = 0;
const freshPrefix = () => `ledgers/t${process.pid}-${++n}`;

beforeAll(async () => {
  server = await startS3Server([BUCKET, TOP_BUCKET]);
});

afterAll(async () => {
  await server?.stop();
});

interface Opening {
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  profile?: string;
  env?: NodeJS.ProcessEnv;
  credentials?: Credentials;
  timeoutMs?: number;
}

function location(o: Opening = {}): S3Location {
  return {
    type: 's3',
    bucket: o.bucket ?? BUCKET,
    prefix: o.prefix ?? freshPrefix(),
    endpoint: 'endpoint' in o ? o.endpoint : server.endpoint,
    region: o.region,
    usePathStyle: true,
    profile: o.profile,
  };
}

function open(o: Opening = {}): ObjectClient {
  return openClient(location(o), o.credentials ?? {}, { timeoutMs: o.timeoutMs ?? 10_000, env: o.env ?? GOOD_ENV });
}

const s3Store = (): StoreUnderTest => ({
  type: 's3',
  open: (options) => open({ timeoutMs: options?.timeoutMs }),
  openMany: (count) => {
    const prefix = freshPrefix();
    return Array.from({ length: count }, () => open({ prefix }));
  },
  openAt: (port, options) => open({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: options.timeoutMs }),
  openWithBadCredentials: () => ({ client: open({ env: BAD_ENV }), secret: BAD_SECRET }),
  openMissing: () => ({ client: open({ bucket: 'kf-absent-bucket' }), missing: 'kf-absent-bucket' }),
  unreachableHint: /AWS_ENDPOINT_URL_S3|endpoint/,
  credentialsHint: /AWS_ACCESS_KEY_ID/,
  missingHint: /does not exist/,
});

storeConformance(s3Store);

test('the test server stores a PUT whole before it answers, and replaces an object atomically, as S3 does', async () => {
  // s3rver alone answered first and wrote in place: a shrinking record read back torn ("not valid JSON").
  const c = open();
  const bodies = Array.from({ length: 8 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(4000 - i * 400)}"}`);
  const read = async (expected: string[]) => {
    const got = (await c.get('records/k/torn.json'))!.toString();
    return expected.includes(got) ? 'whole' : `torn: ${got.length} bytes, ending ${JSON.stringify(got.slice(-12))}`;
  };
  for (let round = 0; round < 10; round++) {
    for (const body of [bodies[0], bodies[7]]) {
      await c.put('records/k/torn.json', Buffer.from(body));
      expect(await read([body])).toBe('whole');
    }
    await Promise.all(bodies.map((b) => c.put('records/k/torn.json', Buffer.from(b))));
    expect(await read(bodies)).toBe('whole');
  }
  expect(await c.list('records/k/')).toEqual(['records/k/torn.json']);
  await c.close();
});

async function roundTrip(c: ObjectClient, name = 'records/k/1.json', body = '{"ok":true}'): Promise<string> {
  await c.put(name, Buffer.from(body));
  expect(await c.list('records/')).toEqual([name]);
  return (await c.get(name))!.toString();
}

describe('credentials: the backend\'s, then the environment\'s, then the SDK\'s chain', () => {
  test('the backend\'s keys win over the environment\'s', async () => {
    const works = open({ env: BAD_ENV, credentials: { accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: 'backend-secret' } });
    const refused = open({ env: GOOD_ENV, credentials: { accessKeyId: 'AKIAUNKNOWNBACKEND01', secretAccessKey: 'backend-secret-5c2a91' } });
    try {
      expect(await roundTrip(works)).toBe('{"ok":true}');
      const e = await failure(refused.put('records/k/1.json', Buffer.from('{}')));
      expect(e.name).toBe('LedgerStoreError');
      expect(e.message).toContain(refused.location);
      expect(e.message).toMatch(/refused the credentials \(InvalidAccessKeyId\): check the s3 backend's access_key and secret_key/);
      expect(e.message).not.toContain('backend-secret');
    } finally {
      await Promise.all([works.close(), refused.close()]);
    }
  });

  describe('with a shared credentials file', () => {
    const saved: Record<string, string | undefined> = {};
    const variables = ['AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
      'AWS_EC2_METADATA_DISABLED', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI'];
    beforeAll(() => {
      // The SDK's chain reads the files process.env names.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3-profiles-'));
      fs.writeFileSync(path.join(dir, 'credentials'),
        `[good]\naws_access_key_id = ${S3RVER_ACCESS_KEY_ID}\naws_secret_access_key = profile-secret\n\n` +
        '[bad]\naws_access_key_id = AKIAUNKNOWNPROFILE01\naws_secret_access_key = profile-secret-0e4f2d\n');
      fs.writeFileSync(path.join(dir, 'config'), '');
      variables.forEach((v) => (saved[v] = process.env[v]));
      variables.forEach((v) => delete process.env[v]);
      process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
      process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
      // No instance role to ask: the chain ends here, without the network.
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
    });
    afterAll(() => {
      variables.forEach((v) => (saved[v] === undefined ? delete process.env[v] : (process.env[v] = saved[v])));
    });

    test('the environment\'s keys win over AWS_PROFILE; a profile the URL or backend names wins over the keys (as --profile does)', async () => {
      const works = open({ env: { ...GOOD_ENV, AWS_PROFILE: 'bad' } });
      const refused = open({ env: { ...BAD_ENV, AWS_PROFILE: 'good' } });
      const named = open({ env: BAD_ENV, profile: 'good' });
      const namedBad = open({ env: GOOD_ENV, profile: 'bad' });
      try {
        expect(await roundTrip(works)).toBe('{"ok":true}');
        expect(await roundTrip(named, 'records/k/3.json', '{"n":3}')).toBe('{"n":3}');
        const e = await failure(refused.put('records/k/1.json', Buffer.from('{}')));
        expect(e.message).toMatch(/refused the credentials \(InvalidAccessKeyId\): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
        expect(e.message).not.toContain(BAD_SECRET.slice(0, 6));
        expect((await failure(namedBad.put('records/k/1.json', Buffer.from('{}')))).message).toMatch(/check the AWS credentials the SDK found \(profile bad,/);
      } finally {
        await Promise.all([works.close(), refused.close(), named.close(), namedBad.close()]);
      }
    });

    test('without keys, the chain: the location\'s profile, else AWS_PROFILE of the environment', async () => {
      const byLocation = open({ env: {}, profile: 'good' });
      const byEnv = open({ env: { AWS_PROFILE: 'good' } });
      const refused = open({ env: { AWS_PROFILE: 'good' }, profile: 'bad' });
      try {
        expect(await roundTrip(byLocation)).toBe('{"ok":true}');
        expect(await roundTrip(byEnv, 'records/k/2.json', '{"n":2}')).toBe('{"n":2}');
        const e = await failure(refused.put('records/k/1.json', Buffer.from('{}')));
        expect(e.message).toContain(refused.location);
        expect(e.message).toMatch(/refused the credentials \(InvalidAccessKeyId\): check the AWS credentials the SDK found \(profile bad,/);
        expect(e.message).toMatch(/AWS_ACCESS_KEY_ID/);
        expect(e.message).not.toContain('profile-secret');
      } finally {
        await Promise.all([byLocation.close(), byEnv.close(), refused.close()]);
      }
    });

    test('no credentials anywhere: the message names every way to give them', async () => {
      const c = open({ env: {} });
      try {
        const e = await failure(c.get('jobs/x'));
        expect(e.name).toBe('LedgerStoreError');
        expect(e.message).toBe(`the ledger store ${c.location} found no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ` +
          'or AWS_PROFILE (or profile= in the URL), or the s3 backend\'s access_key and secret_key, or run where an instance or container role applies.');
      } finally {
        await c.close();
      }
    });
  });
});

describe('the ledger\'s prefix', () => {
  test('a ledger at the bucket\'s top and one under a nested prefix: names relative to each, nothing outside listed', async () => {
    const top = open({ bucket: TOP_BUCKET, prefix: '' });
    const nested = open({ bucket: TOP_BUCKET, prefix: 'team/app/ledger' });
    const parent = open({ bucket: TOP_BUCKET, prefix: 'team/app' });
    try {
      await top.put('records/a/1.json', Buffer.from('top'));
      await nested.put('records/a/1.json', Buffer.from('nested'));
      await nested.put('jobs/g1', Buffer.from('r1'));
      // Neighbours that share the nested prefix's characters but are not under it.
      await parent.put('ledger2/records/a/1.json', Buffer.from('sibling'));
      await parent.put('ledger.json', Buffer.from('beside'));

      expect((await nested.list('')).sort()).toEqual(['jobs/g1', 'records/a/1.json']);
      expect(await nested.list('records/')).toEqual(['records/a/1.json']);
      expect((await nested.get('records/a/1.json'))!.toString()).toBe('nested');
      expect(await nested.get('ledger2/records/a/1.json')).toBeUndefined();
      expect((await top.list('')).sort()).toEqual([
        'records/a/1.json', 'team/app/ledger.json', 'team/app/ledger/jobs/g1', 'team/app/ledger/records/a/1.json', 'team/app/ledger2/records/a/1.json',
      ]);
      expect(await top.list('records/')).toEqual(['records/a/1.json']);
      expect((await top.get('records/a/1.json'))!.toString()).toBe('top');
      expect((await top.get('team/app/ledger/records/a/1.json'))!.toString()).toBe('nested');
      expect(top.location).toBe(`s3://${TOP_BUCKET}/ at ${server.endpoint}`);
      expect(nested.location).toBe(`s3://${TOP_BUCKET}/team/app/ledger/ at ${server.endpoint}`);

      await nested.delete(['records/a/1.json', 'jobs/g1']);
      expect(await nested.list('')).toEqual([]);
      expect((await top.list('')).sort()).toEqual(['records/a/1.json', 'team/app/ledger.json', 'team/app/ledger2/records/a/1.json']);
    } finally {
      await Promise.all([top.close(), nested.close(), parent.close()]);
    }
  });
});

describe('the region', () => {
  test('nothing names one and there is no custom endpoint: a clear error, without the network', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 's3-home-'));
    const env = { ...GOOD_ENV, HOME: home, AWS_CONFIG_FILE: path.join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none') };
    const loc = location({ endpoint: undefined });
    const c = openClient(loc, {}, { timeoutMs: 10_000, env });
    const started = Date.now();
    try {
      const e = await failure(c.list('records/'));
      expect(e.name).toBe('LedgerStoreError');
      expect(e.message).toBe(`the ledger store s3://${BUCKET}/${loc.prefix}/ has no AWS region: ` +
        'set it (region= in the URL, the backend\'s region, AWS_REGION, or the profile\'s region in ~/.aws/config).');
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await c.close();
    }
  });

  test('a custom endpoint needs none; the location\'s region is used when given', async () => {
    const c = open({ env: { ...GOOD_ENV, HOME: os.tmpdir() }, region: 'eu-west-1' });
    try {
      expect(c.location).toMatch(/ \(region eu-west-1\)$/);
      expect(await roundTrip(c)).toBe('{"ok":true}');
    } finally {
      await c.close();
    }
  });
});

describe('the bundled client (bundle/runner/ledger-s3.cjs)', () => {
  test('a round trip against the server through loadClientModule', async () => {
    const bundled = loadClientModule('s3');
    const c = bundled.openClient(location(), {}, { timeoutMs: 10_000, env: GOOD_ENV });
    const missing = bundled.openClient(location({ bucket: 'kf-absent-bucket' }), {}, { timeoutMs: 10_000, env: GOOD_ENV });
    try {
      expect(await roundTrip(c, 'records/k/bundled.json', '{"bundled":1}')).toBe('{"bundled":1}');
      // The bundle's own error class, worded as the source's.
      const e = await failure(missing.list(''));
      expect(e.name).toBe('LedgerStoreError');
      expect(e.message).toMatch(/^bucket "kf-absent-bucket" does not exist \(ledger store s3:\/\/kf-absent-bucket\//);
    } finally {
      await Promise.all([c.close(), missing.close()]);
    }
  });

  test('loaded in a node process of its own, it prints nothing (no SDK warning) and works', () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    delete env.NODE_OPTIONS;
    const script = `
      const loc = ${JSON.stringify(location())};
      const c = require(${JSON.stringify(clientModuleFile('s3'))}).openClient(loc, {}, { timeoutMs: 10000, env: ${JSON.stringify(GOOD_ENV)} });
      c.put('jobs/child', Buffer.from('r'))
        .then(() => c.list('jobs/'))
        .then((names) => { if (JSON.stringify(names) !== '["jobs/child"]') process.exitCode = 3; return c.close(); })
        .catch((e) => { process.stderr.write(String(e && e.message)); process.exitCode = 2; });`;
    const child = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 30_000 });
    expect({ status: child.status, stdout: child.stdout, stderr: child.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });

    // The SDK itself does warn on this node (the check above can fail): a client made without ours.
    if (Number(process.versions.node.split('.')[0]) < 22) {
      const sdk = spawnSync(process.execPath, ['-e', 'const { S3Client } = require(\'@aws-sdk/client-s3\'); new S3Client({ region: \'us-east-1\' });'],
        { env, encoding: 'utf8', timeout: 30_000, cwd: path.resolve(__dirname, '..', '..', '..', '..') });
      expect(sdk.stderr).toContain('NodeVersionSupportWarning');
    }
  });
});

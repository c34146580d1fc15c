import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api } from './helpers';
import { DEFAULT_SEED, KeyfactorSimulator, loadSeedFile } from '../../src/simulator';

const dir = mkdtempSync(join(tmpdir(), 'kf-sim-seed-'));
const write = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

describe('seeds', () => {
  test('the default seed round-trips through a JSON file', () => {
    expect(loadSeedFile(write('default.json', DEFAULT_SEED))).toEqual(DEFAULT_SEED);
  });

  test('errors name the bad field', () => {
    const badGuid = structuredClone(DEFAULT_SEED);
    badGuid.stores[2].AgentId = 'nope';
    expect(() => loadSeedFile(write('guid.json', badGuid))).toThrow(/stores\[2\]\.AgentId: Invalid GUID/);

    const orphan = structuredClone(DEFAULT_SEED);
    orphan.stores[0].AgentId = '33333333-3333-4333-8333-333333333333';
    expect(() => loadSeedFile(write('orphan.json', orphan))).toThrow(/stores\[0\]\.AgentId: no orchestrator/);

    const { tokens: _tokens, ...noTokens } = DEFAULT_SEED;
    expect(() => loadSeedFile(write('tokens.json', noTokens))).toThrow(/tokens: Required/);
    expect(() => loadSeedFile(write('broken.json', '{'))).toThrow(/Cannot read simulator seed file/);
  });

  test('store behaviour and OAuth client fields are validated', () => {
    const seed = structuredClone(DEFAULT_SEED);
    seed.stores[0].retriesBeforeSuccess = 1.5;
    seed.stores[1].jobDurationMs = { waitingMs: -1 };
    seed.oauthClients = [{ clientId: 'b', clientSecret: '' }];
    expect(() => loadSeedFile(write('behaviour.json', seed))).toThrow(
      /stores\[0\]\.retriesBeforeSuccess: .*stores\[1\]\.jobDurationMs\.waitingMs: .*oauthClients\[0\]\.clientSecret: /,
    );
    const twice = { ...structuredClone(DEFAULT_SEED), oauthClients: [{ clientId: 'a', clientSecret: 'x' }, { clientId: 'A', clientSecret: 'y' }] };
    expect(() => loadSeedFile(write('twice.json', twice))).toThrow(/oauthClients\[1\]\.clientId: duplicate clientId 'A'/);
    const { oauthClients: _clients, ...noClients } = DEFAULT_SEED;
    expect(loadSeedFile(write('no-clients.json', noClients)).oauthClients).toBeUndefined();
  });

  test('a custom seed: user without domain, custom api path', async () => {
    const seed = { ...structuredClone(DEFAULT_SEED), users: [{ username: 'ops', password: 'pw' }], tokens: [] };
    const sim = await KeyfactorSimulator.start({ seed, apiPath: 'Custom/API' });
    try {
      const auth = `Basic ${Buffer.from('ops:pw').toString('base64')}`;
      const res = await api(sim, { Authorization: auth }).get(`${sim.url}/custom/api/CertificateStores`);
      expect(res.status).toBe(200);
      expect((await api(sim).get(`${sim.url}/custom/api/CertificateStores`)).status).toBe(401);
      expect(sim.received('GET', 'CertificateStores')).toHaveLength(2);
    } finally {
      await sim.stop();
    }
  });
});

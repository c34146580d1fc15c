import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SEED, KeyfactorSimulator, loadSeedFile } from '../../src/simulator';
import { api } from './helpers';

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

import { api } from './helpers';
import { KeyfactorSimulator } from '../../src/simulator';

let sim: KeyfactorSimulator;

beforeAll(async () => {
  sim = await KeyfactorSimulator.start();
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => sim.reset());

const entries = (provider: number | string = 1) => `/PamProviders/Local/${provider}/Entries`;

describe('/PamProviders/Local/{providerId}/Entries', () => {
  test('create, list (no SecretValue), full-replace update, delete', async () => {
    const created = await api(sim).post(entries(), { SecretName: 'web-store', Description: 'Web store password', SecretValue: 's3cret' });
    expect(created.status).toBe(200);
    expect(created.data).toEqual({ ProviderId: 1, SecretName: 'web-store', Description: 'Web store password' });
    await api(sim).post(entries(), { SecretName: 'app-store', SecretValue: 'other' });

    const list = await api(sim).get(entries());
    expect(list.status).toBe(200);
    expect(list.data).toEqual([
      { ProviderId: 1, SecretName: 'web-store', Description: 'Web store password' },
      { ProviderId: 1, SecretName: 'app-store', Description: null },
    ]);
    expect(JSON.stringify(list.data)).not.toContain('s3cret');

    const one = await api(sim).get(entries(), { params: { QueryString: 'SecretName -eq "app-store"' } });
    expect(one.data.map((e: { SecretName: string }) => e.SecretName)).toEqual(['app-store']);

    // Description omitted -> cleared; SecretValue omitted -> kept.
    const updated = await api(sim).put(entries(), { SecretName: 'web-store' });
    expect(updated.status).toBe(200);
    expect(updated.data).toEqual({ ProviderId: 1, SecretName: 'web-store', Description: null });
    expect(sim.pamEntries(1)[0]).toEqual({ SecretName: 'web-store', Description: null, SecretValue: 's3cret' });
    await api(sim).put(entries(), { SecretName: 'web-store', Description: 'again', SecretValue: 'rotated' });
    expect(sim.pamEntries(1)[0]).toEqual({ SecretName: 'web-store', Description: 'again', SecretValue: 'rotated' });

    const deleted = await api(sim).delete(entries(), { params: { secretName: 'web-store' } });
    expect(deleted.status).toBe(204);
    expect(sim.pamEntries(1).map((e) => e.SecretName)).toEqual(['app-store']);
  });

  test('validation and errors', async () => {
    await api(sim).post(entries(), { SecretName: 'dup', SecretValue: 'x' });
    const dup = await api(sim).post(entries(), { SecretName: 'dup', SecretValue: 'y' });
    expect(dup.status).toBe(400);
    expect(dup.data.Message).toMatch(/already exists/);

    const noValue = await api(sim).post(entries(), { SecretName: 'n' });
    expect(noValue.data.Message).toBe('SecretValue: Required');
    const longName = await api(sim).post(entries(), { SecretName: 'x'.repeat(401), SecretValue: 'v' });
    expect(longName.data.Message).toMatch(/^SecretName: /);
    const longDescription = await api(sim).post(entries(), { SecretName: 'd', SecretValue: 'v', Description: 'x'.repeat(2001) });
    expect(longDescription.data.Message).toMatch(/^Description: /);

    expect((await api(sim).put(entries(), { SecretName: 'absent' })).status).toBe(404);
    expect((await api(sim).delete(entries())).status).toBe(400);
    const missing = await api(sim).delete(entries(), { params: { secretName: 'absent' } });
    expect(missing.status).toBe(404);
    expect(missing.data.Message).toMatch(/absent/);
  });

  test('provider must be a valid, known, local provider', async () => {
    expect((await api(sim).get(entries(0))).status).toBe(400);
    expect((await api(sim).get(entries('abc'))).status).toBe(400);
    expect((await api(sim).get(entries(2147483648))).status).toBe(400);
    expect((await api(sim).get(entries(9))).status).toBe(400);
    const remote = await api(sim).post(entries(2), { SecretName: 'a', SecretValue: 'b' });
    expect(remote.status).toBe(400);
    expect(remote.data.Message).toMatch(/not a local PAM provider/);
  });
});

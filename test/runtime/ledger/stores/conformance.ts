/**
 * What every shared ledger store must do, run against each store's real server (S3-compatible,
 * Azurite, PostgreSQL): the object client's get/put/list/delete, a ledger over it (records by
 * instance, job markers, removal), many writers at once, and failures that name the store and what
 * to check, within the store's time limit, without a credential in the message.
 */
import type { LedgerStoreType } from '../../../../src/contract/ledger-location';
import { beginRecord, identityKey, ObjectClient, ObjectStore, RecordBase } from '../../../../src/runtime/ledger';
import { failure } from '../../../support/runtime';
import { closedPort, startSilentServer } from '../../../support/servers/silent';

export interface StoreUnderTest {
  readonly type: Exclude<LedgerStoreType, 'directory'>;
  /** Words the message of an unreachable store must hold (e.g. the endpoint variable to check). */
  readonly unreachableHint: RegExp;
  readonly credentialsHint: RegExp;
  readonly missingHint: RegExp;
  /** A client of a fresh, empty ledger (its own prefix or table) on the running server. */
  open(options?: { timeoutMs?: number }): ObjectClient;
  /** `n` clients of one fresh, empty ledger (as `n` runner processes have). */
  openMany(n: number): ObjectClient[];
  /** A client of the same kind pointed at `port` on 127.0.0.1, where the server is not. */
  openAt(port: number, options: { timeoutMs: number }): ObjectClient;
  /** A client whose credentials the server refuses; `secret` is the wrong secret it holds. */
  openWithBadCredentials(): { client: ObjectClient; secret: string };
  /** A client of a place that does not exist (bucket, container, database), and its name. */
  openMissing(): { client: ObjectClient; missing: string };
}

const origin = { host: 'kf.example.com', apiPath: 'KeyfactorAPI', workspace: 'default' };
const base: RecordBase = { operation: 'CertificateDeployment', phase: 'create', stack: 's', constructPath: 's/web', instanceKey: 'k', specHash: '0123456789abcdef', origin };
const GUID = (n: number) => `3fa85f64-5717-4562-b3fc-${String(n).padStart(12, '0')}`;

export function storeConformance(store: () => StoreUnderTest): void {
  describe('the object client', () => {
    test('put, get, overwrite; an absent object is undefined', async () => {
      const c = store().open();
      try {
        expect(await c.get('a/b.json')).toBeUndefined();
        await c.put('a/b.json', Buffer.from('{"x":1}'));
        expect((await c.get('a/b.json'))!.toString()).toBe('{"x":1}');
        await c.put('a/b.json', Buffer.from('{"x":2}\n'));
        expect((await c.get('a/b.json'))!.toString()).toBe('{"x":2}\n');
      } finally {
        await c.close();
      }
    });

    test('list gives names under a prefix only, relative to the ledger, every page of them; delete takes many at once', async () => {
      const c = store().open();
      try {
        const names = Array.from({ length: 1050 }, (_, i) => `records/ab/${String(i).padStart(5, '0')}.json`);
        for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => c.put(n, Buffer.from('{}'))));
        await c.put('records/ac/other.json', Buffer.from('{}'));
        await c.put('jobs/x', Buffer.from('r'));
        expect((await c.list('records/ab/')).sort()).toEqual(names);
        expect(await c.list('records/ac/')).toEqual(['records/ac/other.json']);
        expect(await c.list('nothing/')).toEqual([]);
        await c.delete([...names, 'absent/never-written.json']);
        expect(await c.list('records/ab/')).toEqual([]);
        expect((await c.list('')).sort()).toEqual(['jobs/x', 'records/ac/other.json']);
      } finally {
        await c.close();
      }
    });

    test('two ledgers on one server do not see each other', async () => {
      const [a, b] = [store().open(), store().open()];
      try {
        await a.put('records/k/1.json', Buffer.from('a'));
        expect(await b.list('')).toEqual([]);
        expect(await b.get('records/k/1.json')).toBeUndefined();
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });

  describe('a ledger over it', () => {
    test('records by instance, oldest first; job markers; removal', async () => {
      const ledger = new ObjectStore(store().type, store().open());
      try {
        const first = await beginRecord(ledger, base);
        await first.finish('succeeded', { jobIds: [GUID(1).toUpperCase()] });
        const other = await beginRecord(ledger, { ...base, instanceKey: 'other' });
        const second = await beginRecord(ledger, base);
        const mine = await ledger.read({ identityKeys: new Set([identityKey(base)]) });
        expect(mine.map((r) => r.recordId)).toEqual([first.current.recordId, second.current.recordId]);
        expect(mine[0]).toMatchObject({ outcome: 'succeeded', jobIds: [GUID(1).toUpperCase()] });
        expect((await ledger.read()).map((r) => r.recordId).sort()).toEqual([first, other, second].map((h) => h.current.recordId).sort());
        expect([...await ledger.recordedJobs([GUID(1), GUID(2)])]).toEqual([[GUID(1), first.current.recordId]]);
        await ledger.remove([first.current]);
        expect((await ledger.read()).map((r) => r.recordId).sort()).toEqual([other, second].map((h) => h.current.recordId).sort());
        expect((await ledger.recordedJobs([GUID(1)])).size).toBe(0); // its marker went with it
      } finally {
        await ledger.close();
      }
    });

    test('a damaged record is skipped with a warning naming it where readers allow, and stops a reader of its instance otherwise', async () => {
      const client = store().open();
      const ledger = new ObjectStore(store().type, client);
      try {
        const good = await beginRecord(ledger, base);
        const bad = `records/${identityKey(base)}/20260101T000000000Z-1-deadbeef-${identityKey(base)}.json`;
        await client.put(bad, Buffer.from('{"recordId": trunc'));
        const skipped: string[] = [];
        expect((await ledger.read({ onUnreadable: (where) => skipped.push(where) })).map((r) => r.recordId)).toEqual([good.current.recordId]);
        expect(skipped).toEqual([expect.stringContaining(bad)]);
        await expect(ledger.read({ identityKeys: new Set([identityKey(base)]) })).rejects.toThrow(/is not valid JSON .*: it was damaged outside cdktf-keyfactor; delete it/);
      } finally {
        await ledger.close();
      }
    });

    test('twenty writers at once, each its own client (runner processes): every record and every update present', async () => {
      const writers = store().openMany(20).map((c) => new ObjectStore(store().type, c));
      try {
        const handles = await Promise.all(writers.map((w, i) => beginRecord(w, { ...base, instanceKey: `k${i}` })));
        await Promise.all(handles.map((h, i) => h.finish('succeeded', { jobIds: [GUID(100 + i)] })));
        const all = await writers[0].read();
        expect(all).toHaveLength(20);
        expect(all.every((r) => r.outcome === 'succeeded')).toBe(true);
        expect(all.flatMap((r) => r.jobIds).sort()).toEqual(handles.map((_, i) => GUID(100 + i)).sort());
        expect((await writers[19].recordedJobs(handles.map((_, i) => GUID(100 + i)))).size).toBe(20);
      } finally {
        await Promise.all(writers.map((w) => w.close()));
      }
    });
  });

  describe('failures name the store and what to check', () => {
    test('nothing listening: a clear error, quickly', async () => {
      const port = await closedPort();
      const c = store().openAt(port, { timeoutMs: 5000 });
      const started = Date.now();
      try {
        const e = await failure(c.put('records/k/1.json', Buffer.from('{}')));
        expect(e.message).toContain(c.location);
        expect(e.message).toMatch(store().unreachableHint);
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        await c.close().catch(() => undefined);
      }
    });

    test('a store that accepts and never answers: an error within its time limit, for reads and writes', async () => {
      const silent = await startSilentServer();
      const c = store().openAt(silent.port, { timeoutMs: 1500 });
      try {
        for (const call of [() => c.put('records/k/1.json', Buffer.from('{}')), () => c.list('records/'), () => c.get('jobs/x')]) {
          const started = Date.now();
          const e = await failure(call());
          expect(e.message).toContain(c.location);
          expect(e.message).toMatch(/did not answer within 1\.5 ?s|CDKTF_KEYFACTOR_LEDGER_TIMEOUT_SECONDS/);
          expect(Date.now() - started).toBeLessThan(1500 + 2500);
        }
      } finally {
        await c.close().catch(() => undefined);
        await silent.stop();
      }
    });

    test('refused credentials: the message says which credential to check, and holds no part of the secret', async () => {
      const { client, secret } = store().openWithBadCredentials();
      try {
        const e = await failure(client.put('records/k/1.json', Buffer.from('{}')));
        expect(e.message).toContain(client.location);
        expect(e.message).toMatch(store().credentialsHint);
        expect(e.message).not.toContain(secret);
        expect(e.message).not.toContain(secret.slice(0, 6));
      } finally {
        await client.close().catch(() => undefined);
      }
    });

    test('a place that does not exist: named, with what to do', async () => {
      const { client, missing } = store().openMissing();
      try {
        const e = await failure(client.put('records/k/1.json', Buffer.from('{}')));
        expect(e.message).toContain(missing);
        expect(e.message).toMatch(store().missingHint);
      } finally {
        await client.close().catch(() => undefined);
      }
    });
  });
}


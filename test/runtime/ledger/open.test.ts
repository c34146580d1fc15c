import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DirectoryStore, identityKey, moveIn, newer, noticeOncePerApply, openLedger, readWithLocal, RecordBase, recordFile } from '../../../src/runtime/ledger';
import { writeRecord } from '../../support/ledger';
import { tempDir } from '../../support/runtime';

const origin = { host: 'kf.example.com', apiPath: 'KeyfactorAPI', workspace: 'default' };
const base: RecordBase = { operation: 'CertificateDeployment', phase: 'create', stack: 's', constructPath: 's/web', instanceKey: 'k', specHash: '0123456789abcdef', origin };
const GUID = '3fa85f64-5717-4562-b3fc-2c963f66afa6';

/**
 * The local directory beside a shared store: records wait there when the store could not take
 * them after Command answered (and an earlier version kept them all there). A run that reads its
 * instance's records moves that instance's local ones in first. The logic does not depend on the
 * store, so a second directory stands for it here; each store's own tests run it for real.
 */
describe('records waiting in the local directory', () => {
  function ledgerPair() {
    const [shared, local] = [tempDir('kf-shared-'), tempDir('kf-local-')];
    const ledger = openLedger({ location: { type: 'directory', path: shared }, credentials: {}, source: 'test', local }, {});
    return { shared, local, ledger };
  }

  test('a run reading its instance moves that instance\'s local records into the store, and only those', async () => {
    const { shared, local, ledger } = ledgerPair();
    const waiting = writeRecord(local, base, { outcome: 'succeeded', jobIds: [GUID], finishedAt: new Date().toISOString() });
    const other = writeRecord(local, { ...base, instanceKey: 'other' });
    const read = await readWithLocal(ledger, { identityKeys: new Set([identityKey(base)]) });
    expect(read).toEqual([waiting]);
    expect(new DirectoryStore(shared).isDirectory()).toBe(true);
    expect((await new DirectoryStore(shared).read()).map((r) => r.recordId)).toEqual([waiting.recordId]);
    // Moved: gone locally; the other instance's record waits for its own run.
    expect((await new DirectoryStore(local).read()).map((r) => r.recordId)).toEqual([other.recordId]);
  });

  test('a record the store could not take (unsent) goes in with the next read of any instance; it is removed locally once in', async () => {
    const { shared, local, ledger } = ledgerPair();
    const spooled = writeRecord(ledger.unsent!.directory, { ...base, instanceKey: 'held' }, { outcome: 'succeeded', jobIds: [GUID], finishedAt: new Date().toISOString() });
    expect(await readWithLocal(ledger, { identityKeys: new Set([identityKey(base)]) })).toEqual([]);
    expect(await new DirectoryStore(shared).read()).toEqual([spooled]);
    expect(await ledger.unsent!.read()).toEqual([]);
    // The unsent directory is no part of the local ledger: a full read of it does not list them twice.
    expect(await new DirectoryStore(local).read()).toEqual([]);
  });

  test('each shared store has its own unsent directory: stacks of one project keep their ledgers apart', async () => {
    const local = tempDir('kf-local-');
    const [a, b] = [tempDir('kf-a-'), tempDir('kf-b-')].map((dir) => openLedger({ location: { type: 'directory', path: dir }, credentials: {}, source: 'test', local }, {}));
    expect(a.unsent!.directory).not.toBe(b.unsent!.directory);
    expect(path.dirname(a.unsent!.directory)).toBe(path.join(local, 'unsent'));
    const forB = writeRecord(b.unsent!.directory, base, { outcome: 'succeeded', finishedAt: new Date().toISOString() });
    await readWithLocal(a, { identityKeys: new Set([identityKey(base)]) });
    expect(await a.store.read()).toEqual([]);
    await readWithLocal(b, { identityKeys: new Set([identityKey({ ...base, instanceKey: 'x' })]) });
    expect(await b.store.read()).toEqual([forB]);
  });

  test('a record being moved is claimed: written again meanwhile, the new copy stays for the next move; a move that fails puts it back', async () => {
    const { local } = ledgerPair();
    const dir = new DirectoryStore(local);
    const first = writeRecord(local, base, { rev: 2, jobIds: [GUID] });
    const claim = dir.claim(first.recordId)!;
    expect(claim.record).toEqual(first);
    expect(dir.claim(first.recordId)).toBeUndefined(); // a second mover finds it gone
    dir.putSync({ ...first, outcome: 'succeeded', rev: 3 }); // the run that kept it writes it again
    claim.done();
    expect(await dir.read()).toEqual([{ ...first, outcome: 'succeeded', rev: 3 }]);
    // A failed move: released back, unless a newer copy was written meanwhile.
    const again = dir.claim(first.recordId)!;
    again.release();
    expect(await dir.read()).toEqual([{ ...first, outcome: 'succeeded', rev: 3 }]);
    const third = dir.claim(first.recordId)!;
    dir.putSync({ ...first, outcome: 'succeeded', rev: 4 });
    third.release();
    expect((await dir.read())[0].rev).toBe(4);
    expect(fs.readdirSync(path.dirname(recordFile(local, first.recordId)))).toEqual([path.basename(recordFile(local, first.recordId))]);
  });

  test('a settled local copy replaces the store\'s open one (the write that failed after Command answered); an open one never replaces a settled one', async () => {
    const { shared, local } = ledgerPair();
    const inFlight = writeRecord(shared, base, { sendingAt: new Date().toISOString() });
    const settled = { ...inFlight, outcome: 'succeeded' as const, jobIds: [GUID], finishedAt: new Date().toISOString() };
    expect(newer(settled, inFlight)).toBe(true);
    expect(newer(inFlight, settled)).toBe(false);
    expect(newer(settled, settled)).toBe(false);
    expect(newer({ ...settled, jobIds: [GUID, '3fa85f64-5717-4562-b3fc-000000000002'] }, settled)).toBe(true);
    expect(newer(settled, undefined)).toBe(true);
    // With revisions (every write counts one up), the later write wins, whatever it says: a PFX
    // replacement's answer (no GUID) kept locally beats the store's earlier in-flight copy.
    const answered = { ...inFlight, rev: 3, response: { SuccessfulStores: ['s'] } };
    expect(newer(answered, { ...inFlight, rev: 2 })).toBe(true);
    expect(newer({ ...settled, rev: 3 }, { ...inFlight, outcome: 'failed' as const, rev: 4 })).toBe(false);
    expect(newer({ ...inFlight, response: { SuccessfulStores: ['s'] } }, inFlight)).toBe(true); // without revisions: the answer counts

    new DirectoryStore(local).putSync(settled);
    const store = new DirectoryStore(shared);
    expect(await moveIn(store, new DirectoryStore(local), [settled])).toBe(1);
    expect(await store.read()).toEqual([settled]);
    // Copying again (ledger copy run twice) writes nothing.
    expect(await moveIn(store, undefined, [settled])).toBe(0);
    expect(await moveIn(store, undefined, [inFlight])).toBe(0);
    expect(await store.read()).toEqual([settled]);
  });

  test('a store that cannot take them fails the read: nothing is sent without knowing what an earlier run did', async () => {
    const local = tempDir('kf-local-');
    writeRecord(local, base);
    const file = path.join(tempDir('kf-shared-'), 'not-a-directory');
    fs.writeFileSync(file, '');
    const ledger = openLedger({ location: { type: 'directory', path: file }, credentials: {}, source: 'test', local }, {});
    await expect(readWithLocal(ledger, { identityKeys: new Set([identityKey(base)]) })).rejects.toThrow(/the ledger location .*not-a-directory is not a directory/);
    expect(await new DirectoryStore(local).read()).toHaveLength(1); // still waiting
  });

  test('a directory ledger that is the local directory has nothing beside it', () => {
    const dir = tempDir('kf-ledger-');
    expect(openLedger({ location: { type: 'directory', path: dir }, credentials: {}, source: 'test', local: dir }, {}).local).toBeUndefined();
  });
});

describe('the warning for a backend the ledger cannot follow', () => {
  test('printed once per apply: by the first of the runner processes terraform starts, not by each', () => {
    const stack = tempDir('kf-stack-');
    const runner = `
      require('ts-node').register({ transpileOnly: true, project: ${JSON.stringify(path.resolve(__dirname, '../../tsconfig.json'))} });
      const { noticeOncePerApply } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/runtime/ledger'))});
      noticeOncePerApply('the ledger stays here', ${JSON.stringify(stack)}, (l) => process.stdout.write(l + '\\n'));`;
    // An apply: one parent (terraform) starting the runners one after another; its output is theirs.
    const apply = (runners: number) => spawnSync(process.execPath, ['-e', `
      const { spawnSync } = require('child_process');
      for (let i = 0; i < ${runners}; i++) spawnSync(process.execPath, ['-e', process.env.RUNNER], { stdio: 'inherit' });`],
    { env: { ...process.env, RUNNER: runner }, encoding: 'utf8' });
    expect(apply(3).stdout.match(/the ledger stays here/g)).toHaveLength(1);
    // The next apply (another terraform process) warns again.
    expect(apply(1).stdout.match(/the ledger stays here/g)).toHaveLength(1);
  });

  test('written through the given function', () => {
    const lines: string[] = [];
    noticeOncePerApply('x', tempDir('kf-stack-'), (l) => lines.push(l));
    expect(lines).toEqual(['x']);
  });
});

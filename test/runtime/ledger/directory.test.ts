import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Ledger } from '../../../src/ledger';
import { RunnerError } from '../../../src/runtime/errors';
import { beginRecord, DirectoryStore, identityKey, LedgerHandle, readLedgerDir, recordFile, sameOrigin } from '../../../src/runtime/ledger';
import { tempDir } from '../../support/runtime';

const origin = { host: 'kf.example.com', apiPath: 'KeyfactorAPI', workspace: 'default' };
const base = { operation: 'CertificateDeployment', phase: 'create', stack: 's', constructPath: 's/web', instanceKey: 'k', specHash: '0123456789abcdef', origin };

/**
 * Finishes the record `handle` wrote, in a separate node process whose file size limit
 * (RLIMIT_FSIZE) is `bytes`: a write that would make a file bigger is cut short with EFBIG, as a
 * full disk or a quota cuts it short. Returns what that process printed.
 */
function finishUnderFileSizeLimit(dir: string, handle: LedgerHandle, fields: object, bytes: number): string {
  const script = `
    const { DirectoryStore } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/runtime/ledger'))});
    const [dir, entry, fields] = JSON.parse(process.env.CASE);
    try { new DirectoryStore(dir).putSync({ ...entry, ...fields, outcome: 'succeeded' }); console.log('written'); } catch (e) { console.log(e.message); }`;
  return execFileSync('prlimit', [`--fsize=${bytes}`, process.execPath, '-r', 'ts-node/register/transpile-only', '-e', script], {
    env: { ...process.env, CASE: JSON.stringify([dir, handle.current, fields]), TS_NODE_PROJECT: path.resolve(__dirname, '../../tsconfig.json') },
    encoding: 'utf8',
  }).trim();
}

const begin = (dir: string, b: Parameters<typeof beginRecord>[1] = base) => beginRecord(new DirectoryStore(dir), b);

describe('the directory store', () => {
  test('begin() writes an in-flight record at once; finish() completes the same file', async () => {
    const dir = tempDir('kf-ledger-');
    const handle = (await begin(dir));
    const [inFlight] = readLedgerDir(dir);
    expect(inFlight).toMatchObject({ ...base, outcome: 'in-flight', jobIds: [], request: {} });
    expect(inFlight.recordId).toBe(handle.current.recordId);
    // In the subdirectory named for the first two characters of the identity key.
    const shard = identityKey(base).slice(0, 2);
    expect(fs.readdirSync(dir)).toEqual([shard]);
    expect(fs.readdirSync(path.join(dir, shard))).toEqual([`${inFlight.recordId}.record.json`]);
    expect(recordFile(dir, inFlight.recordId)).toBe(path.join(dir, shard, `${inFlight.recordId}.record.json`));
    expect((fs.statSync(recordFile(dir, inFlight.recordId)).mode % 0o1000).toString(8)).toBe('600'); // owner only

    await handle.update({ jobIds: ['a'] });
    expect(readLedgerDir(dir)[0]).toMatchObject({ outcome: 'in-flight', jobIds: ['a'] });
    await handle.finish('succeeded', { message: 'done' });
    const [done] = readLedgerDir(dir);
    expect(done).toMatchObject({ recordId: inFlight.recordId, outcome: 'succeeded', jobIds: ['a'], message: 'done' });
    expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));
  });

  test('a record subdirectory takes its ledger\'s mode, not the umask\'s: a ledger shared by a group stays writable by the group', async () => {
    const dir = tempDir('kf-ledger-');
    fs.chmodSync(dir, 0o2770);
    const mask = process.umask(0o077);
    try {
      const handle = (await begin(dir));
      expect((fs.statSync(path.dirname(recordFile(dir, handle.current.recordId))).mode % 0o10000).toString(8)).toBe('2770');
    } finally {
      process.umask(mask);
    }
  });

  test('a write cut short (file size limit) leaves the previous record whole and no temp file', async () => {
    const dir = tempDir('kf-ledger-');
    const handle = (await begin(dir));
    const file = recordFile(dir, handle.current.recordId);
    const previous = fs.readFileSync(file, 'utf8');
    const big = { jobIds: ['3fa85f64-5717-4562-b3fc-2c963f66afa6'], request: { note: 'x'.repeat(4000) } };

    expect(finishUnderFileSizeLimit(dir, handle, big, previous.length + 100)).toBe(`cannot write ledger record ${file} (EFBIG).`);
    // The record on disk is still the complete in-flight one; nothing half-written is left.
    expect(fs.readFileSync(file, 'utf8')).toBe(previous);
    expect(readLedgerDir(dir)).toEqual([JSON.parse(previous)]);
    expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)]);

    // Once there is room again the same handle writes the whole record.
    await handle.finish('succeeded', big);
    expect(readLedgerDir(dir)[0]).toMatchObject({ outcome: 'succeeded', jobIds: big.jobIds });
  });

  test('the ledger directory vanishing between writes (an unmounted volume) is a clear error, with no temp file', async () => {
    const dir = tempDir('kf-ledger-');
    const store = new DirectoryStore(path.join(dir, 'ledger'));
    const handle = await beginRecord(store, base);
    fs.rmSync(path.join(dir, 'ledger'), { recursive: true });
    const file = recordFile(path.join(dir, 'ledger'), handle.current.recordId);
    await expect(handle.finish('succeeded')).rejects.toThrow(new RunnerError(`cannot write ledger record ${file} (ENOENT).`));
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('a record is named by its id (start time, process, random, identity key) and written as indented JSON with a final newline', async () => {
    const dir = tempDir('kf-ledger-');
    const handle = (await begin(dir));
    expect(handle.current.recordId).toMatch(new RegExp(`^\\d{8}T\\d{9}Z-${process.pid}-[0-9a-f]{8}-${identityKey(base)}$`));
    expect(handle.current.recordId.startsWith(handle.current.startedAt.replace(/[-:.]/g, ''))).toBe(true);
    const text = fs.readFileSync(recordFile(dir, handle.current.recordId), 'utf8');
    expect(text).toBe(JSON.stringify(handle.current, null, 2) + '\n');
  });

  test('a ledger location that is a file, or cannot be created, is a clear error', async () => {
    const file = path.join(tempDir('kf-ledger-'), 'plain-file');
    fs.writeFileSync(file, '');
    await expect(begin(file)).rejects.toThrow(/^cannot create the ledger directory .*plain-file \((EEXIST|ENOTDIR)\): point CDKTF_KEYFACTOR_LEDGER \(or KeyfactorDefaults' ledger\) at a writable directory\.$/);
    await expect(begin(path.join(file, 'below'))).rejects.toThrow(/^cannot create the ledger directory .*below \(ENOTDIR\)/);
    expect(() => readLedgerDir(file)).toThrow(/^the ledger location .*plain-file is not a directory/);
  });

  test('records are read by start time, then id, whatever their file names', async () => {
    const dir = tempDir('kf-ledger-');
    // File names in an order unrelated to the start times; two records share a start time.
    const starts = Array.from({ length: 20 }, (_, i) => `2026-01-01T00:00:${String(19 - i).padStart(2, '0')}.000Z`);
    starts.push(starts[19]);
    starts.forEach((startedAt, i) => {
      const record = { ...base, recordId: `r${String(i).padStart(2, '0')}`, startedAt, jobIds: [], request: {}, outcome: 'succeeded' };
      fs.writeFileSync(path.join(dir, `${['q', 'a', 'z', 'm'][i % 4]}${i}.record.json`), JSON.stringify(record));
    });
    const read = readLedgerDir(dir);
    expect(read.map((r) => r.startedAt)).toEqual([...starts].sort());
    expect(read.slice(0, 2).map((r) => r.recordId)).toEqual(['r19', 'r20']);
  });

  test('records are read oldest first; a missing directory is an empty ledger', async () => {
    const dir = tempDir('kf-ledger-');
    expect(readLedgerDir(path.join(dir, 'absent'))).toEqual([]);
    for (const p of ['s/3', 's/1', 's/2']) {
      await begin(dir, { ...base, constructPath: p });
      const t = Date.now();
      while (Date.now() < t + 3); // distinct start times
    }
    expect(readLedgerDir(dir).map((r) => r.constructPath)).toEqual(['s/3', 's/1', 's/2']);
  });

  test.each([
    ['not JSON', '{"recordId": "x", trunc', /^ledger record .*x\.record\.json is not valid JSON .*: it was damaged outside cdktf-keyfactor; move it aside to continue\.$/],
    ['JSON but not a record', '{"hello": "world"}', /^ledger record .*x\.record\.json is not a cdktf-keyfactor record; move it aside to continue\.$/],
    ['a record without jobIds', JSON.stringify({ recordId: 'x', operation: 'o', constructPath: 'p', outcome: 'succeeded' }), /is not a cdktf-keyfactor record/],
    ['null', 'null', /is not a cdktf-keyfactor record/],
    ['a string', '"x.record.json"', /is not a cdktf-keyfactor record/],
    ['a numeric recordId', JSON.stringify({ recordId: 1, operation: 'o', constructPath: 'p', jobIds: [], outcome: 's' }), /is not a cdktf-keyfactor record/],
    ['no operation', JSON.stringify({ recordId: 'x', constructPath: 'p', jobIds: [], outcome: 's' }), /is not a cdktf-keyfactor record/],
    ['no construct path', JSON.stringify({ recordId: 'x', operation: 'o', jobIds: [], outcome: 's' }), /is not a cdktf-keyfactor record/],
    ['jobIds not a list', JSON.stringify({ recordId: 'x', operation: 'o', constructPath: 'p', jobIds: 'a', outcome: 's' }), /is not a cdktf-keyfactor record/],
    ['no outcome', JSON.stringify({ recordId: 'x', operation: 'o', constructPath: 'p', jobIds: [] }), /is not a cdktf-keyfactor record/],
  ])('a damaged record (%s) names the file', (_name, text, expected) => {
    const dir = tempDir('kf-ledger-');
    fs.writeFileSync(path.join(dir, 'x.record.json'), text);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not ours');
    expect(() => readLedgerDir(dir)).toThrow(expected);
  });

  test('a complete record is read back as written', async () => {
    const dir = tempDir('kf-ledger-');
    const record = { recordId: 'x', operation: 'o', constructPath: 'p', jobIds: [], outcome: 's', startedAt: '2026-01-01T00:00:00.000Z' };
    fs.writeFileSync(path.join(dir, 'x.record.json'), JSON.stringify(record));
    expect(readLedgerDir(dir)).toEqual([record]);
  });

  test('the identity key differs for every part of an instance\'s identity, origin included', async () => {
    const keys = new Set([
      base,
      { ...base, stack: 't' },
      { ...base, constructPath: 's/other' },
      { ...base, instanceKey: 'k2' },
      { ...base, instanceKey: undefined },
      { ...base, specHash: 'fedcba9876543210' },
      { ...base, origin: { ...origin, host: 'kf-dev.example.com' } },
      { ...base, origin: { ...origin, apiPath: 'OtherAPI' } },
      { ...base, origin: { ...origin, workspace: 'prod' } },
    ].map(identityKey));
    expect(keys.size).toBe(9);
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{12}$/);
  });

  test('identityKeys reads only the records of those instances', async () => {
    const dir = tempDir('kf-ledger-');
    const mine = await begin(dir);
    await begin(dir, { ...base, instanceKey: 'other' });
    fs.writeFileSync(path.join(dir, 'broken.record.json'), '{');
    expect(readLedgerDir(dir, { identityKeys: new Set([identityKey(base)]) }).map((r) => r.recordId)).toEqual([mine.current.recordId]);
  });

  test('records an earlier version wrote at the top are moved into their subdirectory by the first targeted read, and read wherever they are', async () => {
    const dir = tempDir('kf-ledger-');
    const mine = (await begin(dir)).current;
    const other = (await begin(dir, { ...base, instanceKey: 'other' })).current;
    // The earlier layout: every record at the top.
    for (const r of [mine, other]) fs.renameSync(recordFile(dir, r.recordId), path.join(dir, `${r.recordId}.record.json`));
    fs.writeFileSync(path.join(dir, 'unkeyed.record.json'), JSON.stringify({ ...mine, recordId: 'unkeyed' }));
    // A whole read moves nothing and sees everything.
    expect(readLedgerDir(dir).map((r) => r.recordId).sort()).toEqual([mine.recordId, other.recordId, 'unkeyed'].sort());
    expect(fs.existsSync(path.join(dir, `${mine.recordId}.record.json`))).toBe(true);
    // A targeted read moves every keyed top-level record (not only its own), then reads its subdirectory.
    expect(readLedgerDir(dir, { identityKeys: new Set([identityKey(base)]) }).map((r) => r.recordId)).toEqual([mine.recordId]);
    for (const r of [mine, other]) expect(fs.existsSync(recordFile(dir, r.recordId))).toBe(true);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.record.json'))).toEqual(['unkeyed.record.json']);
    expect(readLedgerDir(dir, { identityKeys: new Set([identityKey({ ...base, instanceKey: 'other' })]) }).map((r) => r.recordId)).toEqual([other.recordId]);
  });

  test('a top-level copy of a record already in its subdirectory: the newer write wins, and every read sees it once', async () => {
    const dir = tempDir('kf-ledger-');
    const handle = (await begin(dir));
    const inShard = recordFile(dir, handle.current.recordId);
    const atTop = path.join(dir, path.basename(inShard));
    // A stale in-flight copy at the top (older), the finished record in the subdirectory (newer).
    fs.copyFileSync(inShard, atTop);
    fs.utimesSync(atTop, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await handle.finish('succeeded');
    expect(readLedgerDir(dir)).toEqual([expect.objectContaining({ recordId: handle.current.recordId, outcome: 'succeeded' })]);
    expect(readLedgerDir(dir, { identityKeys: new Set([identityKey(base)]) })).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
    expect(fs.existsSync(atTop)).toBe(false);
    // The other way round: a newer top-level copy (an earlier version rewrote it there) replaces the older one.
    fs.copyFileSync(inShard, atTop);
    fs.writeFileSync(atTop, JSON.stringify({ ...handle.current, message: 'rewritten at the top' }));
    fs.utimesSync(inShard, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect(readLedgerDir(dir, { identityKeys: new Set([identityKey(base)]) })).toEqual([expect.objectContaining({ message: 'rewritten at the top' })]);
    expect(fs.existsSync(atTop)).toBe(false);
  });

  test('a ledger that cannot be written: a targeted read still finds a top-level record where it is', async () => {
    const dir = tempDir('kf-ledger-');
    // No rename in `dir`, even for root (chattr +i); chmod for other users.
    const setWritable = (writable: boolean) => (process.getuid?.() === 0
      ? execFileSync('chattr', [writable ? '-i' : '+i', dir]) : fs.chmodSync(dir, writable ? 0o700 : 0o500));
    const mine = (await begin(dir)).current;
    fs.renameSync(recordFile(dir, mine.recordId), path.join(dir, `${mine.recordId}.record.json`));
    fs.rmdirSync(path.dirname(recordFile(dir, mine.recordId)));
    const store = new DirectoryStore(dir);
    setWritable(false);
    try {
      const [read] = await store.read({ identityKeys: new Set([identityKey(base)]) });
      expect(read.recordId).toBe(mine.recordId);
    } finally {
      setWritable(true);
    }
    // Rewritten where it was read, not as a second copy in the subdirectory.
    store.putSync({ ...mine, outcome: 'failed' });
    expect(JSON.parse(fs.readFileSync(path.join(dir, `${mine.recordId}.record.json`), 'utf8')).outcome).toBe('failed');
    expect(fs.existsSync(recordFile(dir, mine.recordId))).toBe(false);
  });

  test('onUnreadable skips damaged records and non-regular files, naming each; the rest is read', async () => {
    const dir = tempDir('kf-ledger-');
    const good = (await begin(dir));
    fs.writeFileSync(path.join(dir, 'a.record.json'), '{"recordId": "x", trunc');
    fs.writeFileSync(path.join(dir, 'b.record.json'), '{"hello": "world"}');
    fs.symlinkSync(recordFile(dir, good.current.recordId), path.join(dir, 'c.record.json'));
    execFileSync('mkfifo', [path.join(dir, 'd.record.json')]); // reading it would block forever
    fs.mkdirSync(path.join(dir, 'e.record.json'));
    const skipped: string[] = [];
    const read = readLedgerDir(dir, { onUnreadable: (file, problem) => skipped.push(`${path.basename(file)}: ${problem}`) });
    expect(read.map((r) => r.recordId)).toEqual([good.current.recordId]);
    expect(skipped.sort()).toEqual([
      expect.stringMatching(/^a\.record\.json: is not valid JSON \(.*\): it was damaged outside cdktf-keyfactor$/),
      'b.record.json: is not a cdktf-keyfactor record',
      'c.record.json: is not a regular file (a symlink, FIFO or device)',
      'd.record.json: is not a regular file (a symlink, FIFO or device)',
      'e.record.json: is not a regular file (a symlink, FIFO or device)',
    ]);
    // Without onUnreadable the first such file is an error naming it.
    expect(() => readLedgerDir(dir)).toThrow(/^ledger record .*\.record\.json (is not|cannot)/);
  });

  test('Ledger.read skips an unreadable record with a warning on stderr naming the file', async () => {
    const dir = tempDir('kf-ledger-');
    (await begin(dir));
    fs.writeFileSync(path.join(dir, 'x.record.json'), 'garbage');
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(Ledger.read(dir)).toHaveLength(1);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/WARNING: skipped ledger record .*x\.record\.json: it is not valid JSON/);
    } finally {
      err.mockRestore();
    }
  });

  test('sameOrigin: host, API path and workspace must all match; a record without origin matches any', async () => {
    const record = (o?: typeof origin) => ({ ...base, origin: o, recordId: 'r', startedAt: '', jobIds: [], request: {}, outcome: 'succeeded' });
    expect(sameOrigin(record(origin), origin)).toBe(true);
    expect(sameOrigin(record({ ...origin, host: 'other' }), origin)).toBe(false);
    expect(sameOrigin(record({ ...origin, apiPath: 'other' }), origin)).toBe(false);
    expect(sameOrigin(record({ ...origin, workspace: 'prod' }), origin)).toBe(false);
    expect(sameOrigin(record(undefined), origin)).toBe(true);
  });

  test('a writer given a redactor scrubs the request, response and message, nested strings included, and no identity field', async () => {
    const dir = tempDir('kf-ledger-');
    // A redactor that would also hit the construct path: identity fields must stay as they are.
    const handle = await beginRecord(new DirectoryStore(dir), base, (t) => t.split('s3cr3t-value').join('***').split('s/web').join('***'));
    await handle.finish('succeeded', { message: 'echo: s3cr3t-value', response: { note: ['x s3cr3t-value y'], n: 1 } });
    const text = fs.readFileSync(recordFile(dir, handle.current.recordId), 'utf8');
    expect(text).not.toContain('s3cr3t-value');
    expect(JSON.parse(text)).toMatchObject({ message: 'echo: ***', response: { note: ['x *** y'], n: 1 }, constructPath: 's/web' });
    // The handle keeps the unscrubbed entry in memory only.
    expect(handle.current.message).toBe('echo: s3cr3t-value');
  });
});

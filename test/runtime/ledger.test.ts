import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LedgerHandle, LedgerWriter, readLedgerDir } from '../../src/runtime/ledger';
import { tempDir } from '../support/runtime';

const base = { operation: 'CertificateDeployment', phase: 'create', stack: 's', constructPath: 's/web', instanceKey: 'k', specHash: '0123456789abcdef' };

/**
 * Finishes the record `handle` wrote, in a separate node process whose file size limit
 * (RLIMIT_FSIZE) is `bytes`: a write that would make a file bigger is cut short with EFBIG, as a
 * full disk or a quota cuts it short. Returns what that process printed.
 */
function finishUnderFileSizeLimit(file: string, handle: LedgerHandle, fields: object, bytes: number): string {
  const script = `
    const { LedgerHandle } = require(${JSON.stringify(path.resolve(__dirname, '../../src/runtime/ledger'))});
    const [file, entry, fields] = JSON.parse(process.env.CASE);
    try { new LedgerHandle(file, entry).finish('succeeded', fields); console.log('written'); } catch (e) { console.log(e.message); }`;
  return execFileSync('prlimit', [`--fsize=${bytes}`, process.execPath, '-r', 'ts-node/register/transpile-only', '-e', script], {
    env: { ...process.env, CASE: JSON.stringify([file, handle.current, fields]), TS_NODE_PROJECT: path.resolve(__dirname, '../tsconfig.json') },
    encoding: 'utf8',
  }).trim();
}

describe('LedgerWriter', () => {
  test('begin() writes an in-flight record at once; finish() completes the same file', () => {
    const dir = tempDir('kf-ledger-');
    const handle = new LedgerWriter(dir).begin(base);
    const [inFlight] = readLedgerDir(dir);
    expect(inFlight).toMatchObject({ ...base, outcome: 'in-flight', jobIds: [], request: {} });
    expect(inFlight.recordId).toBe(handle.current.recordId);
    expect(fs.readdirSync(dir)).toEqual([`${inFlight.recordId}.record.json`]);
    expect((fs.statSync(path.join(dir, `${inFlight.recordId}.record.json`)).mode % 0o1000).toString(8)).toBe('600'); // owner only

    handle.update({ jobIds: ['a'] });
    expect(readLedgerDir(dir)[0]).toMatchObject({ outcome: 'in-flight', jobIds: ['a'] });
    handle.finish('succeeded', { message: 'done' });
    const [done] = readLedgerDir(dir);
    expect(done).toMatchObject({ recordId: inFlight.recordId, outcome: 'succeeded', jobIds: ['a'], message: 'done' });
    expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));
  });

  test('a write cut short (file size limit) leaves the previous record whole and no temp file', () => {
    const dir = tempDir('kf-ledger-');
    const handle = new LedgerWriter(dir).begin(base);
    const file = path.join(dir, `${handle.current.recordId}.record.json`);
    const previous = fs.readFileSync(file, 'utf8');
    const big = { jobIds: ['3fa85f64-5717-4562-b3fc-2c963f66afa6'], request: { note: 'x'.repeat(4000) } };

    expect(finishUnderFileSizeLimit(file, handle, big, previous.length + 100)).toBe(`cannot write ledger record ${file} (EFBIG).`);
    // The record on disk is still the complete in-flight one; nothing half-written is left.
    expect(fs.readFileSync(file, 'utf8')).toBe(previous);
    expect(readLedgerDir(dir)).toEqual([JSON.parse(previous)]);
    expect(fs.readdirSync(dir)).toEqual([path.basename(file)]);

    // Once there is room again the same handle writes the whole record.
    handle.finish('succeeded', big);
    expect(readLedgerDir(dir)[0]).toMatchObject({ outcome: 'succeeded', jobIds: big.jobIds });
  });

  test('a ledger location that is a file, or cannot be created, is a clear error', () => {
    const file = path.join(tempDir('kf-ledger-'), 'plain-file');
    fs.writeFileSync(file, '');
    expect(() => new LedgerWriter(file).begin(base)).toThrow(/^cannot create the ledger directory .*plain-file \((EEXIST|ENOTDIR)\): point CDKTF_KEYFACTOR_LEDGER_DIR/);
    expect(() => new LedgerWriter(path.join(file, 'below')).begin(base)).toThrow(/^cannot create the ledger directory .*below \(ENOTDIR\)/);
    expect(() => readLedgerDir(file)).toThrow(/^the ledger location .*plain-file is not a directory/);
  });

  test('records are read oldest first; a missing directory is an empty ledger', () => {
    const dir = tempDir('kf-ledger-');
    expect(readLedgerDir(path.join(dir, 'absent'))).toEqual([]);
    const w = new LedgerWriter(dir);
    for (const p of ['s/3', 's/1', 's/2']) {
      w.begin({ ...base, constructPath: p });
      const t = Date.now();
      while (Date.now() < t + 3); // distinct start times
    }
    expect(readLedgerDir(dir).map((r) => r.constructPath)).toEqual(['s/3', 's/1', 's/2']);
  });

  test.each([
    ['not JSON', '{"recordId": "x", trunc', /^ledger record .*x\.record\.json is not valid JSON .*: it was damaged outside cdktf-keyfactor; move it aside to continue\.$/],
    ['JSON but not a record', '{"hello": "world"}', /^ledger record .*x\.record\.json is not a cdktf-keyfactor record: move it aside to continue\.$/],
    ['a record without jobIds', JSON.stringify({ recordId: 'x', operation: 'o', constructPath: 'p', outcome: 'succeeded' }), /is not a cdktf-keyfactor record/],
    ['null', 'null', /is not a cdktf-keyfactor record/],
  ])('a damaged record (%s) names the file', (_name, text, expected) => {
    const dir = tempDir('kf-ledger-');
    fs.writeFileSync(path.join(dir, 'x.record.json'), text);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not ours');
    expect(() => readLedgerDir(dir)).toThrow(expected);
  });
});

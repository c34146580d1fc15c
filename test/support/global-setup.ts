/**
 * Jest global setup: every temporary directory the tests (and the terraform and runner
 * processes they start) make goes under one root that global teardown removes, so test runs,
 * and the thousands of runs mutation testing makes, do not fill the machine's /tmp.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stopClustersUnder } from './servers/postgres';

const ROOT = 'CDKTF_KEYFACTOR_TEST_TMPDIR';
const BEFORE = 'CDKTF_KEYFACTOR_TEST_TMPDIR_BEFORE';

export default function setup(): void {
  process.env[BEFORE] = os.tmpdir();
  process.env[ROOT] = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-test-'));
  // os.tmpdir() reads TMPDIR on each call; workers and the processes they start inherit it.
  process.env.TMPDIR = process.env[ROOT];
}

export function teardown(): void {
  // A PostgreSQL server a crashed test left running would outlive its removed directory.
  stopClustersUnder(process.env[ROOT]!);
  fs.rmSync(process.env[ROOT]!, { recursive: true, force: true });
  process.env.TMPDIR = process.env[BEFORE];
}

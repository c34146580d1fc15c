import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

test('cdktf-keyfactor --version prints the installed package\'s version', () => {
  const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  for (const flag of ['--version', '-V']) {
    const run = spawnSync('node', [path.join(ROOT, 'lib', 'cli', 'main.js'), flag], { encoding: 'utf8' });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: `${expected}\n` });
  }
});

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { replaceCommand, shellQuote } from '../../src/contract/shell';

describe('hints a person pastes into a shell', () => {
  // Store keys are free text: each of these must come back from the shell as the same one word.
  const hostile = [
    'terraform_data.web_Carrier_1A2B["it\'s"]',
    'terraform_data.x["a\\"b\'; touch pwned; echo \'"]',
    'terraform_data.x["$(touch pwned)"]',
    'terraform_data.x["`touch pwned`"]',
    'terraform_data.x["a b\tc\nd"]',
    "''",
    '',
    'plain_word.x',
  ];

  test.each(hostile)('shellQuote(%j) is one word, unchanged, that runs nothing', (text) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-shell-'));
    const echoed = execFileSync('sh', ['-c', `printf '%s' ${shellQuote(text)}`], { cwd: dir, encoding: 'utf8' });
    expect(echoed).toBe(text);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('replaceCommand names the stack directory (relative to where the hint is read, else absolute)', () => {
    expect(replaceCommand('terraform_data.w["k"]', '/app/cdktf.out/stacks/web', '/app'))
      .toBe('cd cdktf.out/stacks/web && terraform apply -replace=\'terraform_data.w["k"]\'');
    expect(replaceCommand('terraform_data.w', '/app/cdktf.out/stacks/my stack'))
      .toBe('cd \'/app/cdktf.out/stacks/my stack\' && terraform apply -replace=terraform_data.w');
  });
});

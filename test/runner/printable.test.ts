import { SPEC_ENV } from '../../src/contract/environment';
import { canonicalJson, SPEC_VERSION } from '../../src/contract/spec';
import { printable } from '../../src/runtime/printable';
import { runInProcess, S1, tempDir } from '../support/runtime';
import { ScriptedServer } from '../support/scripted-server';

describe('text from Command reaches the terminal with its control characters visible', () => {
  test('printable: escapes, CR, C1 controls and bidi overrides become \\uXXXX; newline and tab stay', () => {
    expect(printable('a\u001b[2Jb\rc\u009bd\u202ee\u0000f\ng\th')).toBe('a\\u001b[2Jb\\u000dc\\u009bd\\u202ee\\u0000f\ng\th');
    expect(printable('plain text, ünïcödé and 日本')).toBe('plain text, ünïcödé and 日本');
  });

  test('a 400 whose Message clears the screen and rewrites the line: printed and recorded inert', async () => {
    const hostile = 'Bad request\u001b[2J\u001b[H\rall good: 0 failed\u202e';
    const server = await ScriptedServer.start(() => ({ status: 400, body: JSON.stringify({ ErrorCode: '0x1', Message: hostile }) }));
    try {
      const spec = { v: SPEC_VERSION, operation: 'CertificateStorePassword', stack: 't', path: 't/pw', certStoreId: S1, newPassword: { source: 'env', name: 'STORE_PW' } };
      const { code, output } = await runInProcess({
        KEYFACTOR_HOSTNAME: server.url,
        KEYFACTOR_USERNAME: 'admin',
        KEYFACTOR_PASSWORD: 'pw-for-printable-test',
        KEYFACTOR_DOMAIN: 'KEYFACTOR',
        CDKTF_KEYFACTOR_LEDGER_DIR: tempDir('kf-printable-'),
        STORE_PW: 'store-pw-printable',
        [SPEC_ENV]: canonicalJson(spec),
      });
      expect(server.requests).toHaveLength(1);
      expect(code).toBe(1);
      expect(output).toContain('Bad request\\u001b[2J\\u001b[H');
      expect(output).toContain('all good: 0 failed\\u202e');
      expect(output).not.toMatch(/[\u001b\r\u202e]/);
    } finally {
      await server.stop();
    }
  });
});

import * as fs from 'fs';
import * as path from 'path';
import { SPEC_ENV } from '../../src/contract/environment';
import { canonicalJson, SPEC_VERSION } from '../../src/contract/spec';
import { runInProcess, S1, tempDir } from '../support/runtime';
import { ScriptedRequest, ScriptedServer } from '../support/scripted-server';

// Secrets with a quote, a backslash, a tab and double spaces early on, so each escaped or
// collapsed form starts differently from the raw value.
const STORE_PW = 'St"\\\t  re-pw-0d5e1a-q7';
const BASIC_PW = 'Bq\\"4\t  basic-pw-7c2f9e-z3';
const BASIC_HEADER = Buffer.from(`KEYFACTOR\\admin:${BASIC_PW}`).toString('base64');

const json = (v: string) => JSON.stringify(v).slice(1, -1);
const collapse = (v: string) => v.replace(/\s+/g, ' ');
const html = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');
const formEncoded = (v: string) => new URLSearchParams({ x: v }).toString().slice(2);
/** A password with characters .NET's System.Text.Json escapes as \\uXXXX (Command's serialiser), and that form written out by hand. */
const DOTNET_PW = "Pfx+Pass'word<7e3>";
const DOTNET_FORMS = { upper: 'Pfx\\u002BPass\\u0027word\\u003C7e3\\u003E', lower: 'Pfx\\u002bPass\\u0027word\\u003c7e3\\u003e' };

/** The first 6 characters of every form of every secret: any longer prefix contains one of them. */
const TRACES = [STORE_PW, BASIC_PW, BASIC_HEADER].flatMap((secret) => {
  const forms = [secret, json(secret), json(json(secret)), encodeURIComponent(secret), formEncoded(secret),
    collapse(secret), collapse(secret).trim(), collapse(json(secret)), html(secret), html(json(secret))];
  return [...new Set(forms.map((f) => f.slice(0, 6)))];
});

/** Where in `text` a secret, or a 6+ character start of one of its forms, shows. */
function secretTraces(text: string): string[] {
  return TRACES.filter((t) => text.includes(t)).map((t) => {
    const at = text.indexOf(t);
    return `${JSON.stringify(t)} in ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))}`;
  });
}

/**
 * A debugging gateway that echoes the request: its body, its Authorization header, and the
 * credentials it decoded from it, as text and form-encoded; the part holding `first` goes first.
 */
function dump(req: ScriptedRequest, first: string): string {
  const credentials = Buffer.from(String(req.headers.authorization).replace(/^Basic /, ''), 'base64').toString();
  const parts = [`body=${req.body}`, `authorization=${req.headers.authorization}`, `credentials=${credentials}`,
    `form=${new URLSearchParams({ credentials })}`];
  return [`${req.method} ${req.path}`, ...parts.filter((p) => p.includes(first)), ...parts.filter((p) => !p.includes(first))].join(' ');
}

/** An error answer quoting `echo`, and the text of its body the client cuts at 300 characters (collapsed, tags stripped). */
const FORMATS = {
  'a JSON error (400)': {
    answer: (echo: string) => ({ status: 400, body: JSON.stringify({ ErrorCode: '0x1', Message: `Bad request: ${echo}` }) }),
    shown: (body: string) => collapse(JSON.parse(body).Message).trim(),
    marker: (m: string) => m,
  },
  'text/plain (500)': {
    answer: (echo: string) => ({ status: 500, body: `Bad request: ${echo}`, headers: { 'content-type': 'text/plain' } }),
    shown: (body: string) => collapse(body).trim(),
    marker: (m: string) => m,
  },
  'an HTML error page (500)': {
    answer: (echo: string) => ({
      status: 500,
      headers: { 'content-type': 'text/html' },
      body: '<!DOCTYPE html><html><head><title>500 - Internal server error.</title><style>body{font-family:Verdana}</style></head>' +
        `<body><h2>500 - Internal server error.</h2><pre>${html(`Bad request: ${echo}`)}</pre></body></html>`,
    }),
    shown: (body: string) => collapse(body.replace(/<(style|script)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' ')).trim(),
    marker: (m: string) => html(m),
  },
};

/** Which echoed secret sits on the cut: how it starts in the echo. */
const TARGETS = {
  'the store password in the JSON body': json(STORE_PW).slice(0, 6),
  'the Basic password, decoded': BASIC_PW.slice(0, 5),
  'the Basic password, form-encoded': formEncoded(BASIC_PW).slice(0, 9),
  'the Authorization header': BASIC_HEADER.slice(0, 6),
};

const CUT = 300;

describe('secrets echoed in an error body never reach the log or the ledger, whole, escaped or cut off', () => {
  let server: ScriptedServer;
  beforeAll(async () => (server = await ScriptedServer.start(() => ({ status: 500 }))));
  afterAll(() => server.stop());

  /** Runs the runner's CertificateStorePassword create against the server; what it printed and recorded. */
  async function setPassword(first: string, storePassword = STORE_PW): Promise<{ code: number; output: string; ledger: string; files: unknown[] }> {
    const dir = tempDir('kf-echo-');
    const spec = { v: SPEC_VERSION, operation: 'CertificateStorePassword', stack: 't', path: 't/pw', certStoreId: S1, newPassword: { source: 'env', name: 'STORE_PW' } };
    const env = {
      KEYFACTOR_HOSTNAME: server.url,
      KEYFACTOR_USERNAME: 'admin',
      KEYFACTOR_PASSWORD: BASIC_PW,
      KEYFACTOR_DOMAIN: 'KEYFACTOR',
      CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0',
      CDKTF_KEYFACTOR_LEDGER_DIR: dir,
      STORE_PW: storePassword,
      [SPEC_ENV]: canonicalJson(spec),
    };
    const requestsBefore = server.requests.length;
    const { code, output } = await runInProcess(env);
    // The secrets did travel and come back, so the checks on what was printed can fail.
    const sent = server.requests.slice(requestsBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toContain(json(storePassword));
    expect(sent[0].headers.authorization).toBe(`Basic ${BASIC_HEADER}`);
    expect(secretTraces(dump(sent[0], first))).not.toEqual([]);
    const files = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const ledger = files.map((e) => fs.readFileSync(path.join(e.parentPath ?? e.path, e.name), 'utf8')).join('\n');
    return { code, output, ledger, files };
  }

  const cases = Object.keys(FORMATS).flatMap((format) => Object.keys(TARGETS)
    .flatMap((target) => [8, 3].map((before) => [format, target, before] as const)));

  test.each(cases)('%s quoting the request, with %s straddling the 300-character cut (%i characters before it)', async (format, target, before) => {
    const f = FORMATS[format as keyof typeof FORMATS];
    const first = TARGETS[target as keyof typeof TARGETS];
    const marker = f.marker(first);
    let misplaced: string | undefined;
    server.script = (req) => {
      // Padding puts `before` characters of the target before the cut, the rest after it.
      const echo = dump(req, first);
      const at = f.shown(f.answer(echo).body).indexOf(marker);
      if (at < 0 || at > CUT - before) misplaced = `cannot place ${target} on the cut (at ${at})`;
      return f.answer(`${'.'.repeat(Math.max(0, CUT - before - at))}${echo}`);
    };
    const { code, output, ledger, files } = await setPassword(first);
    expect(misplaced).toBeUndefined();
    expect(secretTraces(output)).toEqual([]);
    expect(secretTraces(ledger)).toEqual([]);
    // Too short for a trace above, but shown only if the text was cut before it was redacted.
    const cutOff = marker.slice(0, before);
    for (const text of [output, ledger]) for (const shown of [cutOff, json(cutOff)]) expect(text).not.toContain(`${shown}…`);
    // What was checked: the echo, cut, in the failure message of the log and the ledger.
    expect(code!).toBe(1);
    expect(output).toMatch(/HTTP (400|500).*Bad request: \.+.*\*\*\*.*…/);
    expect(files.length).toBeGreaterThan(0);
    expect(ledger).toContain('Bad request: ..');
  });

  test.each(Object.entries(TARGETS))('a gateway that cuts its own echo 8 characters into %s: the start shown is redacted', async (_, first) => {
    server.script = (req) => {
      const echo = dump(req, first);
      return { status: 400, body: JSON.stringify({ ErrorCode: '0x1', Message: `Bad request: ${echo.slice(0, echo.indexOf(first) + 8)}…` }) };
    };
    const { code, output, ledger } = await setPassword(first);
    expect(secretTraces(output)).toEqual([]);
    expect(secretTraces(ledger)).toEqual([]);
    expect(code).toBe(1);
    expect(output).toMatch(/HTTP 400: Keyfactor error 0x1: Bad request: PUT .*\*\*\*…\n/);
  });

  test.each(Object.entries(DOTNET_FORMS))('Command quoting the password as System.Text.Json escapes it (%s-case \\\\uXXXX): redacted whole', async (_, form) => {
    server.script = () => ({ status: 400, body: JSON.stringify({ ErrorCode: '0x1', Message: `Bad request: {"NewPassword":"${form}"}` }) });
    const { code, output, ledger } = await setPassword(json(DOTNET_PW).slice(0, 6), DOTNET_PW);
    for (const text of [output, ledger]) expect(text).not.toMatch(/Pfx\\u00|Pass\\u|word\\u/i);
    expect(code).toBe(1);
    expect(output).toContain('Bad request: {"NewPassword":"***"}');
  });
});

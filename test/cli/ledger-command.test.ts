import { Construct } from 'constructs';
import { CertificateDeployment, Ledger, Schedule } from '../../src';
import { buildProgram } from '../../src/cli/main';
import { writeRecord } from '../support/ledger';
import { captureOutput, tempDir } from '../support/runtime';
import { PostgresServer, startPostgres } from '../support/servers/postgres';
import { TerraformProject } from '../support/terraform';

/**
 * `ledger where` and `ledger copy`, as a team moving to a shared store runs them: the app's stack
 * chose a PostgreSQL ledger; the ledger directory the team kept until now goes into it, each
 * record into its own stack's ledger, safely twice.
 */
const origin = { host: 'kf.example.com', apiPath: 'KeyfactorAPI', workspace: 'default' };
const GUID = (n: number) => `3fa85f64-5717-4562-b3fc-${String(n).padStart(12, '0')}`;

describe('ledger where and ledger copy', () => {
  let pg: PostgresServer;
  let project: TerraformProject;
  const saved = process.env.PGPASSWORD;
  beforeAll(async () => {
    pg = await startPostgres();
    process.env.PGPASSWORD = pg.password;
    project = new TerraformProject('team');
    project.synth((scope: Construct) => new CertificateDeployment(scope, 'web', {
      certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: '1bc2d3e4-5f60-4a7b-8c9d-0e1f2a3b4c5d', alias: 'web' }],
    }), {}, { defaults: { ledger: Ledger.postgres({ host: pg.host, port: pg.port, user: pg.superuser, database: 'postgres', schema: 'team', sslMode: 'disable' }) }, inProject: true });
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.PGPASSWORD;
    else process.env.PGPASSWORD = saved;
    project?.cleanup();
    await pg?.stop();
  });

  /** The CLI in this process (so the code under test is the source), its output and exit code. */
  async function cli(...args: string[]): Promise<{ out: string; code: number }> {
    const out = captureOutput();
    process.exitCode = 0;
    try {
      await buildProgram().parseAsync(['node', 'cdktf-keyfactor', ...args]);
      return { out: out.text(), code: Number(process.exitCode ?? 0) };
    } finally {
      out.restore();
      process.exitCode = 0;
    }
  }

  test('where: each stack\'s ledger and what chose it; JSON too', async () => {
    const { out } = await cli('ledger', 'where', '--outdir', project.outdir);
    expect(out).toBe(`team: PostgreSQL table team.keyfactor_ledger (host ${pg.host}:${pg.port}, database postgres, user postgres)\n` +
      `  chosen by KeyfactorDefaults (ledger); records it cannot take wait in ${project.dir}/.keyfactor-ledger/unsent\n`);
    const json = JSON.parse((await cli('ledger', 'where', '--outdir', project.outdir, '--json')).out);
    expect(json).toEqual({ ledgers: [{ stacks: ['team'], location: expect.objectContaining({ type: 'postgres', schema: 'team' }), source: 'KeyfactorDefaults (ledger)', local: `${project.dir}/.keyfactor-ledger` }] });
  });

  test('copy: every record into its stack\'s ledger, a stack not synthesized here skipped (exit 1); again: nothing written; --to takes the rest', async () => {
    const old = tempDir('kf-old-ledger-');
    const base = { operation: 'CertificateDeployment', phase: 'create', stack: 'team', origin, specHash: '0123456789abcdef' };
    const mine = [1, 2, 3].map((n) => writeRecord(old, { ...base, constructPath: `team/d${n}`, instanceKey: `k${n}` },
      { outcome: 'succeeded', jobIds: [GUID(n)], finishedAt: new Date().toISOString() }));
    const theirs = writeRecord(old, { ...base, stack: 'elsewhere', constructPath: 'elsewhere/x' }, { outcome: 'succeeded', jobIds: [GUID(9)] });

    const first = await cli('ledger', 'copy', '--from', old, '--outdir', project.outdir);
    expect(first.code).toBe(1);
    expect(first.out).toContain(`cdktf-keyfactor ledger copy: 4 record(s) in ${old}; 0 already in their ledger.`);
    expect(first.out).toContain('  copied 3 to PostgreSQL table team.keyfactor_ledger');
    expect(first.out).toContain('  skipped 1 of stack "elsewhere": it is not synthesized here (run from the app\'s directory after cdktf synth, or pass --to)');
    const rows = async () => (await pg.query('SELECT name FROM team.keyfactor_ledger WHERE name LIKE \'records/%\' ORDER BY name')).rows.map((r: { name: string }) => r.name);
    expect((await rows()).map((n: string) => n.replace(/^.*\/|\.json$/g, '')).sort()).toEqual(mine.map((r) => r.recordId).sort());

    const again = await cli('ledger', 'copy', '--from', old, '--outdir', project.outdir, '--json');
    expect(JSON.parse(again.out)).toEqual({
      read: 4, copied: [{ to: expect.stringContaining('team.keyfactor_ledger'), count: 0 }], alreadyThere: 3, skipped: [{ stack: 'elsewhere', count: 1 }],
    });

    const url = `postgres://${pg.superuser}@${pg.host}:${pg.port}/postgres?schema=team&sslmode=disable`;
    const to = await cli('ledger', 'copy', '--from', old, '--to', url);
    expect(to.code).toBe(0);
    expect(to.out).toContain('copied 1 to PostgreSQL table team.keyfactor_ledger');
    expect(await rows()).toContain(`records/${theirs.recordId.split('-').pop()}/${theirs.recordId}.json`);
    // The copied records read back as outputs does, from the stack's ledger.
    const outputs = await cli('outputs', '--json', '--outdir', project.outdir, '--all-origins');
    expect(JSON.parse(outputs.out).records.flatMap((r: { jobIds: string[] }) => r.jobIds).sort()).toEqual([1, 2, 3, 9].map(GUID));
  });

  test('copy with no synthesized app and no destination: an error saying what to do', async () => {
    const { out } = await cli('ledger', 'copy', '--from', tempDir('kf-old-ledger-'), '--outdir', tempDir('kf-no-app-')).catch((e: Error) => ({ out: e.message, code: 1 }));
    expect(out).toMatch(/^no synthesized app in .* to tell each stack's ledger: run `cdktf synth` and copy from the app's directory, or name the destination with --to/);
  });
});

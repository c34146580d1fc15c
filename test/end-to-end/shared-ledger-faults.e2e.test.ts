import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { HttpBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { CertificateDeployment, Ledger, Schedule } from '../../src';
import { DEFAULT_SEED } from '../../src/simulator';
import { PostgresServer, startPostgres } from '../support/servers/postgres';
import { Relay, startRelay } from '../support/servers/proxy';
import { startAll } from '../support/servers/start';
import { StartedSimulator, startSimulator } from '../support/simulator';
import { TerraformProject } from '../support/terraform';

/**
 * A shared ledger store failing at each side of a call, reproduced with the real PostgreSQL server
 * behind a relay that drops or holds its traffic (CDKTF_KEYFACTOR_LEDGER_TIMEOUT_SECONDS=2):
 * unreachable or hung before the Add, nothing is sent and the error names the store; gone or hung
 * after Command answered, the GUID is printed, the step succeeds (no second Add, ever), and the
 * record waits locally until the next run moves it in. Also: two stacks applying into one store
 * at once, and a backend the ledger cannot follow (one warning per apply).
 */
const ADD = '/CertificateStores/Certificates/Add';
const STORES = DEFAULT_SEED.stores.slice(0, 3).map((s) => s.Id);

describe('a shared ledger store that fails around a call', () => {
  let started: StartedSimulator;
  let pg: PostgresServer;
  let relay: Relay;
  const projects: TerraformProject[] = [];
  beforeAll(async () => {
    [started, pg] = await startAll([startSimulator({ jobTiming: { waitingMs: 20, inProcessMs: 20 } }), startPostgres()]);
    relay = await startRelay({ host: pg.host, port: pg.port });
  });
  afterAll(async () => {
    await Promise.all([started?.sim.stop(), relay?.stop(), pg?.stop()]);
    projects.forEach((p) => p.cleanup());
  });
  beforeEach(async () => {
    started.sim.reset();
    await relay.restore();
  });

  /** A project (stack `stack`) whose ledger is the PostgreSQL table `schema`.keyfactor_ledger, reached through the relay. */
  function project(schema: string, count = 1, stack = schema): { p: TerraformProject; env: Record<string, string>; synth: (n: number) => void } {
    const p = new TerraformProject(stack);
    projects.push(p);
    const synth = (n: number) => p.synth((scope: Construct) => STORES.slice(0, n).forEach((store, i) => new CertificateDeployment(scope, `d${i}`, {
      certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: store, alias: `${stack}-${i}` }],
    })), {}, { defaults: { ledger: Ledger.postgres({ host: '127.0.0.1', port: relay.port, database: 'postgres', user: pg.superuser, schema, sslMode: 'disable' }) }, inProject: true });
    synth(count);
    const env = { ...started.env, PGPASSWORD: pg.password, CDKTF_KEYFACTOR_LEDGER_TIMEOUT_SECONDS: '2', CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '2' };
    return { p, env, synth };
  }

  const apply = (p: TerraformProject, env: Record<string, string>) => p.terraform(['apply', '-auto-approve', '-input=false', '-no-color'], env);
  const records = async (schema: string) => (await pg.query(`SELECT data FROM "${schema}".keyfactor_ledger WHERE name LIKE 'records/%'`)).rows
    .map((r: { data: string }) => JSON.parse(r.data) as { constructPath: string; outcome: string; jobIds: string[]; sendingAt?: string });
  /** Waits until Command has processed the Add and holds its answer. */
  async function whenHeld(): Promise<void> {
    for (let i = 0; i < 600 && !started.sim.requests.some((r) => r.held); i++) await new Promise((r) => setTimeout(r, 25));
    expect(started.sim.requests.filter((r) => r.held)).toHaveLength(1);
  }

  test.each([
    ['unreachable (nothing listens)', () => relay.cut(), /cannot reach the ledger store PostgreSQL table before_down\.keyfactor_ledger \(host 127\.0\.0\.1:\d+, database postgres, user postgres\)/],
    ['hung (accepts, never answers)', () => relay.hold(), /the ledger store PostgreSQL table before_hung\.keyfactor_ledger .* did not answer within 2s \(CDKTF_KEYFACTOR_LEDGER_TIMEOUT_SECONDS\)/],
  ])('before the call, the store %s: nothing is sent, the error names the store and what to check; once it is back, exactly one Add', async (_name, fail, expected) => {
    const schema = _name.startsWith('unreachable') ? 'before_down' : 'before_hung';
    const { p, env } = project(schema);
    await p.mustRun(['init', '-input=false', '-no-color'], env);
    await fail();
    const first = await apply(p, env);
    expect(first.status).not.toBe(0);
    // Terraform wraps a failed provisioner's output at 80 columns.
    expect(first.stderr.replace(/\s+/g, ' ')).toMatch(expected);
    expect(started.sim.received('POST', ADD)).toEqual([]);
    await relay.restore();
    expect((await apply(p, env)).status).toBe(0);
    expect(started.sim.received('POST', ADD)).toHaveLength(1);
    expect((await records(schema)).filter((r) => r.outcome === 'succeeded')).toHaveLength(1);
  });

  test.each([
    ['goes away', () => relay.cut(), 'after_down'],
    ['hangs', () => relay.hold(), 'after_hung'],
  ])('after Command answered, the store %s: GUID printed, a loud warning, the step succeeds; the next run that changes anything moves the record in; no second Add', async (_name, fail, schema) => {
    const { p, env, synth } = project(schema);
    await p.mustRun(['init', '-input=false', '-no-color'], env);
    // Held long enough for the store to be cut first, even on a loaded machine.
    started.sim.injectFaults({ route: { method: 'POST', pathSuffix: ADD }, kind: 'holdAfterProcessing', holdMs: 3000, count: 1 });
    const running = p.start(['apply', '-auto-approve', '-input=false', '-no-color'], env);
    await whenHeld();
    await fail();
    const first = await running.done;
    const [job] = started.sim.jobs();
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`job GUID from Command: ${job.JobId}`);
    // Terraform prints what a provisioner wrote to stdout and stderr in its own output, a line each.
    expect(first.stdout.replace(/\n.*\(local-exec\): /g, ' ')).toMatch(new RegExp(`WARNING: the ledger store PostgreSQL table ${schema}\\.keyfactor_ledger .* could not take record \\S+ \\(.*\\); ` +
      `it is kept in \\S+/unsent/[0-9a-f]{12} on this machine, .* Job GUIDs: ${job.JobId}\\.`));
    // In the store, the record is still in flight (written before the Add), without the GUID.
    await relay.restore();
    expect((await records(schema)).map((r) => [r.outcome, r.jobIds])).toEqual([['in-flight', []]]);
    // Terraform recorded the create: the same configuration sends nothing again.
    const again = await apply(p, env);
    expect(again.stdout).toContain('No changes.');
    expect(started.sim.received('POST', ADD)).toHaveLength(1);
    // The next apply that runs anything (a second deployment) moves the waiting record in.
    synth(2);
    expect((await apply(p, env)).status).toBe(0);
    const stored = await records(schema);
    expect(stored.filter((r) => r.outcome === 'succeeded').flatMap((r) => r.jobIds).sort()).toEqual(started.sim.jobs().map((j) => j.JobId).sort());
    expect(stored.filter((r) => r.outcome === 'in-flight')).toEqual([]);
    expect(fs.readdirSync(path.join(p.dir, '.keyfactor-ledger', 'unsent'), { recursive: true }).filter((f) => String(f).endsWith('.record.json'))).toEqual([]);
    expect(started.sim.received('POST', ADD)).toHaveLength(2);
  });

  test('two stacks applying into one store at the same time: every record of both present', async () => {
    const [one, two] = [project('two_stacks', 3, 'one'), project('two_stacks', 3, 'two')];
    await Promise.all([one, two].map(({ p, env }) => p.mustRun(['init', '-input=false', '-no-color'], env)));
    const [a, b] = await Promise.all([apply(one.p, one.env), apply(two.p, two.env)]);
    expect([a.status, b.status]).toEqual([0, 0]);
    const stored = await records('two_stacks');
    expect(stored.filter((r) => r.outcome === 'succeeded')).toHaveLength(6);
    expect(new Set(stored.flatMap((r) => r.jobIds))).toEqual(new Set(started.sim.jobs().map((j) => j.JobId)));
    expect(started.sim.jobs()).toHaveLength(6);
  });
});

describe('a backend the ledger cannot follow', () => {
  test('an http backend: the ledger stays in the local directory, and the apply says so once, with how to name a shared store', async () => {
    const started = await startSimulator({ jobTiming: { waitingMs: 20, inProcessMs: 20 } });
    // Terraform's http backend against a minimal state server: GET, POST (save) and DELETE of one state.
    let state: Buffer | undefined;
    const server = http.createServer((req, res) => {
      const body: Buffer[] = [];
      req.on('data', (d) => body.push(d)).on('end', () => {
        if (req.method === 'POST') state = Buffer.concat(body);
        if (req.method === 'DELETE') state = undefined;
        res.writeHead(req.method === 'GET' && !state ? 404 : 200).end(req.method === 'GET' ? state : undefined);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const p = new TerraformProject('httpstate');
    try {
      p.synth((scope: Construct) => STORES.forEach((store, i) => new CertificateDeployment(scope, `d${i}`, {
        certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: store, alias: `http-${i}` }],
      })), {}, {
        defaults: {},
        inProject: true,
        backend: (stack: TerraformStack) => new HttpBackend(stack, { address: `http://127.0.0.1:${(server.address() as { port: number }).port}/state` }),
      });
      const out = await p.apply(started.env);
      expect(out.match(/WARNING: the ledger \(job GUIDs, what recovery reads\) stays on this machine/g)).toHaveLength(1);
      expect(out).toMatch(/the stack's "http" backend has no place cdktf-keyfactor can keep it in, .* CDKTF_KEYFACTOR_LEDGER=s3:\/\/bucket\/prefix/);
      expect(started.sim.jobs()).toHaveLength(3);
      const local = path.join(p.dir, '.keyfactor-ledger');
      expect(fs.readdirSync(local, { recursive: true }).filter((f) => String(f).endsWith('.record.json'))).toHaveLength(3);
    } finally {
      p.cleanup();
      await new Promise((resolve) => server.close(resolve));
      await started.sim.stop();
    }
  });
});

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { CertificateDeployment, Ledger, Schedule, Secret } from '../../src';
import { DEFAULT_SEED } from '../../src/simulator';
import { ledgerFiles } from '../support/runtime';
import { StartedSimulator } from '../support/simulator';
import { endToEnd, TerraformProject } from '../support/terraform';

/**
 * The ledger failing under a running apply, while Command holds the answer to an Add it has
 * processed: the create that succeeded must not be failed (Terraform would taint it and send
 * the Add again), and its job GUID must reach the apply log.
 */
const ADD = '/CertificateStores/Certificates/Add';
const STORE = DEFAULT_SEED.stores[0].Id;

/** No new file or rename in `dir`, even for root (chattr +i); chmod for other users. */
function setWritable(dir: string, writable: boolean): void {
  if (process.getuid?.() === 0) execFileSync('chattr', [writable ? '-i' : '+i', dir]);
  else fs.chmodSync(dir, writable ? 0o700 : 0o500);
}

describe('the ledger failing during an apply', () => {
  const e2e = endToEnd();
  let started: StartedSimulator;
  beforeAll(() => (started = e2e.started()));

  /** Applies `build` with the Add held for 1.5 s; `meanwhile` runs once Command has processed it. */
  async function applyWhileHeld(
    name: string, build: (scope: Construct) => void, env: Record<string, string>, meanwhile: (p: TerraformProject) => void,
  ) {
    const { sim } = started;
    sim.reset();
    const project = e2e.project(name);
    project.synth(build, env);
    await project.mustRun(['init', '-input=false', '-no-color'], env);
    sim.injectFaults({ route: { method: 'POST', pathSuffix: ADD }, kind: 'holdAfterProcessing', holdMs: 1500, count: 1 });
    const apply = project.start(['apply', '-auto-approve', '-input=false', '-no-color'], env);
    for (let i = 0; i < 400 && !sim.requests.some((r) => r.held); i++) await new Promise((r) => setTimeout(r, 25));
    expect(sim.requests.filter((r) => r.held)).toHaveLength(1);
    meanwhile(project);
    return { project, first: await apply.done };
  }

  test('a ledger directory that becomes unwritable during the POST: GUID printed, the step succeeds, no second job', async () => {
    const env = { ...started.env };
    const build = (scope: Construct) => {
      new CertificateDeployment(scope, 'web', { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE, alias: 'ledger-ro' }] });
    };
    let dir = '';
    try {
      const { project, first } = await applyWhileHeld('ledger-ro', build, env, (p) => {
        // The directory the in-flight record is in (its identity key's subdirectory).
        dir = path.dirname(ledgerFiles(p.ledgerDir)[0]);
        setWritable(dir, false);
      });
      const [job] = started.sim.jobs();
      expect(first.status).toBe(0);
      const out = first.stdout + first.stderr;
      expect(out).toContain(`job GUID from Command: ${job.JobId}`);
      // EPERM for root (the directory is made immutable), EACCES for others.
      expect(out).toMatch(new RegExp(`WARNING: cannot write ledger record .*\\((EACCES|EPERM)\\)\\. The operation succeeded\\. Job GUIDs: ${job.JobId}\\.`));
      setWritable(dir, true);
      // Terraform recorded the create as done: the next apply changes nothing and sends nothing.
      const again = await project.mustRun(['apply', '-auto-approve', '-input=false', '-no-color'], env);
      expect(again).toContain('No changes.');
      expect(started.sim.received('POST', ADD)).toHaveLength(1);
      expect(started.sim.jobs()).toHaveLength(1);
    } finally {
      if (dir) setWritable(dir, true);
    }
  });

  test('a damaged record appearing during an apply with a report step: no taint, the GUID reported, no second job', async () => {
    const env = { ...started.env, TF_VAR_entry_password: 'ledger-entry-pw' };
    const build = (scope: Construct) => {
      const entryPassword = new TerraformVariable(scope, 'entry_password', { type: 'string', sensitive: true });
      new CertificateDeployment(scope, 'web', {
        certificateId: 3,
        schedule: Schedule.immediate(),
        stores: [{ certificateStoreId: STORE, alias: 'ledger-damaged', entryPassword: Secret.fromVariable(entryPassword) }],
      });
    };
    const { project, first } = await applyWhileHeld('ledger-damaged', build, env, (p) => {
      // Damaged files under names the report step reads (the instance's own), and a FIFO that would block a reader,
      // at the top of the ledger where an earlier version wrote records: the reader moves them into place first.
      const [own] = ledgerFiles(p.ledgerDir);
      const key = path.basename(own).replace(/\.record\.json$/, '').split('-').pop();
      fs.writeFileSync(path.join(p.ledgerDir, `00000000T000000000Z-1-deadbeef-${key}.record.json`), '{"recordId": "x", trunc');
      execFileSync('mkfifo', [path.join(p.ledgerDir, `00000000T000000000Z-2-deadbeef-${key}.record.json`)]);
    });
    const [job] = started.sim.jobs();
    expect(first.status).toBe(0);
    const out = first.stdout + first.stderr;
    expect(out).toMatch(/WARNING: skipped ledger record .*-1-deadbeef-.*\.record\.json: it is not valid JSON/);
    expect(out).toMatch(/WARNING: skipped ledger record .*-2-deadbeef-.*\.record\.json: it is not a regular file/);
    expect(out).toMatch(new RegExp(`web \\[${STORE}\\]: succeeded, job ${job.JobId}`));
    const again = await project.mustRun(['apply', '-auto-approve', '-input=false', '-no-color'], env);
    expect(again).toContain('No changes.');
    expect(started.sim.received('POST', ADD)).toHaveLength(1);
    expect(Ledger.read(project.ledgerDir).flatMap((r) => r.jobIds)).toEqual([job.JobId]);
    expect(project.output).not.toContain('ledger-entry-pw');
  });
});

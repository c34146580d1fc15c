import { Construct } from 'constructs';
import { CertificateDeployment, Schedule, WaitPolicy } from '../../src';
import { runDestroy, runForget } from '../../src/cli/teardown';
import { DEFAULT_SEED } from '../../src/simulator';
import { endToEnd } from '../support/terraform';

/**
 * One construct's teardown, with the real terraform: `destroy <path>` runs that construct's undo
 * and touches nothing else; `forget <path> --key` gets a stack past a store Command can no longer
 * remove from.
 */
const [S0, S1] = [DEFAULT_SEED.stores[0].Id, DEFAULT_SEED.stores[1].Id];
const REMOVE = '/CertificateStores/Certificates/Remove';
const quick = WaitPolicy.forCompletion({ pollIntervalSeconds: 1, timeoutSeconds: 30 });

function build(scope: Construct): void {
  new CertificateDeployment(scope, 'web', {
    certificateId: 3,
    schedule: Schedule.immediate(),
    wait: quick,
    stores: [{ certificateStoreId: S0, alias: 'td-web' }, { certificateStoreId: S1, alias: 'td-web' }],
  });
  new CertificateDeployment(scope, 'api', { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: S0, alias: 'td-api' }] });
}

describe('teardown of one construct', () => {
  const e2e = endToEnd();

  test('destroy <path> runs that construct\'s Removes (and waits) and leaves the rest of the stack alone', async () => {
    const { sim, env } = e2e.started();
    const project = e2e.project('td');
    project.synth(build);
    await project.apply(env);
    const lines: string[] = [];
    const all = { ...process.env, ...env, CHECKPOINT_DISABLE: '1' };
    const removesBefore = sim.received('POST', REMOVE).length;

    const status = await runDestroy({ path: 'td/web', outdir: project.outdir, autoApprove: true }, all, (l) => lines.push(l), 'pipe');
    const text = lines.join('\n');
    expect({ status, text }).toMatchObject({ status: 0 });
    // Its 2 carrier instances, its wait carrier and its 2 undo registry instances.
    expect(text).toContain('Destroy complete! Resources: 5 destroyed.');
    const removed = sim.received('POST', REMOVE).slice(removesBefore).map((r) => (r.body as any).CertificateStores[0]);
    expect(removed.map((s: any) => `${s.CertificateStoreId} ${s.Alias}`).sort()).toEqual([`${S0} td-web`, `${S1} td-web`].sort());
    const aliases = sim.storeContents(S0).map((c) => c.alias);
    expect(aliases).toContain('td-api');
    expect(aliases).not.toContain('td-web');
    expect(text).toContain('td/web is still in your code: the next `cdktf deploy` creates it again.');

    // The next plan re-creates web only; api was not touched.
    const plan = await project.mustRun(['plan', '-input=false', '-no-color'], env);
    expect(plan).toMatch(/Plan: 5 to add, 0 to change, 0 to destroy/);
    expect(plan).not.toMatch(/api_Carrier.* will be/);

    // A path with nothing in the state names what there is.
    await expect(runDestroy({ path: 'td/nope', outdir: project.outdir }, all, () => undefined, 'pipe'))
      .rejects.toThrow('nothing of td/nope is in the state of stack "td". Its Keyfactor constructs there: td/api.');
  });

  test('a store whose Remove jobs fail: the failure names `forget`, which gets the stack past it and says what stays in Command', async () => {
    const { sim, env } = e2e.started();
    const project = e2e.project('stuck');
    project.synth(build);
    await project.apply(env);
    sim.setStoreBehaviour(S1, { failJobs: true });

    const failed = await project.terraform(['destroy', '-auto-approve', '-input=false', '-no-color'], env);
    expect(failed.status).toBe(1);
    expect(failed.stdout + failed.stderr).toContain(`run \`npx cdktf-keyfactor forget stuck/web --key '${S1}'\` in the cdktf app's directory, then run the apply or destroy again`);

    const lines: string[] = [];
    const all = { ...process.env, ...env, CHECKPOINT_DISABLE: '1' };
    expect(await runForget({ path: 'stuck/web', key: S1, outdir: project.outdir }, all, (l) => lines.push(l))).toBe(0);
    // The failed destroy already destroyed the registry instances (they leave the undo to the configured carrier).
    expect(lines).toEqual([
      'cdktf-keyfactor forget: 1 resource instance(s) of stuck/web removed from the state of stack "stuck"; nothing was sent to Command.',
      'Left in Keyfactor Command (remove by hand once it can be reached):',
      `  - certificate 3 (alias "td-web") in store ${S1} (CertificateDeployment stuck/web [${S1}])`,
      'If stuck/web still lists it in your code, the next `cdktf deploy` creates it again.',
    ]);
    const removesBefore = sim.received('POST', REMOVE).length;
    await project.destroy(env);
    const removed = sim.received('POST', REMOVE).slice(removesBefore).map((r) => (r.body as any).CertificateStores[0].CertificateStoreId);
    expect(removed).not.toContain(S1);
    expect(sim.storeContents(S1).map((c) => c.alias)).toContain('td-web');
  });
});

import { Construct } from 'constructs';
import { CertificateDeployment, Schedule, WaitPolicy } from '../../src';
import { runDestroy, runForget } from '../../src/cli/teardown';
import { Ledger } from '../../src/ledger';
import { DEFAULT_SEED } from '../../src/simulator';
import { endToEnd } from '../support/terraform';

/**
 * One construct's teardown, with the real terraform: `destroy <path>` runs that construct's undo
 * and leaves the rest alone (or says what depends on it); `forget <path> --key` gets a stack past a
 * store Command can no longer remove from, whether the store was dropped from a deployment or the
 * whole construct was deleted from the code.
 */
const [S0, S1] = [DEFAULT_SEED.stores[0].Id, DEFAULT_SEED.stores[1].Id];
const REMOVE = '/CertificateStores/Certificates/Remove';
const quick = WaitPolicy.forCompletion({ pollIntervalSeconds: 1, timeoutSeconds: 30 });

/** web (two stores, a wait); api; api2, which depends on api (so its undo sits in KeyfactorUndo1). */
function build(parts = ['web', 'api', 'api2']): (scope: Construct) => void {
  return (scope) => {
    if (parts.includes('web')) {
      new CertificateDeployment(scope, 'web', {
        certificateId: 3,
        schedule: Schedule.immediate(),
        wait: quick,
        stores: [{ certificateStoreId: S0, alias: 'td-web' }, { certificateStoreId: S1, alias: 'td-web' }],
      });
    }
    const api = new CertificateDeployment(scope, 'api', { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: S0, alias: 'td-api' }] });
    if (parts.includes('api2')) {
      new CertificateDeployment(scope, 'api2', { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: S1, alias: 'td-api2' }], dependsOn: [api] });
    }
  };
}

describe('teardown of one construct', () => {
  const e2e = endToEnd();
  const removed = (before: number) => e2e.started().sim.received('POST', REMOVE).slice(before).map((r) => {
    const store = (r.body as any).CertificateStores[0];
    return `${store.CertificateStoreId} ${store.Alias}`;
  }).sort();

  test('destroy <path> runs that construct\'s Removes (and waits) and leaves the rest of the stack, other undo registry levels included, alone', async () => {
    const { sim, env } = e2e.started();
    const project = e2e.project('td');
    project.synth(build());
    await project.apply(env);
    const all = { ...process.env, ...env, CHECKPOINT_DISABLE: '1' };
    const lines: string[] = [];
    const before = sim.received('POST', REMOVE).length;

    // One store: its carrier instance, and the construct's wait carrier (which depends on every instance).
    const one = await runDestroy({ path: 'td/web', key: S1, outdir: project.outdir, autoApprove: true }, all, (l) => lines.push(l), 'pipe');
    expect({ one, text: lines.join('\n') }).toMatchObject({ one: 0, text: expect.stringContaining('Apply complete! Resources: 0 added, 0 changed, 2 destroyed.') });
    expect(removed(before)).toEqual([`${S1} td-web`]);

    lines.length = 0;
    const status = await runDestroy({ path: 'td/web', outdir: project.outdir, autoApprove: true }, all, (l) => lines.push(l), 'pipe');
    const text = lines.join('\n');
    expect({ status, text }).toMatchObject({ status: 0 });
    // Its other carrier instance; then its undo registry instances leave the state.
    expect(text).toContain('Apply complete! Resources: 0 added, 0 changed, 1 destroyed.');
    expect(removed(before)).toEqual([`${S0} td-web`, `${S1} td-web`].sort());
    const state = (await project.mustRun(['state', 'list'], env)).split('\n');
    expect(state.filter((a) => a.includes('td/web/'))).toEqual([]);
    expect(state).toContain(`terraform_data.KeyfactorUndo1["td/api2/Carrier[${S1}]"]`);
    expect(state).toContain(`terraform_data.KeyfactorUndo["td/api/Carrier[${S0}]"]`);
    expect(text).toContain('td/web is still in your code: the next `cdktf deploy` creates it again.');

    // The next plan re-creates web (and its registry instances) only.
    const plan = await project.mustRun(['plan', '-input=false', '-no-color'], env);
    expect(plan).toMatch(/Plan: 5 to add, 0 to change, 0 to destroy/);

    // A path with nothing in the state names what there is.
    await expect(runDestroy({ path: 'td/nope', outdir: project.outdir }, all, () => undefined, 'pipe'))
      .rejects.toThrow('nothing of td/nope is in the state of stack "td". Its Keyfactor constructs there: td/api, td/api2.');
  });

  test('unattended, destroy refuses a plan that reaches what depends on the construct, unless told', async () => {
    const { sim, env } = e2e.started();
    const project = e2e.project('deps');
    project.synth(build(['api', 'api2']));
    await project.apply(env);
    const all = { ...process.env, ...env, CHECKPOINT_DISABLE: '1' };
    const before = sim.received('POST', REMOVE).length;

    await expect(runDestroy({ path: 'deps/api', outdir: project.outdir, autoApprove: true }, all, () => undefined, 'pipe'))
      .rejects.toThrow(/^destroying deps\/api would also destroy what depends on it: terraform_data\.api2_Carrier_\w+\["[^"]+"\]\. Nothing was destroyed\./);
    expect(removed(before)).toEqual([]);

    expect(await runDestroy({ path: 'deps/api', outdir: project.outdir, autoApprove: true, withDependents: true }, all, () => undefined, 'pipe')).toBe(0);
    expect(removed(before)).toEqual([`${S0} td-api`, `${S1} td-api2`]);
  });

  test('a store whose Remove jobs fail: the failure names `forget`, which gets the stack past it and says what stays in Command', async () => {
    const { sim, env } = e2e.started();
    const project = e2e.project('stuck');
    project.synth(build(['web', 'api']));
    await project.apply(env);
    sim.setStoreBehaviour(S1, { failJobs: true });
    try {
      const failed = await project.terraform(['destroy', '-auto-approve', '-input=false', '-no-color'], env);
      expect(failed.status).toBe(1);
      expect(failed.stdout + failed.stderr).toContain(
        `stop tracking it: run \`npx cdktf-keyfactor forget 'stuck/web' --key '${S1}'\` in the cdktf app's directory, then run the apply or destroy again`);

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
      const before = sim.received('POST', REMOVE).length;
      await project.destroy(env);
      expect(removed(before)).not.toContainEqual(expect.stringContaining(S1));
      expect(sim.storeContents(S1).map((c) => c.alias)).toContain('td-web');
    } finally {
      sim.setStoreBehaviour(S1, { failJobs: undefined });
    }
  });

  test('forget, then deploy the same code: the instance is created again, its Add sent (the ledger notes the forget, so nothing is adopted)', async () => {
    const { sim, env } = e2e.started();
    const project = e2e.project('forgot');
    project.synth(build(['web']));
    // Adds of web's instance on S1, the one forgotten (web also goes to S0, and api is in every build).
    const adds = () => sim.received('POST', '/CertificateStores/Certificates/Add')
      .filter((r) => (r.body as any).CertificateStores[0].CertificateStoreId === S1 && (r.body as any).CertificateStores[0].Alias === 'td-web').length;
    const before = adds();
    await project.apply(env);
    expect(adds()).toBe(before + 1);
    const all = { ...process.env, ...env, CHECKPOINT_DISABLE: '1' };
    expect(await runForget({ path: 'forgot/web', key: S1, outdir: project.outdir }, all, () => undefined)).toBe(0);
    const noted = Ledger.read(project.ledgerDir).pop()!;
    expect(noted).toMatchObject({ phase: 'destroy', outcome: 'skipped', constructPath: 'forgot/web', instanceKey: S1, message: expect.stringMatching(/^forgotten/) });
    await project.apply(env);
    expect(adds()).toBe(before + 2);
  });

  test('the same after the construct was deleted from the code: only its undo registry instance is left, and forget takes it', async () => {
    const { sim, env } = e2e.started();
    const project = e2e.project('gone');
    project.synth(build(['web', 'api']));
    await project.apply(env);
    sim.setStoreBehaviour(S1, { failJobs: true });
    try {
      project.synth(build(['api']));
      const failed = await project.terraform(['apply', '-auto-approve', '-input=false', '-no-color'], env);
      expect(failed.status).toBe(1);
      expect(failed.stdout + failed.stderr).toContain(`npx cdktf-keyfactor forget 'gone/web' --key '${S1}'`);

      const lines: string[] = [];
      const all = { ...process.env, ...env, CHECKPOINT_DISABLE: '1' };
      expect(await runForget({ path: 'gone/web', key: S1, outdir: project.outdir }, all, (l) => lines.push(l))).toBe(0);
      expect(lines.slice(0, 3)).toEqual([
        'cdktf-keyfactor forget: 1 resource instance(s) of gone/web removed from the state of stack "gone"; nothing was sent to Command.',
        'Left in Keyfactor Command (remove by hand once it can be reached):',
        `  - certificate 3 (alias "td-web") in store ${S1} (CertificateDeployment gone/web [${S1}])`,
      ]);
      const before = sim.received('POST', REMOVE).length;
      await project.apply(env);
      expect(removed(before)).toEqual([]);
    } finally {
      sim.setStoreBehaviour(S1, { failJobs: undefined });
    }
  });
});

import { certificateDeployment } from '../../../src/operations/certificate-deployment/run';
import { beginRecord, DirectoryStore } from '../../../src/runtime/ledger';
import { A1, applyHalfHarness, basicEnv, contextFor, deploymentSpec, failure, S1 } from '../../support/runtime';

const ADD = '/CertificateStores/Certificates/Add';
const REMOVE = '/CertificateStores/Certificates/Remove';
const deployment = deploymentSpec('web', { path: 't/op' });

describe('CertificateDeployment apply half: Add or Remove sent, answer lost', () => {
  const h = applyHalfHarness();

  test.each([
    ['resetAfterProcessing', {}],
    ['latency', { latencyMs: 1500 }],
    ['malformedJson', {}],
    ['unexpectedBody', {}],
  ] as const)('Add, answer lost (%s): the job is recovered from JobHistory, never sent twice', async (kind, extra) => {
    h.fault(ADD, kind, extra);
    const result = await h.run(certificateDeployment.create(contextFor(basicEnv(h.sim(), { KEYFACTOR_CLIENT_TIMEOUT: '0.5' })), deployment));
    expect(h.sim().received('POST', ADD)).toHaveLength(1);
    expect(h.sim().jobs().map((j) => j.JobId)).toEqual(result.jobIds);
    expect(h.sim().duplicateJobs()).toEqual([]);
    expect(result.response).toMatchObject({ recoveredFromJobHistory: true });
    expect(h.output()).toMatch(/recovered: POST \/CertificateStores\/Certificates\/Add did reach Command: its job [0-9a-f-]{36} \(OperationStart .*\) is in JobHistory; not sending it again/);
  });

  test('Add, not processed (reset before): after a short lookup, fails saying what may exist and where to look', async () => {
    h.fault(ADD, 'resetBeforeProcessing');
    const e = await failure(h.run(certificateDeployment.create(contextFor(basicEnv(h.sim())), deployment)));
    expect(e.message).toMatch(new RegExp(
      '^POST /CertificateStores/Certificates/Add: ECONNRESET: socket hang up, after the request was sent at (\\S+): Keyfactor Command may or may not have acted on it\\. ' +
      `The request may have created a Management job to add certificate 3 on store ${S1} \\(web-01\\.example\\.test /etc/ssl/web-01\\.pem\\); ` +
      'no new Management job on that store appeared in JobHistory within 1s\\. ' +
      `A Management job \\(AgentId ${A1}, StorePath "/etc/ssl/web-01\\.pem", OperationStart >= \\S+\\) may exist: the next apply looks for it in JobHistory again before sending anything\\.$`));
    expect(h.sim().received('POST', ADD)).toHaveLength(1);
    expect(h.sim().jobs()).toEqual([]);
  });

  test('a job already in the ledger (a Remove just before) is never taken for the lost Add\'s', async () => {
    const ctx = contextFor(basicEnv(h.sim()));
    const removed = await certificateDeployment.destroy!(ctx, deployment);
    await (await beginRecord(ctx.ledger.store, { operation: 'CertificateDeployment', phase: 'destroy', stack: 't', constructPath: 't/op', specHash: 'x', origin: ctx.settings.origin }))
      .finish('succeeded', { jobIds: removed.jobIds });
    h.fault(ADD, 'resetBeforeProcessing');
    const e = await failure(h.run(certificateDeployment.create(ctx, deployment)));
    expect(e.message).toContain('The request may have created a Management job to add certificate 3');
  });

  test('Remove, answer lost: recovered the same way', async () => {
    h.fault(REMOVE, 'resetAfterProcessing');
    const result = await h.run(certificateDeployment.destroy!(contextFor(basicEnv(h.sim())), deployment));
    expect(h.sim().received('POST', REMOVE)).toHaveLength(1);
    expect(h.sim().jobs().filter((j) => j.Operation === 'Remove').map((j) => j.JobId)).toEqual(result.jobIds);
  });

  test('Add after a timeout, job not visible: the failure names the store and the timeout', async () => {
    // Latency past the client timeout on a request that is refused (503) afterwards: nothing was created.
    h.sim().injectFaults({ route: { method: 'POST', pathSuffix: ADD }, kind: 'latency', latencyMs: 1500, count: 1 }, { route: { method: 'POST', pathSuffix: ADD }, kind: 'status503', count: 1 });
    const e = await failure(h.run(certificateDeployment.create(contextFor(basicEnv(h.sim(), { KEYFACTOR_CLIENT_TIMEOUT: '0.5' })), deployment)));
    expect(e.message).toContain('POST /CertificateStores/Certificates/Add: no answer within 0.5s (KEYFACTOR_CLIENT_TIMEOUT), after the request was sent at');
    expect(e.message).toContain(`The request may have created a Management job to add certificate 3 on store ${S1} (web-01.example.test /etc/ssl/web-01.pem)`);
    expect(h.sim().received('POST', ADD)).toHaveLength(1);
  });
});

describe('CertificateDeployment apply half: an earlier run stopped in flight', () => {
  const h = applyHalfHarness();

  /** A context whose run follows an earlier, unfinished one of the same instance. */
  async function afterEarlierRun(fields: { jobIds?: string[] } = {}, env = basicEnv(h.sim())) {
    const ctx = contextFor(env);
    const identity = { operation: 'CertificateDeployment', phase: 'create', stack: 't', constructPath: 't/op', instanceKey: S1, specHash: 'h', origin: ctx.settings.origin };
    const earlier = await beginRecord(ctx.ledger.store, identity);
    if (fields.jobIds) await earlier.update({ jobIds: fields.jobIds });
    ctx.record = await beginRecord(ctx.ledger.store, identity);
    ctx.earlier = [earlier];
    return { ctx, earlier, ledgerDir: (ctx.ledger.store as DirectoryStore).directory };
  }

  test('its Add reached Command: the job is adopted from JobHistory, nothing is sent, the earlier record is settled', async () => {
    const { ledgerDir: first } = await afterEarlierRun();
    await certificateDeployment.create(contextFor(basicEnv(h.sim()), first), deployment); // the earlier run's Add, answer lost
    const [job] = h.sim().jobs();
    const { ctx, earlier } = await afterEarlierRun();
    const result = await h.run(certificateDeployment.create(ctx, deployment));
    expect(result.jobIds).toEqual([job.JobId]);
    expect(result.response).toMatchObject({ reconciledFrom: [earlier.current.recordId], fromJobHistory: true });
    expect(h.sim().received('POST', ADD)).toHaveLength(1);
    expect(h.output()).toContain(`reconciled: the earlier run's request did reach Command: its job ${job.JobId}`);
    expect(earlier.current).toMatchObject({ outcome: 'failed' });
    expect(earlier.current.message).toMatch(/^interrupted before its outcome was recorded; its job .* was found in JobHistory/);
    expect(ctx.earlier).toEqual([]);
  });

  test('a later job on the same store (somebody else\'s) is not taken for the earlier run\'s', async () => {
    const { ledgerDir: first } = await afterEarlierRun();
    const { ctx, earlier } = await afterEarlierRun();
    await certificateDeployment.create(contextFor(basicEnv(h.sim()), first), deployment); // the earlier run's Add
    await new Promise((r) => setTimeout(r, 50));
    await certificateDeployment.create(contextFor(basicEnv(h.sim())), { ...deployment, store: { ...deployment.store, alias: 'other' } });
    const [ours, theirs] = h.sim().jobs();
    expect(theirs.Alias).toBe('other');
    const result = await h.run(certificateDeployment.create(ctx, deployment));
    expect(result.jobIds).toEqual([ours.JobId]);
    expect(earlier.current.message).toContain(`its job ${ours.JobId} was found in JobHistory`);
  });

  test('it had recorded the job GUID: adopted without asking Command', async () => {
    const guid = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
    const { ctx } = await afterEarlierRun({ jobIds: [guid] });
    const result = await h.run(certificateDeployment.create(ctx, deployment));
    expect(result.jobIds).toEqual([guid]);
    expect(h.sim().requests).toEqual([]);
  });

  test('JobHistory has no job it created: the Add is sent now, once', async () => {
    const { ctx, earlier } = await afterEarlierRun();
    const result = await h.run(certificateDeployment.create(ctx, deployment));
    expect(h.sim().received('POST', ADD)).toHaveLength(1);
    expect(h.sim().jobs().map((j) => j.JobId)).toEqual(result.jobIds);
    expect(earlier.current.message).toMatch(/JobHistory shows no Management job it created, so Command did not act on it; the request was sent again/);
  });

  test('Command cannot be asked: nothing is sent, and the failure says the next apply checks first', async () => {
    const { ctx } = await afterEarlierRun({}, basicEnv(h.sim(), { CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0' }));
    h.sim().injectFaults({ route: { method: 'GET' }, kind: 'status503' });
    const e = await failure(h.run(certificateDeployment.create(ctx, deployment)));
    expect(e.name).toBe('MayHaveActedError');
    expect(e.message).toMatch(/^an earlier run \(ledger record .*\) stopped after it may have sent the request to add certificate 3, and Command could not be asked whether it did \(GET .* HTTP 503.*\)\. Nothing was sent\. Apply again once Keyfactor Command answers: the check runs first\.$/s);
    expect(h.sim().received('POST', ADD)).toEqual([]);
  });
});

import { spawn } from 'child_process';
import * as path from 'path';
import { CARRIER_TYPES, parseSpec, StateResource, stateResources, synthesizedStacks } from './stacks';
import { isUndoRegistryId, REPAIR_ENV, repairName } from '../contract/environment';
import { SpecBase, specLabel } from '../contract/spec';
import type { CertificateDeploymentSpec } from '../operations/certificate-deployment/spec';
import { checkEvaluated } from '../runner/checks';
import { KeyfactorClient } from '../runtime/api/client';
import { RunnerError } from '../runtime/errors';
import { queryJobHistory, queryValue } from '../runtime/jobs/history';
import { SecretResolver } from '../runtime/secrets';
import { connectionSettings } from '../runtime/settings';

export interface DriftOptions {
  /** The synthesized app. Default `cdktf.out`. */
  readonly outdir?: string;
  /** Only these stacks. Default: every stack in the app. */
  readonly stack?: string[];
  readonly json?: boolean;
  /** Count "not yet verifiable" as drift. */
  readonly strict?: boolean;
  /** Replace the drifted instances (terraform apply -replace=...), then check again. */
  readonly fix?: boolean;
}

export type Verdict = 'in-sync' | 'drift' | 'unverifiable' | 'not-checked';

/** One operation instance, as found in a stack's state, and what Command says of it. */
export interface DriftResult {
  readonly stack: string;
  /** Terraform address of the carrier instance, e.g. `terraform_data.web_Carrier_1A2B3C4D["key"]`. */
  readonly address: string;
  readonly label: string;
  readonly verdict: Verdict;
  readonly detail: string;
  /** The name `--fix` hands the runner (REPAIR_ENV). */
  readonly repair: string;
}

/**
 * `cdktf-keyfactor drift`: asks Command whether what each stack's state says was put in place is
 * still there. Exit 0 in sync, 2 drift found (and not fixed), 1 the check itself failed.
 * CertificateDeployment: the certificate is at (store, alias) per `GET /Certificates/{id}?
 * includeLocations=true`, one request per certificate; a missing location whose store has not
 * been inventoried since its last management job is "not yet verifiable" (drift with --strict).
 */
export async function runDrift(options: DriftOptions, env: NodeJS.ProcessEnv, write: (text: string) => void): Promise<number> {
  const outdir = path.resolve(options.outdir ?? 'cdktf.out');
  const stacks = options.stack?.length ? options.stack : synthesizedStacks(outdir);
  // Made on first use: a stack with nothing to check needs no connection settings.
  let made: KeyfactorClient | undefined;
  const client = () => {
    const secrets = new SecretResolver(env);
    return (made ??= new KeyfactorClient(connectionSettings(env, secrets), secrets));
  };
  const check = async () => {
    const results: DriftResult[] = [];
    for (const stack of stacks) results.push(...await checkStack(client, stack, stateResources(path.join(outdir, 'stacks', stack), env)));
    return results;
  };
  const drifted = (r: DriftResult) => r.verdict === 'drift' || (options.strict === true && r.verdict === 'unverifiable');
  let results = await check();
  let fixed: string[] = [];
  if (options.fix && results.some(drifted)) {
    fixed = await fix(outdir, results.filter(drifted), env, options.json ? () => undefined : write);
    results = await check();
  }
  const summary = {
    checked: results.length,
    inSync: results.filter((r) => r.verdict === 'in-sync').length,
    drift: results.filter((r) => r.verdict === 'drift').length,
    unverifiable: results.filter((r) => r.verdict === 'unverifiable').length,
    notChecked: results.filter((r) => r.verdict === 'not-checked').length,
  };
  const code = results.some(drifted) ? 2 : 0;
  if (options.json) {
    write(JSON.stringify({ inSync: code === 0, summary, fixed, results }, null, 2));
    return code;
  }
  for (const r of results.filter((x) => x.verdict !== 'in-sync')) {
    const fixHint = r.verdict === 'drift' ? `. Fix: npx cdktf-keyfactor drift --fix --stack ${r.stack} (terraform apply -replace='${r.address}').` : '';
    write(`${r.stack}: ${r.label}: ${r.verdict === 'drift' ? 'DRIFT' : r.verdict === 'unverifiable' ? 'not yet verifiable' : 'not checked'}: ${r.detail}${fixHint}`);
  }
  if (results.length === 0) {
    write(`cdktf-keyfactor drift: ${stacks.length} stack(s): no Keyfactor operation in their state, nothing to check.`);
    return 0;
  }
  write(`cdktf-keyfactor drift: ${summary.checked} operation instance(s) in ${stacks.length} stack(s): ${summary.inSync} in sync, ` +
    `${summary.drift} drifted, ${summary.unverifiable} not yet verifiable, ${summary.notChecked} not checked.`);
  return code;
}

async function checkStack(client: () => KeyfactorClient, stack: string, state: StateResource[]): Promise<DriftResult[]> {
  const deployments: Array<{ spec: CertificateDeploymentSpec; address: string }> = [];
  const results: DriftResult[] = [];
  for (const r of state) {
    if (!(r.type in CARRIER_TYPES) || isUndoRegistryId(r.name)) continue;
    const raw = parseSpec((r.values[CARRIER_TYPES[r.type as keyof typeof CARRIER_TYPES]] as { spec?: unknown } | undefined)?.spec);
    if (!raw || raw.operation === 'JobWait') continue;
    const { spec, problems } = checkEvaluated(raw);
    if (problems.length) continue; // refused at create: nothing was put in place
    const base = { stack, address: r.address, label: specLabel(spec), repair: repairName(spec.path, spec.key) };
    if (spec.operation === 'CertificateDeployment') deployments.push({ spec: spec as CertificateDeploymentSpec, address: r.address });
    else if (spec.operation === 'CertificateStorePassword') results.push({ ...base, verdict: 'not-checked', detail: 'a store password cannot be read back through the API' });
    else results.push({ ...base, verdict: 'not-checked', detail: `${spec.operation} is not checked by this version` });
  }
  const byCertificate = new Map<number, Array<{ spec: CertificateDeploymentSpec; address: string }>>();
  for (const d of deployments) byCertificate.set(d.spec.certificateId, [...byCertificate.get(d.spec.certificateId) ?? [], d]);
  for (const [certificateId, list] of byCertificate) {
    type Located = { Locations?: Array<{ CertStoreId?: string; Alias?: string | null }> };
    const res = await client().request<Located>('GET', `/Certificates/${certificateId}`, { query: { includeLocations: true } });
    const locations = res.data?.Locations ?? [];
    for (const { spec, address } of list) {
      const base = { stack, address, label: specLabel(spec as SpecBase), repair: repairName(spec.path, spec.key) };
      const store = spec.store.certificateStoreId.toLowerCase();
      const where = spec.store.alias === undefined ? `store ${store}` : `store ${store} under alias ${JSON.stringify(spec.store.alias)}`;
      const alias = spec.store.alias;
      const present = locations.some((l) => l.CertStoreId?.toLowerCase() === store && (alias === undefined || l.Alias === alias));
      if (present) {
        results.push({ ...base, verdict: 'in-sync', detail: `certificate ${certificateId} is in ${where}` });
      } else if (!('Immediate' in spec.schedule) && !('ExactlyOnce' in spec.schedule && Date.parse(spec.schedule.ExactlyOnce.Time) <= Date.now())) {
        results.push({ ...base, verdict: 'unverifiable', detail: `certificate ${certificateId} is not yet in ${where}: its jobs are scheduled` });
      } else {
        const inventoried = await inventoriedSinceLastJob(client(), store);
        results.push(inventoried.since
          ? { ...base, verdict: 'drift', detail: `certificate ${certificateId} is not in ${where} (Command's inventory of the store at ${inventoried.at})` }
          : { ...base, verdict: 'unverifiable', detail: `certificate ${certificateId} is not in ${where} yet, and the store has not been inventoried since its last job` });
      }
    }
  }
  return results;
}

/**
 * Whether the store's newest inventory in JobHistory finished after its newest management job
 * finished: only then do Command's Locations say what the store holds. A job still running counts
 * as newer than any inventory.
 */
async function inventoriedSinceLastJob(client: KeyfactorClient, storeId: string): Promise<{ since: boolean; at?: string }> {
  const store = (await client.request<{ Storepath?: string; ClientMachine?: string }>('GET', `/CertificateStores/${storeId}`)).data ?? {};
  if (typeof store.Storepath !== 'string' || typeof store.ClientMachine !== 'string') {
    throw new RunnerError(`GET /CertificateStores/${storeId} gave no Storepath and ClientMachine; cannot look up its inventories.`);
  }
  const newest = async (jobType: string) => (await queryJobHistory(client,
    `JobType -eq ${queryValue(jobType)} AND StorePath -eq ${queryValue(store.Storepath!)} AND ClientMachine -eq ${queryValue(store.ClientMachine!)}`,
    { returnLimit: 1, sortField: 'OperationStart', sortAscending: false })).rows[0];
  const [inventory, job] = [await newest('Inventory'), await newest('Management')];
  const end = (row: { OperationEnd?: string | null } | undefined) => (row?.OperationEnd ? Date.parse(row.OperationEnd) : NaN);
  if (!inventory) return { since: false };
  if (job && !(end(inventory) >= end(job))) return { since: false };
  return { since: true, at: inventory.OperationEnd ?? undefined };
}

/**
 * One `terraform apply -replace=...` per stack with drifted instances; the runner sends no undo for
 * them (REPAIR_ENV). Asynchronous, so a simulator in this process keeps answering.
 */
async function fix(outdir: string, drifted: DriftResult[], env: NodeJS.ProcessEnv, write: (text: string) => void): Promise<string[]> {
  const byStack = new Map<string, DriftResult[]>();
  for (const r of drifted) byStack.set(r.stack, [...byStack.get(r.stack) ?? [], r]);
  for (const [stack, list] of byStack) {
    const args = ['apply', '-auto-approve', '-input=false', '-no-color', ...list.map((r) => `-replace=${r.address}`)];
    write(`cdktf-keyfactor drift --fix: stack ${stack}: terraform ${args.join(' ')}`);
    const child = spawn('terraform', args, {
      cwd: path.join(outdir, 'stacks', stack),
      env: { ...env, [REPAIR_ENV]: JSON.stringify(list.map((r) => r.repair)) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const status = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    });
    if (status !== 0) throw new RunnerError(`terraform apply for the drifted instances of stack ${stack} failed:\n${output.trim()}`);
  }
  return drifted.map((r) => r.address);
}

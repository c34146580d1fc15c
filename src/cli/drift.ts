import * as path from 'path';
import type { DriftContext, DriftRule, Finding, Verdict } from './drift-rule';
import { carrierLedger } from './ledgers';
import { repairStack, StackRepair } from './repair';
import { CARRIER_TYPES, parseSpec, readConfiguration, stateResources, synthesizedStacks } from './stacks';
import { isUndoRegistryId, repairName } from '../contract/environment';
import { describeLocation } from '../contract/ledger-location';
import type { LedgerRecord } from '../contract/ledger-record';
import { replaceCommand } from '../contract/shell';
import { SpecBase, specHash, specLabel } from '../contract/spec';
import { deploymentDrift } from '../operations/certificate-deployment/drift';
import { storePasswordDrift } from '../operations/certificate-store-password/drift';
import { reenrollmentDrift } from '../operations/certificate-store-reenrollment/drift';
import { pamLocalEntryDrift } from '../operations/pam-local-entry/drift';
import { pfxReplacementDrift } from '../operations/pfx-replacement/drift';
import { checkEvaluated } from '../runner/checks';
import { KeyfactorClient } from '../runtime/api/client';
import { CommandView, memo } from '../runtime/jobs/delivery';
import { identityKey, LedgerChoice, LedgerEntry, OpenLedger, openLedger, sameOrigin, warnUnreadable } from '../runtime/ledger';
import { SecretResolver } from '../runtime/secrets';
import { connectionSettings, origin } from '../runtime/settings';

export type { Verdict };

/** What "still true" means, per operation (each rule lives with its operation). */
const RULES: Record<string, DriftRule<any>> = {
  CertificateDeployment: deploymentDrift,
  PfxReplacement: pfxReplacementDrift,
  PamLocalEntry: pamLocalEntryDrift,
  CertificateStoreReenrollment: reenrollmentDrift,
  CertificateStorePassword: storePasswordDrift,
};

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
  /**
   * With `fix`: apply every other change the stack's plan holds too. Without it, a plan holding
   * anything besides the drifted instances is refused.
   */
  readonly includePending?: boolean;
  /** After `--fix`: how long to wait for the repaired instances to show in Command. Default 600. */
  readonly fixTimeoutSeconds?: number;
  /** After `--fix`: how often to ask again while waiting. Default 5. */
  readonly pollIntervalSeconds?: number;
}

/** One operation instance, as found in a stack's state, and what Command says of it. */
export interface DriftResult {
  readonly stack: string;
  /** Terraform address of the carrier instance, e.g. `terraform_data.web_Carrier_1A2B3C4D["key"]`. */
  readonly address: string;
  readonly label: string;
  readonly verdict: Verdict;
  readonly detail: string;
  /** How to repair it: `cd <stack dir> && terraform apply -replace=<address>` (what `--fix` runs), or what to do instead. */
  readonly fix?: string;
  /** Whether `--fix` can repair it by replacing the instance. */
  readonly replaceable: boolean;
  /** The name `--fix` hands the runner (REPAIR_ENV). */
  readonly repair: string;
}

/** A carrier instance with an operation to check. */
interface Instance {
  readonly stack: string;
  readonly address: string;
  readonly spec: SpecBase;
  /** The ledger its runner writes to. */
  readonly ledger: LedgerChoice;
  /** The stack's directory, where terraform runs. */
  readonly dir: string;
}

/**
 * `cdktf-keyfactor drift`: asks Command whether what each stack's state says was put in place is
 * still there (rules in each operation's drift.ts). Exit 0 in sync, 2 drift found (and not
 * fixed), 1 the check itself failed.
 */
export async function runDrift(options: DriftOptions, env: NodeJS.ProcessEnv, write: (text: string) => void): Promise<number> {
  const outdir = path.resolve(options.outdir ?? 'cdktf.out');
  const stacks = options.stack?.length ? options.stack : synthesizedStacks(outdir);
  const session = new DriftSession(env);
  try {
    return await report(options, stacks, session, outdir, env, write);
  } finally {
    await session.close();
  }
}

async function report(
  options: DriftOptions, stacks: string[], session: DriftSession, outdir: string, env: NodeJS.ProcessEnv, write: (text: string) => void,
): Promise<number> {
  const drifted = (r: DriftResult) => r.verdict === 'drift' || (options.strict === true && r.verdict === 'unverifiable');
  const checkAll = async () => session.check(stacks.flatMap((stack) => instancesOf(outdir, stack, env)));
  let results = await checkAll();
  let fixed: string[] = [];
  let repairs: Repair[] = [];
  // Only real drift is re-run: an instance not yet verifiable (even with --strict) may still be on its way.
  const repairable = results.filter((r) => r.verdict === 'drift' && r.replaceable);
  if (options.fix && repairable.length) {
    const say = options.json ? () => undefined : write;
    const done = await fix(outdir, repairable, options.includePending === true, env, say);
    fixed = repairable.map((r) => r.address);
    const repaired = new Set(fixed.map((a, n) => `${repairable[n].stack} ${a}`));
    const instances = [...new Set(repairable.map((r) => r.stack))].flatMap((stack) => instancesOf(outdir, stack, env))
      .filter((i) => repaired.has(`${i.stack} ${i.address}`));
    await session.awaitRepair(instances, (options.fixTimeoutSeconds ?? 600) * 1000, (options.pollIntervalSeconds ?? 5) * 1000, say);
    session.refresh();
    repairs = await session.repairs(instances, done);
    for (const r of repairs) say(`cdktf-keyfactor drift --fix: ${r.stack}: ${r.label}: re-run; job(s) ${r.jobIds.join(', ') || 'none recorded'}`);
    results = await checkAll();
  }
  const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  const summary = { checked: results.length, inSync: count('in-sync'), drift: count('drift'), unverifiable: count('unverifiable'), notChecked: count('not-checked') };
  const code = results.some(drifted) ? 2 : 0;
  if (options.json) {
    write(JSON.stringify({ inSync: code === 0, summary, fixed, ...(options.fix ? { repairs } : {}), results }, null, 2));
    return code;
  }
  for (const r of results.filter((x) => x.verdict !== 'in-sync')) {
    const fixHint = r.verdict !== 'drift' ? '' : r.replaceable
      ? `. Fix: npx cdktf-keyfactor drift --fix --stack ${r.stack} (${r.fix}).`
      : `. Fix: ${r.fix} (\`drift --fix\` cannot repair this one).`;
    const verdict = { 'drift': 'DRIFT', 'unverifiable': 'not yet verifiable', 'not-checked': 'not checked', 'in-sync': 'in sync' }[r.verdict];
    write(`${r.stack}: ${r.label}: ${verdict}: ${r.detail}${fixHint}`);
  }
  if (results.length === 0) {
    write(`cdktf-keyfactor drift: ${stacks.length} stack(s): no Keyfactor operation in their state, nothing to check.`);
    return 0;
  }
  write(`cdktf-keyfactor drift: ${summary.checked} operation instance(s) in ${stacks.length} stack(s): ${summary.inSync} in sync, ` +
    `${summary.drift} drifted, ${summary.unverifiable} not yet verifiable, ${summary.notChecked} not checked.`);
  return code;
}

/** The stack's carrier instances that ran an operation (a spec refused at create put nothing in place). */
function instancesOf(outdir: string, stack: string, env: NodeJS.ProcessEnv): Instance[] {
  const dir = path.join(outdir, 'stacks', stack);
  const state = stateResources(dir, env);
  const configuration = readConfiguration(dir, stack);
  const found: Instance[] = [];
  for (const r of state) {
    if (!(r.type in CARRIER_TYPES) || isUndoRegistryId(r.name)) continue;
    const raw = parseSpec((r.values[CARRIER_TYPES[r.type as keyof typeof CARRIER_TYPES]] as { spec?: unknown } | undefined)?.spec);
    if (!raw || raw.operation === 'JobWait') continue;
    const { spec, problems } = checkEvaluated(raw);
    if (problems.length) continue;
    found.push({ stack, address: r.address, spec, ledger: carrierLedger(dir, configuration, env, r.type, r.name), dir });
  }
  return found;
}

/** Requests in flight at once: enough to hide latency, few enough not to look like a flood. */
const CONCURRENCY = 8;

/** `work` over `items`, at most `limit` at a time, results in the items' order. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const n = next++;
      results[n] = await work(items[n]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** What one drift run asks Command and reads from ledgers, each at most once until refresh(). */
class DriftSession {
  private client?: KeyfactorClient;
  private commandView?: CommandView;
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly ledgers = new Map<string, OpenLedger>();
  /** Records read, by ledger and identity key (a directory's: all of them, once). */
  private readonly records = new Map<string, Promise<LedgerEntry[]>>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  public refresh(): void {
    this.commandView?.refresh();
    this.cache.clear();
    this.records.clear();
  }

  /** Closes the ledgers' connections. */
  public async close(): Promise<void> {
    await Promise.all([...this.ledgers.values()].map((l) => l.store.close().catch(() => undefined)));
    this.ledgers.clear();
  }

  public async check(instances: Instance[]): Promise<DriftResult[]> {
    const findings = await inParallel(instances, CONCURRENCY, async (i): Promise<Finding | undefined> => {
      const rule = RULES[i.spec.operation];
      return rule ? rule(this.context(i), i.spec) : { verdict: 'not-checked' as const, detail: `${i.spec.operation} is not checked by this version` };
    });
    const results: DriftResult[] = [];
    for (const [n, i] of instances.entries()) {
      const finding = findings[n];
      if (!finding) continue;
      results.push({
        stack: i.stack,
        address: i.address,
        label: specLabel(i.spec),
        verdict: finding.verdict,
        detail: finding.detail,
        ...(finding.verdict === 'drift' ? { fix: finding.fix ?? replaceCommand(i.address, i.dir, process.cwd()) } : {}),
        replaceable: finding.fix === undefined,
        repair: repairName(i.spec.path, i.spec.key),
      });
    }
    return results;
  }

  /** Until the repaired instances are no longer "not yet verifiable" (their jobs ran, their stores were inventoried), or the timeout. */
  public async awaitRepair(instances: Instance[], timeoutMs: number, pollMs: number, write: (text: string) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    write(`cdktf-keyfactor drift --fix: waiting up to ${Math.round(timeoutMs / 1000)}s for Command's inventories to show the ${instances.length} repaired instance(s)`);
    for (;;) {
      this.refresh();
      const pending = (await this.check(instances)).filter((r) => r.verdict === 'unverifiable');
      if (pending.length === 0 || Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
    }
  }

  /** The repaired instances with the jobs their re-run recorded. */
  public async repairs(instances: Instance[], done: StackRepair[]): Promise<Repair[]> {
    return Promise.all(instances.map(async (i) => ({
      stack: i.stack,
      address: i.address,
      label: specLabel(i.spec),
      jobIds: (await this.record(i.ledger, i.spec))?.jobIds ?? [],
      applied: done.find((d) => d.stack === i.stack)?.summary ?? '',
    })));
  }

  private context(instance: Instance): DriftContext {
    return {
      client: () => this.connect(),
      view: () => (this.commandView ??= new CommandView(this.connect())),
      record: (spec) => this.record(instance.ledger, spec),
      ledger: describeLocation(instance.ledger.location),
      once: <T>(key: string, read: () => Promise<T>) => memo(this.cache, key, read),
    };
  }

  private connect(): KeyfactorClient {
    const secrets = new SecretResolver(this.env);
    return (this.client ??= new KeyfactorClient(connectionSettings(this.env, secrets), secrets));
  }

  /**
   * The newest succeeded create record of `spec`'s instance. A shared store is asked for that
   * instance's records only; a directory is read once (records of versions before identity keys included).
   */
  private async record(choice: LedgerChoice, spec: SpecBase): Promise<LedgerRecord | undefined> {
    const where = JSON.stringify(choice.location);
    let ledger = this.ledgers.get(where);
    if (!ledger) {
      ledger = openLedger(choice, this.env);
      this.ledgers.set(where, ledger);
    }
    const here = origin(this.env);
    const hash = specHash(spec);
    const key = identityKey({ origin: here, stack: spec.stack, constructPath: spec.path, instanceKey: spec.key, specHash: hash });
    const byKey = ledger.store.type !== 'directory';
    const cacheKey = `${where}\n${byKey ? key : ''}`;
    let read = this.records.get(cacheKey);
    if (!read) {
      read = ledger.store.read({ onUnreadable: warnUnreadable, ...(byKey ? { identityKeys: new Set([key]) } : {}) });
      this.records.set(cacheKey, read);
    }
    return (await read).filter((r) => sameOrigin(r, here) && r.phase === 'create' && r.outcome === 'succeeded' &&
      r.constructPath === spec.path && r.instanceKey === spec.key && r.specHash === hash).pop();
  }
}

/** What `--fix` did for one instance. */
export interface Repair {
  readonly stack: string;
  readonly address: string;
  readonly label: string;
  /** The job GUIDs Command returned for the re-run, from the ledger. */
  readonly jobIds: string[];
  /** Terraform's summary of the stack's apply. */
  readonly applied: string;
}

/** One repair per stack with drifted instances; the runner sends no undo for them (REPAIR_ENV). */
async function fix(
  outdir: string, drifted: DriftResult[], includePending: boolean, env: NodeJS.ProcessEnv, write: (text: string) => void,
): Promise<StackRepair[]> {
  const byStack = new Map<string, DriftResult[]>();
  for (const r of drifted) byStack.set(r.stack, [...byStack.get(r.stack) ?? [], r]);
  const done: StackRepair[] = [];
  for (const [stack, list] of byStack) {
    write(`cdktf-keyfactor drift --fix: stack ${stack}: re-running ${list.map((r) => r.address).join(', ')}`);
    const repair = await repairStack(path.join(outdir, 'stacks', stack), stack, list, { includePending }, env);
    for (const c of repair.pending) write(`cdktf-keyfactor drift --fix: stack ${stack}: also applied (--include-pending): ${c.action} ${c.address}`);
    if (repair.summary) write(`cdktf-keyfactor drift --fix: stack ${stack}: ${repair.summary}`);
    done.push(repair);
  }
  return done;
}

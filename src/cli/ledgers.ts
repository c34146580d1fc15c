/**
 * Which ledgers a CLI command reads, decided as each stack's runner decides (runtime/ledger/locate.ts):
 * `--ledger` (a directory or URL) when given; else, for every synthesized stack, the ledger its
 * carriers name (CDKTF_KEYFACTOR_LEDGER, the stack's choice at synth, its backend); else, with no
 * synthesized app, CDKTF_KEYFACTOR_LEDGER or `./.keyfactor-ledger`. A machine that only synthesized
 * reads the same shared store the apply wrote: the backend comes from `terraform init`'s record
 * when there is one, else from cdk.tf.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CARRIER_TYPES, Configuration, readConfiguration, synthesizedStacks } from './stacks';
import { DEFAULT_LEDGER_DIRECTORY, DEFAULT_LEDGER_ENV, LEDGER_LOCATION_ENV, STACK_LEDGER_ENV } from '../contract/environment';
import { RunnerError } from '../runtime/errors';
import {
  byStart, chooseLedger, DirectoryStore, environmentChoice, LedgerChoice, LedgerEntry, newer, openLedger, parseLedgerUrl, warnUnreadable,
} from '../runtime/ledger';
import { configuredBackend } from '../runtime/ledger/backend';

export interface LedgerOptions {
  /** A ledger directory or URL; default: each synthesized stack's. */
  readonly ledger?: string;
  /** The synthesized app. Default `cdktf.out`. */
  readonly outdir?: string;
  /** Only this stack's ledger (and, where the command filters, records). */
  readonly stack?: string;
}

/** A ledger and the stacks whose runners write to it. */
export interface ChosenLedger {
  readonly choice: LedgerChoice;
  readonly stacks: string[];
}

/** The distinct ledgers to read for `options`. */
export function chosenLedgers(options: LedgerOptions, env: NodeJS.ProcessEnv): ChosenLedger[] {
  if (options.ledger !== undefined) {
    const text = options.ledger;
    const placed = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? parseLedgerUrl(text, env, '--ledger') : { location: { type: 'directory' as const, path: path.resolve(text) }, credentials: {} };
    return [{ choice: { ...placed, source: '--ledger', local: path.resolve(DEFAULT_LEDGER_DIRECTORY) }, stacks: [] }];
  }
  const outdir = path.resolve(options.outdir ?? 'cdktf.out');
  let stacks: string[] = [];
  try {
    stacks = synthesizedStacks(outdir);
  } catch {
    // No synthesized app: the environment's ledger, else the default directory, as before stores.
  }
  if (options.stack !== undefined) stacks = stacks.filter((s) => s === options.stack);
  if (stacks.length === 0) {
    const fromEnv = environmentChoice(env);
    const local = path.resolve(DEFAULT_LEDGER_DIRECTORY);
    return [{ choice: fromEnv ? { ...fromEnv, local } : { location: { type: 'directory', path: local }, credentials: {}, source: 'the default', local }, stacks: [] }];
  }
  const byLocation = new Map<string, ChosenLedger>();
  for (const stack of stacks) {
    for (const choice of stackLedgers(outdir, stack, env)) {
      const key = JSON.stringify(choice.location);
      const known = byLocation.get(key);
      if (known) known.stacks.push(stack);
      else byLocation.set(key, { choice, stacks: [stack] });
    }
  }
  return [...byLocation.values()];
}

/** The ledgers a stack's carriers name (one, unless a KeyfactorDefaults below the stack chose another). */
export function stackLedgers(outdir: string, stack: string, env: NodeJS.ProcessEnv): LedgerChoice[] {
  const dir = path.join(outdir, 'stacks', stack);
  const configuration = readConfiguration(dir, stack);
  const envs = provisionerLedgerEnvs(configuration);
  if (envs.length === 0) envs.push({});
  return envs.map((e) => ledgerOf(dir, configuration, env, e));
}

/** The ledger the runner of a carrier resource (`type`.`name`) uses, as that runner decides it. */
export function carrierLedger(dir: string, configuration: Configuration, env: NodeJS.ProcessEnv, type: string, name: string): LedgerChoice {
  return ledgerOf(dir, configuration, env, ledgerEnvOf(configuration.resource?.[type]?.[name]) ?? {});
}

function ledgerOf(dir: string, configuration: Configuration, env: NodeJS.ProcessEnv, provisioner: Record<string, string>): LedgerChoice {
  const file = path.join(dir, 'cdk.tf.json');
  return chooseLedger({ ...env, ...provisioner }, dir, () => configuredBackend(configuration as { terraform?: unknown }, file));
}

type ProvisionerList = Array<Record<string, { environment?: Record<string, unknown> }>>;

/** The ledger variables of a resource's provisioners (DEFAULT_LEDGER_ENV, STACK_LEDGER_ENV). */
function ledgerEnvOf(block: Record<string, unknown> | undefined): Record<string, string> | undefined {
  for (const p of (block?.provisioner ?? []) as ProvisionerList) {
    const e = p['local-exec']?.environment;
    if (typeof e?.[DEFAULT_LEDGER_ENV] !== 'string') continue;
    const out: Record<string, string> = { [DEFAULT_LEDGER_ENV]: e[DEFAULT_LEDGER_ENV] as string };
    if (typeof e[STACK_LEDGER_ENV] === 'string') out[STACK_LEDGER_ENV] = e[STACK_LEDGER_ENV] as string;
    return out;
  }
  return undefined;
}

function provisionerLedgerEnvs(configuration: Configuration): Array<Record<string, string>> {
  const seen = new Map<string, Record<string, string>>();
  for (const type of Object.keys(CARRIER_TYPES)) {
    for (const block of Object.values(configuration.resource?.[type] ?? {})) {
      const e = ledgerEnvOf(block);
      if (e) seen.set(JSON.stringify(e), e);
    }
  }
  return [...seen.values()];
}

/**
 * Every record of the chosen ledgers, oldest first, with the records still waiting in each
 * shared store's local directory (a write that failed there after Command answered, or a ledger
 * an earlier version kept): those are counted in `waiting`, to be moved in with `ledger copy`.
 * A directory that does not exist is an error (a wrong path would look like an empty ledger),
 * unless another ledger was read.
 */
export async function readLedgers(
  options: LedgerOptions, env: NodeJS.ProcessEnv,
): Promise<{ records: LedgerEntry[]; waiting: Array<{ directory: string; count: number }> }> {
  const chosen = chosenLedgers(options, env);
  const byId = new Map<string, LedgerEntry>();
  const waiting: Array<{ directory: string; count: number }> = [];
  const missing: string[] = [];
  for (const { choice } of chosen) {
    const ledger = openLedger(choice, env);
    try {
      if (ledger.store instanceof DirectoryStore && !fs.existsSync(ledger.store.directory)) {
        missing.push(ledger.store.directory);
        continue;
      }
      for (const r of await ledger.store.read({ onUnreadable: warnUnreadable })) byId.set(r.recordId, r);
      for (const local of [ledger.unsent, ledger.local]) {
        if (!local?.isDirectory()) continue;
        const fresh = (await local.read({ onUnreadable: warnUnreadable })).filter((r) => newer(r, byId.get(r.recordId)));
        fresh.forEach((r) => byId.set(r.recordId, r));
        if (fresh.length) waiting.push({ directory: local.directory, count: fresh.length });
      }
    } finally {
      await ledger.store.close();
    }
  }
  if (missing.length === chosen.length) {
    throw new RunnerError(`no ledger at ${missing.join(', ')} (pass --ledger DIR or URL, set ${LEDGER_LOCATION_ENV}, or run from the app's directory).`);
  }
  const records = [...byId.values()].sort(byStart);
  return { records, waiting };
}

/** The note for records a shared store does not have yet. */
export function waitingNote(waiting: Array<{ directory: string; count: number }>): string[] {
  return waiting.map((w) => `cdktf-keyfactor: NOTE: ${w.count} record(s) in ${w.directory} are not in the shared ledger store yet ` +
    `(shown here); move them in: npx cdktf-keyfactor ledger copy --from ${w.directory}`);
}


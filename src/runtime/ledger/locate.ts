/**
 * Where a stack's ledger lives, decided the same way by the runner and the CLI:
 *
 *  1. CDKTF_KEYFACTOR_LEDGER (a URL or an absolute directory; CDKTF_KEYFACTOR_LEDGER_DIR, its older
 *     spelling, for a directory), so a pipeline can name a store without changing code;
 *  2. the stack's choice at synth (`KeyfactorDefaults` `ledger`);
 *  3. the stack's Terraform backend: `s3`, `azurerm` and `pg` keep the ledger beside the state,
 *     with the backend's own settings; `local` beside the state file;
 *  4. otherwise the local directory, with a warning for backends that have a place of their own
 *     the ledger cannot use yet (the outputs then stay on this machine).
 */
import * as path from 'path';
import { Backend, initializedBackend } from './backend';
import { STORES } from './stores';
import type { Credentials } from './stores/configuration';
import {
  DEFAULT_LEDGER_DIRECTORY, DEFAULT_LEDGER_ENV, LEDGER_ENV, LEDGER_LOCATION_ENV, STACK_LEDGER_ENV,
} from '../../contract/environment';
import { LedgerLocation, locationProblems } from '../../contract/ledger-location';
import { RunnerError } from '../errors';

export interface LedgerChoice {
  /** Directory paths are absolute. */
  readonly location: LedgerLocation;
  /** From the backend's configuration or the URL; used to connect, never written or printed. */
  readonly credentials: Credentials;
  /** How it was chosen, e.g. `the stack's s3 backend`. */
  readonly source: string;
  /**
   * The local ledger directory: where records wait when a shared store cannot take them after
   * Command answered, and where versions before shared stores kept them.
   */
  readonly local: string;
  /** A warning to print once per apply: the ledger stays on this machine although the state does not. */
  readonly notice?: string;
}

/** Backends with a place of their own that the ledger cannot use (yet): the ledger stays local, with a warning. */
const HOW_TO_SHARE = `To keep the ledger with the state, name a shared store: ${LEDGER_LOCATION_ENV}=s3://bucket/prefix (or azblob://account/container/prefix, ` +
  'postgres://host/database), or KeyfactorDefaults ledger: Ledger.s3(...), Ledger.azureBlob(...), Ledger.postgres(...).';

/**
 * The ledger of the stack whose Terraform working directory is `stackDir`. `env` is the runner's
 * environment (the carrier's provisioner environment included). `fallbackBackend` is the backend
 * block of the synthesized configuration, for the CLI where `terraform init` never ran.
 */
export function chooseLedger(env: NodeJS.ProcessEnv, stackDir: string, fallbackBackend?: () => Backend | undefined): LedgerChoice {
  const local = path.resolve(stackDir, nonBlank(env[DEFAULT_LEDGER_ENV]) ?? DEFAULT_LEDGER_DIRECTORY);
  const fromEnv = environmentChoice(env);
  if (fromEnv?.source === LEDGER_ENV) {
    // What the README advised before stores (a directory kept as a CI artifact) must not silently
    // keep a ledger off a backend that can hold it.
    const backend = initializedBackend(stackDir, env) ?? fallbackBackend?.();
    const store = backend && STORES.find((s) => s.backend === backend.type);
    if (store) {
      return {
        ...fromEnv,
        local,
        notice: `${LEDGER_ENV} keeps the ledger in ${(fromEnv.location as { path: string }).path}, off the stack's ${backend.type} backend, which could keep it ` +
          `with the state for later pipelines and teammates: unset ${LEDGER_ENV}, then move that directory in with \`npx cdktf-keyfactor ledger copy --from ` +
          `${(fromEnv.location as { path: string }).path}\` (or set ${LEDGER_LOCATION_ENV} to keep a directory on purpose).`,
      };
    }
  }
  if (fromEnv) return { ...fromEnv, local };
  const chosen = nonBlank(env[STACK_LEDGER_ENV]);
  if (chosen !== undefined) return { ...stackChoice(chosen, stackDir, env), source: 'KeyfactorDefaults (ledger)', local };
  const backend = initializedBackend(stackDir, env) ?? fallbackBackend?.();
  if (!backend) return { location: { type: 'directory', path: local }, credentials: {}, source: 'the default (the stack\'s state is local)', local };
  if (backend.type === 'local') {
    const state = typeof backend.config.path === 'string' && backend.config.path !== '' ? backend.config.path : undefined;
    const dir = state ? path.join(path.dirname(path.resolve(stackDir, state)), DEFAULT_LEDGER_DIRECTORY) : local;
    return { location: { type: 'directory', path: dir }, credentials: {}, source: 'the stack\'s local backend (beside its state file)', local };
  }
  const store = STORES.find((s) => s.backend === backend.type);
  if (!store) {
    return {
      location: { type: 'directory', path: local },
      credentials: {},
      source: `the default (the stack's ${backend.type} backend has no place for it)`,
      local,
      notice: `the ledger (job GUIDs, what recovery reads) stays on this machine in ${local}: the stack's "${backend.type}" backend has no place ` +
        `cdktf-keyfactor can keep it in, so later pipelines and teammates will not see it. ${HOW_TO_SHARE}`,
    };
  }
  let placed;
  try {
    placed = store.fromBackend(backend.config, env);
  } catch (e) {
    throw new RunnerError(`cannot keep the ledger beside the state: ${(e as Error).message} (read from ${backend.from}). ` +
      `Run \`terraform init\` with the backend's full configuration, or name the ledger with ${LEDGER_LOCATION_ENV}.`);
  }
  checked(placed.location, `the stack's ${backend.type} backend`);
  return { ...placed, source: `the stack's ${backend.type} backend`, local };
}

/** CDKTF_KEYFACTOR_LEDGER or CDKTF_KEYFACTOR_LEDGER_DIR, parsed; undefined when neither is set. */
export function environmentChoice(env: NodeJS.ProcessEnv): Omit<LedgerChoice, 'local'> | undefined {
  const url = nonBlank(env[LEDGER_LOCATION_ENV])?.trim();
  const dir = nonBlank(env[LEDGER_ENV])?.trim();
  if (url !== undefined && dir !== undefined && url !== dir) {
    throw new RunnerError(`both ${LEDGER_LOCATION_ENV} and ${LEDGER_ENV} are set, to different ledgers: set ${LEDGER_LOCATION_ENV} only.`);
  }
  if (url !== undefined) return { ...parseLedgerUrl(url, env, LEDGER_LOCATION_ENV), source: LEDGER_LOCATION_ENV };
  if (dir !== undefined) {
    if (!path.isAbsolute(dir)) {
      throw new RunnerError(`${LEDGER_ENV} must be an absolute path (Terraform runs the runner from the stack directory), got ${JSON.stringify(dir)}.`);
    }
    return { location: { type: 'directory', path: dir }, credentials: {}, source: LEDGER_ENV };
  }
  return undefined;
}

/** A ledger named by a URL (`s3://`, `azblob://`, `postgres://`, `file://`) or an absolute path. */
export function parseLedgerUrl(text: string, env: NodeJS.ProcessEnv, variable: string): { location: LedgerLocation; credentials: Credentials } {
  const forms = () => ['an absolute directory', ...STORES.map((s) => s.example)].join('; ');
  if (path.isAbsolute(text)) return { location: { type: 'directory', path: text }, credentials: {} };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1].toLowerCase();
  if (!scheme) {
    // Not echoed: a connection string put here by mistake may hold a key or password.
    throw new RunnerError(`${variable} must be an absolute directory or a URL (Terraform runs the runner from the stack directory); ` +
      `it is neither. Forms: ${forms()}.`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RunnerError(`${variable} is not a valid URL (${scheme}://...). Forms: ${forms()}.`);
  }
  if (scheme === 'file') return { location: { type: 'directory', path: decodeURIComponent(url.pathname) }, credentials: {} };
  const store = STORES.find((s) => s.schemes.includes(scheme));
  if (!store) throw new RunnerError(`${variable}: "${scheme}://" is not a ledger store. Forms: ${forms()}.`);
  let placed;
  try {
    placed = store.fromUrl(url, env);
  } catch (e) {
    throw new RunnerError(`${variable}: ${(e as Error).message}. Form: ${store.example}.`);
  }
  checked(placed.location, variable);
  return placed;
}

/** The location a stack chose at synth (a URL, or a directory relative to the stack directory). */
function stackChoice(text: string, stackDir: string, env: NodeJS.ProcessEnv): { location: LedgerLocation; credentials: Credentials } {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return { location: { type: 'directory', path: path.resolve(stackDir, text) }, credentials: {} };
  return parseLedgerUrl(text, env, `${STACK_LEDGER_ENV} (set by the carrier from KeyfactorDefaults' ledger)`);
}

function checked(location: LedgerLocation, from: string): void {
  const problems = locationProblems(location);
  if (problems.length) throw new RunnerError(`the ledger named by ${from} is not valid: ${problems.join('; ')}.`);
}

function nonBlank(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text;
}

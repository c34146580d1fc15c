/**
 * Loads a shared store's client, bundled with its SDK (`ledger-<type>.cjs`), only when a ledger
 * lives there: the runner's start-up, which every provisioner pays, never loads an SDK, and the
 * apply machine still needs nothing but node and terraform (the bundles travel in the runner's
 * asset directory).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Credentials } from './configuration';
import type { LedgerLocation } from '../../../contract/ledger-location';
import { RunnerError } from '../../errors';
import type { ObjectClient } from '../objects';

export interface ClientOptions {
  /** Longest one read, write or listing may take, retries included. */
  readonly timeoutMs: number;
  readonly env: NodeJS.ProcessEnv;
}

/** What each `ledger-<type>.cjs` exports. */
export interface ClientModule {
  openClient(location: LedgerLocation, credentials: Credentials, options: ClientOptions): ObjectClient;
}

/** Beside the runner in its asset (the bundle's __dirname), else in the package's bundle/runner/ (from lib/ or src/). */
export function clientModuleFile(type: string): string {
  const name = `ledger-${type}.cjs`;
  const candidates = [path.join(__dirname, name), path.resolve(__dirname, '..', '..', '..', '..', 'bundle', 'runner', name)];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) {
    throw new RunnerError(`the ${type} ledger store's client (${name}) is missing beside the runner (${candidates.join(', ')}): ` +
      'reinstall cdktf-keyfactor and synthesize again (in a checkout: npm run compile).');
  }
  return found;
}

export function loadClientModule(type: string): ClientModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(clientModuleFile(type)) as ClientModule;
}

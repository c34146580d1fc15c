/**
 * The configuration Terraform is applying: cdk.tf.json in the stack directory, where Terraform
 * runs provisioners. The undo registry reads it to tell a deleted construct from a configured one,
 * the job wait to know a carrier's instances, the CLI to compare it with the state.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RunnerError } from './errors';
import { CONFIGURATION_FILE } from '../contract/environment';

/** A synthesized stack's cdk.tf.json, as far as the library reads it. */
export interface Configuration {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly locals?: Record<string, unknown>;
}

/** cdk.tf.json of `directory`; a file that cannot be read fails with what the read was `for`, e.g. `tell whether x was deleted`. */
export function readConfiguration(directory: string, forWhat: string, fix = 'Apply from the stack directory cdktf synthesized, as `cdktf deploy` does.'): Configuration {
  const file = path.join(directory, CONFIGURATION_FILE);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Configuration;
  } catch (e) {
    throw new RunnerError(`cannot ${forWhat}: reading ${file} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). ${fix}`);
  }
}

/** The block of `address` (`type.name`), if configured. */
export function configuredResource(config: Configuration, address: string): Record<string, unknown> | undefined {
  const dot = address.indexOf('.');
  return config.resource?.[address.slice(0, dot)]?.[address.slice(dot + 1)];
}

const LOCAL_REFERENCE = /^\$\{local\.([A-Za-z0-9_-]+)\}$/;

/**
 * A block's for_each map, by instance key: the `locals` map its for_each names (how carriers and
 * the undo registry are rendered), or an inline map. Undefined for a block without instances.
 */
export function configuredInstances(config: Configuration, block: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  let forEach = block?.for_each;
  const local = typeof forEach === 'string' ? LOCAL_REFERENCE.exec(forEach) : null;
  if (local) forEach = config.locals?.[local[1]];
  return forEach && typeof forEach === 'object' && !Array.isArray(forEach) ? forEach as Record<string, unknown> : undefined;
}

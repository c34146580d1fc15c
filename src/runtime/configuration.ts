/**
 * The configuration Terraform is applying: cdk.tf.json in the stack directory, where Terraform
 * runs provisioners. The undo registry reads it to tell a deleted construct from a configured one,
 * the job wait to know a carrier's instances.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RunnerError } from './errors';
import { CONFIGURATION_FILE } from '../contract/environment';

export type ConfiguredResources = Record<string, Record<string, Record<string, unknown>>>;

/** Its `resource` blocks; a file that cannot be read fails with what the read was `for`, e.g. `tell whether x was deleted`. */
export function configuredResources(directory: string, forWhat: string): ConfiguredResources {
  const file = path.join(directory, CONFIGURATION_FILE);
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { resource?: ConfiguredResources }).resource ?? {};
  } catch (e) {
    throw new RunnerError(`cannot ${forWhat}: reading ${file} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). ` +
      'Apply from the stack directory cdktf synthesized, as `cdktf deploy` does.');
  }
}

/** The block of `address` (`type.name`), if configured. */
export function configuredResource(resources: ConfiguredResources, address: string): Record<string, unknown> | undefined {
  const dot = address.indexOf('.');
  return resources[address.slice(0, dot)]?.[address.slice(dot + 1)];
}

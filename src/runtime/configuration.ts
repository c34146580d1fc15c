/**
 * The configuration Terraform is applying, in the stack directory where Terraform runs
 * provisioners: cdk.tf.json as cdktf synthesizes it, the directory's `.tf` files (`cdktf synth
 * --hcl`, or plain Terraform after leaving CDK), and any other `.tf.json` file, merged. The undo registry reads it to tell
 * a deleted construct from a configured one, the job wait to know a carrier's instances, the CLI
 * to compare it with the state.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RunnerError } from './errors';
import { parseHcl } from './hcl';
import { CONFIGURATION_FILE } from '../contract/environment';

/** A synthesized stack's cdk.tf.json (or its HCL in the same form), as far as the library reads it. */
export interface Configuration {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly locals?: Record<string, unknown>;
  /** The `terraform` block (its backend, where the CLI finds the ledger without `terraform init`). */
  readonly terraform?: Record<string, unknown>;
}

/**
 * The configuration in `directory`: every file Terraform loads there, `*.tf.json` (cdk.tf.json
 * among them) and `*.tf`, merged, as Terraform merges them (a `main.tf.json` beside a `.tf` file
 * is configuration too: read alone, the other file's carriers would look deleted). One that
 * cannot be read fails with what the read was `for`, e.g. `tell whether x was deleted`.
 */
export function readConfiguration(directory: string, forWhat: string, fix = 'Apply from the stack directory cdktf synthesized, as `cdktf deploy` does.'): Configuration {
  let files: string[];
  try {
    files = fs.readdirSync(directory).filter((n) => n.endsWith('.tf') || n.endsWith('.tf.json')).sort();
  } catch (e) {
    files = [];
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new RunnerError(`cannot ${forWhat}: reading ${directory} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). ${fix}`);
    }
  }
  if (!files.length) {
    throw new RunnerError(`cannot ${forWhat}: reading ${path.join(directory, CONFIGURATION_FILE)} failed (ENOENT). ${fix}`);
  }
  const resource: Record<string, Record<string, Record<string, unknown>>> = {};
  const locals: Record<string, unknown> = {};
  const terraform: Record<string, unknown> = {};
  for (const name of files) {
    const file = path.join(directory, name);
    let parsed: Configuration;
    try {
      const text = fs.readFileSync(file, 'utf8');
      parsed = name.endsWith('.json') ? parseJson(text, file, forWhat, fix) : parseHcl(text);
    } catch (e) {
      if (e instanceof RunnerError) throw e;
      throw new RunnerError(`cannot ${forWhat}: reading ${file} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). ${fix}`);
    }
    for (const [type, blocks] of Object.entries(parsed.resource ?? {})) Object.assign(resource[type] ??= {}, blocks);
    Object.assign(locals, parsed.locals ?? {});
    Object.assign(terraform, parsed.terraform ?? {});
  }
  return { resource, locals, ...(Object.keys(terraform).length ? { terraform } : {}) };
}

function parseJson(text: string, file: string, forWhat: string, fix: string): Configuration {
  try {
    return JSON.parse(text) as Configuration;
  } catch (e) {
    throw new RunnerError(`cannot ${forWhat}: ${file} is not JSON (${(e as Error).message}). ${fix}`);
  }
}

/** The block of `address` (`type.name`), if configured. */
export function configuredResource(config: Configuration, address: string): Record<string, unknown> | undefined {
  const dot = address.indexOf('.');
  return config.resource?.[address.slice(0, dot)]?.[address.slice(dot + 1)];
}

/** `${local.name}`: a for_each map, or a single carrier's spec in HCL output, named by reference. */
export const LOCAL_REFERENCE = /^\$\{local\.([A-Za-z0-9_-]+)\}$/;

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

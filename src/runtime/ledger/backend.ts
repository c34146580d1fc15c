/**
 * The stack's Terraform backend, as `terraform init` recorded it in the working directory
 * (`.terraform/terraform.tfstate`, or `$TF_DATA_DIR/terraform.tfstate`): its type and its
 * configuration merged with what `-backend-config` passed, so partial configuration counts. The
 * runner runs where Terraform does, so that file is always there once a backend is configured.
 * The CLI, on a machine that only synthesized, falls back to the backend block in cdk.tf.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RunnerError } from '../errors';

export interface Backend {
  readonly type: string;
  readonly config: Record<string, unknown>;
  /** Where it was read: the data directory's file, or the configuration. */
  readonly from: string;
}

function dataDirOf(stackDir: string, env: NodeJS.ProcessEnv): string {
  return env.TF_DATA_DIR?.trim() ? path.resolve(stackDir, env.TF_DATA_DIR) : path.join(stackDir, '.terraform');
}

/**
 * The workspace Terraform uses in `stackDir`, as it decides: TF_WORKSPACE, else what `terraform
 * workspace select` wrote in the data directory (`environment`), else `default`. The runner is
 * told by its carrier; the CLI must not assume `default` where a pipeline selected another.
 */
export function selectedWorkspace(stackDir: string, env: NodeJS.ProcessEnv): string {
  const fromEnv = env.TF_WORKSPACE?.trim();
  if (fromEnv) return fromEnv;
  try {
    return fs.readFileSync(path.join(dataDirOf(stackDir, env), 'environment'), 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

/** The backend `terraform init` configured in `stackDir`; undefined when none was (the implicit local backend). */
export function initializedBackend(stackDir: string, env: NodeJS.ProcessEnv): Backend | undefined {
  const dataDir = dataDirOf(stackDir, env);
  const file = path.join(dataDir, 'terraform.tfstate');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunnerError(`cannot read the Terraform backend settings ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}) to find the ledger.`);
  }
  let parsed: { backend?: { type?: unknown; config?: unknown } };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RunnerError(`${file} is not JSON: run \`terraform init\` again in ${stackDir}.`);
  }
  const b = parsed.backend;
  if (!b || typeof b.type !== 'string') return undefined;
  return { type: b.type, config: b.config && typeof b.config === 'object' ? b.config as Record<string, unknown> : {}, from: file };
}

/** The backend block of a synthesized configuration (cdk.tf.json's `terraform.backend`), if it has one. */
export function configuredBackend(configuration: { terraform?: unknown }, file: string): Backend | undefined {
  const backends = (configuration.terraform as { backend?: Record<string, unknown> } | undefined)?.backend;
  const cloud = (configuration.terraform as { cloud?: unknown } | undefined)?.cloud;
  if (cloud) return { type: 'cloud', config: {}, from: file };
  const [type] = Object.keys(backends ?? {});
  if (!type) return undefined;
  const config = backends![type];
  return { type, config: config && typeof config === 'object' ? config as Record<string, unknown> : {}, from: file };
}

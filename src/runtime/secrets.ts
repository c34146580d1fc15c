import { RunnerError } from './errors';
import { variableEnvName } from '../contract/environment';
import type { SecretRef } from '../contract/spec';

/**
 * Resolves secret references at apply time and remembers every value it handed out, so all
 * runner output (logs, errors, ledger) can be scrubbed of them.
 */
export class SecretResolver {
  private readonly values = new Set<string>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** Registers a value that must never be printed (credentials). */
  protect(value: string | undefined): void {
    if (value) this.values.add(value);
  }

  /** The value of a reference to a plain-string field. */
  resolve(ref: SecretRef, where: string): string {
    if (ref.source === 'pam') {
      throw new RunnerError(`${where}: a PAM provider reference cannot fill a plain-string field.`);
    }
    if (ref.source === 'env' || ref.source === 'variable') {
      const envName = ref.source === 'env' ? ref.name : variableEnvName(ref.name);
      const value = this.env[envName];
      if (value === undefined || value === '') {
        throw new RunnerError(ref.source === 'env'
          ? `${where}: environment variable ${ref.name} is not set (it holds the secret for this field).`
          : `${where}: Terraform variable ${ref.name} is empty; set it with TF_VAR_${ref.name} or a .tfvars file.`);
      }
      this.protect(value);
      return value;
    }
    throw new RunnerError(`${where}: unsupported secret source ${(ref as { source: string }).source}.`);
  }

  /** Replaces every known secret value in `text` with `***`. */
  redact(text: string): string {
    let out = text;
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(v).join('***');
    return out;
  }
}

/** A reference as the API's KeyfactorAPISecret: `{SecretValue}` or `{Provider, Parameters}`. */
export type ApiSecret = { SecretValue: string } | { Provider: number; Parameters: Record<string, string> };

export function apiSecret(secrets: SecretResolver, ref: SecretRef, where: string): ApiSecret {
  if (ref.source === 'pam') return { Provider: ref.provider, Parameters: ref.parameters };
  return { SecretValue: secrets.resolve(ref, where) };
}

/** How a secret reference is shown in logs and the ledger. */
export function describeRef(ref: SecretRef | undefined): string | undefined {
  if (!ref) return undefined;
  switch (ref.source) {
    case 'env': return `<secret from env ${ref.name}>`;
    case 'variable': return `<secret from variable ${ref.name}>`;
    case 'pam': return `<PAM provider ${ref.provider} ${JSON.stringify(ref.parameters)}>`;
  }
}

import { TerraformVariable } from 'cdktf';
import type { SecretRef } from '../contract/spec';

/**
 * A secret the apply-time runner reads itself, so its value never appears in `cdk.tf.json`,
 * Terraform state or plan, the ledger or any output.
 *
 * Only the reference (the name of an environment variable, or a PAM provider and its
 * parameters) is synthesized.
 */
export class Secret {
  /**
   * A secret read from an environment variable of the process that runs `terraform apply`
   * (local-exec provisioners inherit it).
   *
   * @param name the environment variable name, e.g. `STORE_PASSWORD`
   */
  public static fromEnv(name: string): Secret {
    return new Secret({ source: 'env', name });
  }

  /**
   * A secret from a sensitive Terraform variable (`new TerraformVariable(stack, 'x', { sensitive: true })`),
   * set with `TF_VAR_x` or a `.tfvars` file at apply time. The variable is also declared
   * `ephemeral` (Terraform >= 1.10), so its value is kept out of saved plan files and state; it can
   * then only be used where Terraform allows ephemeral values. Only the variable's name is synthesized;
   * Terraform hands the value to the create-time provisioner through its environment and, because
   * it is sensitive, suppresses that provisioner's output, so the job GUIDs are printed by a second
   * provisioner that carries no secret. Not available to destroy-time steps (Terraform allows them
   * no variables), which never need a secret here.
   *
   * @param variable a TerraformVariable declared with `sensitive: true`
   */
  public static fromVariable(variable: TerraformVariable): Secret {
    // Terraform (>= 1.10) keeps ephemeral variables out of saved plan files and state; a merely
    // sensitive one would still be written into a plan file. cdktf 0.21 has no prop for it.
    variable.addOverride('ephemeral', true);
    return new Secret({ source: 'variable', name: variable.friendlyUniqueId }, variable);
  }

  /**
   * A secret Keyfactor Command fetches itself from one of its PAM providers: sent as
   * `{Provider, Parameters}`. Only fields whose API type is a KeyfactorAPISecret accept it
   * (store passwords, deployment entry passwords); synth fails elsewhere.
   *
   * @param providerId the PAM provider's id in Command
   * @param parameters the provider-type parameters that locate the secret (not secret themselves)
   */
  public static fromPamProvider(providerId: number, parameters: { [key: string]: string }): Secret {
    return new Secret({ source: 'pam', provider: providerId, parameters: { ...parameters } });
  }

  private constructor(private readonly ref: SecretRef, private readonly variable?: TerraformVariable) {}

  /** A description safe to print: where the secret comes from, never its value. */
  public describe(): string {
    switch (this.ref.source) {
      case 'env': return `environment variable ${this.ref.name}`;
      case 'variable': return `Terraform variable ${this.ref.name}`;
      case 'pam': return `PAM provider ${this.ref.provider}`;
    }
  }

  /** @internal */
  public _variable(): TerraformVariable | undefined {
    return this.variable;
  }

  /** @internal */
  public _ref(): SecretRef {
    return this.ref;
  }
}

/**
 * Synth-side check of a reference. `allowPam` is true only for fields the API types as a
 * KeyfactorAPISecret. Returns a problem or undefined.
 */
export function secretProblem(secret: unknown, allowPam: boolean): string | undefined {
  if (!(secret instanceof Secret)) {
    return 'must be a Secret reference such as Secret.fromEnv("NAME"), never a literal value';
  }
  const ref = secret._ref();
  if (ref.source === 'env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(ref.name)) {
    // Not echoed: a value that is not a variable name may be the secret itself, typed in by mistake.
    return 'Secret.fromEnv needs a valid environment variable name (letters, digits and _, not starting with a digit), got something else';
  }
  if (ref.source === 'variable' && secret._variable()?.sensitive !== true) {
    return `Secret.fromVariable needs a variable declared with sensitive: true (${ref.name} is not), or Terraform prints its value in plans`;
  }
  if (ref.source === 'pam') {
    if (!allowPam) return 'this API field takes a plain string, so it cannot come from a PAM provider: use Secret.fromEnv';
    if (!Number.isInteger(ref.provider) || ref.provider < 1) return `Secret.fromPamProvider needs a provider id >= 1, got ${JSON.stringify(ref.provider)}`;
  }
  return undefined;
}

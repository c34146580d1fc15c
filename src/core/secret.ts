import { SecretRef } from './spec';

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

  private constructor(private readonly ref: SecretRef) {}

  /** A description safe to print: where the secret comes from, never its value. */
  public describe(): string {
    return this.ref.source === 'env' ? `environment variable ${this.ref.name}` : `PAM provider ${this.ref.provider}`;
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
    return `Secret.fromEnv needs a valid environment variable name, got ${JSON.stringify(ref.name)}`;
  }
  if (ref.source === 'pam') {
    if (!allowPam) return 'this API field takes a plain string, so it cannot come from a PAM provider: use Secret.fromEnv';
    if (!Number.isInteger(ref.provider) || ref.provider < 1) return `Secret.fromPamProvider needs a provider id >= 1, got ${JSON.stringify(ref.provider)}`;
  }
  return undefined;
}

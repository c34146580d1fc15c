import { SecretRef } from './spec';

/**
 * A secret the apply-time runner reads itself, so its value never appears in `cdk.tf.json`,
 * Terraform state or plan, the ledger or any output.
 *
 * Only the reference (for example the name of an environment variable) is synthesized.
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

  private constructor(private readonly ref: SecretRef) {}

  /** A description safe to print: where the secret comes from, never its value. */
  public describe(): string {
    return `environment variable ${this.ref.name}`;
  }

  /** @internal */
  public _ref(): SecretRef {
    return this.ref;
  }
}

/** Synth-side check of a reference's own shape. Returns a problem or undefined. */
export function secretProblem(secret: Secret): string | undefined {
  const ref = secret._ref();
  if (ref.source === 'env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(ref.name)) {
    return `Secret.fromEnv needs a valid environment variable name, got ${JSON.stringify(ref.name)}`;
  }
  return undefined;
}

import { ITerraformDependable, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { CertificateStorePasswordSpec } from './spec';
import { SPEC_VERSION } from '../../contract/spec';
import { Carrier } from '../../synth/carrier';
import { isTerraformValue } from '../../synth/expression';
import { renderCarrier, specIdentity } from '../../synth/render-carrier';
import { Secret, secretProblem } from '../../synth/secret';
import { renderInvalid, Validator } from '../../synth/validation';

/** Properties of a CertificateStorePassword. */
export interface CertificateStorePasswordProps {
  /** The certificate store's GUID (`CertStoreId`). */
  readonly certStoreId: string;
  /**
   * The password Command stores for the certificate store (`NewPassword`):
   * `Secret.fromEnv('NAME')` (read at apply time, sent as `{SecretValue}`) or
   * `Secret.fromPamProvider(id, params)` (sent as `{Provider, Parameters}`; Command reads it from the PAM provider).
   */
  readonly newPassword: Secret;
  /**
   * Any non-secret string, e.g. `'2026-11'` or a counter. The password's value is never
   * synthesized, so changing only the value (the environment variable) does not make Terraform
   * send it again: change `rotationKey` to have the next apply send the password again.
   * Stored in Terraform state, so never put a secret here.
   * @default - none
   */
  readonly rotationKey?: string;
  /**
   * What must be applied first, e.g. the `PamLocalEntry` holding the password that
   * `Secret.fromPamProvider` points to (or any Terraform resource).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The resource that carries the operation.
   * @default - the stack's KeyfactorDefaults carrier, else Carrier.terraformData()
   */
  readonly carrier?: Carrier;
}

/**
 * Sets the password Keyfactor Command keeps for a certificate store
 * (PUT /CertificateStores/Password). It changes Command's record only, not the store itself.
 *
 * The password is sent when the construct is first applied and again whenever `certStoreId`,
 * the `newPassword` reference or `rotationKey` changes. Destroy has nothing to undo: Command
 * keeps the last password set.
 */
export class CertificateStorePassword extends Construct implements ITerraformDependable {
  /** The carrier resource. */
  public readonly carrierResource: TerraformResource;
  /** Terraform address of the carrier: dependents run after the operation. */
  public get fqn(): string {
    // Read on demand: cdktf makes a new token (and captures a stack trace) on every read.
    return this.carrierResource.fqn;
  }
  /** The store's GUID (lower case), or the reference given. */
  public readonly certStoreId: string;

  constructor(scope: Construct, id: string, props: CertificateStorePasswordProps) {
    super(scope, id);
    const v = new Validator(this, 'CertificateStorePassword');
    const p = props ?? ({} as CertificateStorePasswordProps);
    v.templates(p);
    v.guid('certStoreId', p.certStoreId);
    const problem = secretProblem(p.newPassword, true);
    if (problem) v.fail('newPassword', problem);
    if (p.rotationKey !== undefined) v.nonEmptyString('rotationKey', p.rotationKey, 200);
    const checks = v.takeDeferred();
    if (!v.report()) {
      this.certStoreId = p.certStoreId;
      this.carrierResource = renderInvalid(this);
      return;
    }

    this.certStoreId = isTerraformValue(p.certStoreId) ? p.certStoreId : p.certStoreId.toLowerCase();
    const spec: CertificateStorePasswordSpec = {
      v: SPEC_VERSION,
      operation: 'CertificateStorePassword',
      ...specIdentity(this),
      certStoreId: this.certStoreId,
      newPassword: p.newPassword._ref(),
      rotationKey: p.rotationKey,
      ...(checks.length ? { checks } : {}),
    };
    this.carrierResource = renderCarrier(this, { instances: spec, undo: false, carrier: p.carrier, dependsOn: p.dependsOn });
  }
}

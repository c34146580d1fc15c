import { ITerraformDependable, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { PfxReplacementSpec } from './spec';
import { sameValueProblem } from '../../contract/rules';
import { SecretRef, SPEC_VERSION, WaitSpec } from '../../contract/spec';
import { Carrier } from '../../synth/carrier';
import { isTerraformValue } from '../../synth/expression';
import { renderCarrier, resolveWait, specIdentity } from '../../synth/render-carrier';
import { Secret, secretProblem } from '../../synth/secret';
import { renderInvalid, Validator } from '../../synth/validation';
import { WaitPolicy } from '../../synth/wait-policy';

/** Properties of a PfxReplacement. */
export interface PfxReplacementProps {
  /**
   * Id of the certificate being replaced (`ExistingCertificateId`): every certificate store
   * that holds it gets a management job installing the new certificate.
   */
  readonly existingCertificateId: number;
  /**
   * Id of the newly enrolled certificate (`CertificateId`, the PFX enrollment response's
   * `CertificateInformation.KeyfactorId`). Give exactly one of `certificateId` and `requestId`.
   * @default - none; `requestId` must be given
   */
  readonly certificateId?: number;
  /**
   * Id of the enrollment request of the new certificate (`RequestId`, the PFX enrollment
   * response's `KeyfactorRequestId`). Give exactly one of `certificateId` and `requestId`.
   * @default - none; `certificateId` must be given
   */
  readonly requestId?: number;
  /**
   * The PFX password used at enrollment (`Password`), read by the runner at apply time. The
   * API field is a plain string, so `Secret.fromEnv` (or `Secret.fromVariable`) only: a PAM
   * provider reference is refused at synth.
   * @default - no password sent
   */
  readonly password?: Secret;
  /**
   * When Command runs the management jobs (`JobTime`), ISO 8601 UTC, e.g. `2026-11-25T23:30:00Z`.
   * @default - immediately
   */
  readonly jobTime?: string;
  /**
   * Let the apply succeed (with a warning) when Command could not schedule the replacement
   * for some stores (`FailedStores` not empty). Without it such an apply fails, naming each
   * failed store, and Terraform runs the replacement again on the next apply.
   * @default false
   */
  readonly allowPartialSuccess?: boolean;
  /**
   * The resource that carries the operation.
   * @default - the stack's KeyfactorDefaults carrier, else Carrier.terraformData()
   */
  readonly carrier?: Carrier;
  /**
   * Whether the apply waits for the management jobs this creates (found in JobHistory).
   * @default - the stack's KeyfactorDefaults wait policy, else WaitPolicy.noWait()
   */
  readonly wait?: WaitPolicy;
  /**
   * What must be applied first, e.g. the resource that enrolls the new certificate. Destroyed in reverse order.
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Installs a newly enrolled certificate into every certificate store holding the certificate
 * it replaces (POST /Enrollment/PFX/Replace), and records which stores succeeded and failed
 * plus the GUIDs of the management jobs Command created (looked up in the job history, since
 * the API returns store ids only).
 *
 * There is no undo: destroying the construct leaves the new certificate in the stores.
 */
export class PfxReplacement extends Construct implements ITerraformDependable {
  /** The carrier resource. */
  public readonly carrierResource: TerraformResource;
  /** Terraform address of the carrier: dependents run after the operation. */
  public get fqn(): string {
    // Read on demand: cdktf makes a new token (and captures a stack trace) on every read.
    return this.carrierResource.fqn;
  }

  constructor(scope: Construct, id: string, props: PfxReplacementProps) {
    super(scope, id);
    const v = new Validator(this, 'PfxReplacement');
    const byRequest = (props?.certificateId === undefined || props.certificateId === null) && props?.requestId !== undefined;
    const wait = resolveWait(this, v, props?.wait,
      byRequest ? 'a replacement given by requestId does not know the new certificate\'s id; give certificateId to verify delivery' : undefined);
    const spec = validate(v, props ?? ({} as PfxReplacementProps), { ...specIdentity(this), wait });
    this.carrierResource = !v.report() ? renderInvalid(this)
      : renderCarrier(this, { instances: spec, undo: false, carrier: props.carrier, dependsOn: props.dependsOn });
  }
}

function validate(v: Validator, props: PfxReplacementProps, id: { stack: string; path: string; wait?: WaitSpec }): PfxReplacementSpec {
  v.templates(props);
  v.int('existingCertificateId', props.existingCertificateId, 1);
  const hasCertificate = props.certificateId !== undefined && props.certificateId !== null;
  const hasRequest = props.requestId !== undefined && props.requestId !== null;
  if (hasCertificate && hasRequest) {
    v.fail('certificateId', 'give exactly one of certificateId (the new certificate) or requestId (its enrollment request), not both');
  } else if (!hasCertificate && !hasRequest) {
    v.fail('certificateId', 'give exactly one of certificateId (the new certificate) or requestId (its enrollment request); neither was given');
  } else if (hasCertificate) {
    const same = { kind: 'certificate', otherField: 'existingCertificateId', hint: 'give the newly enrolled certificate' };
    if (isTerraformValue(props.certificateId) || isTerraformValue(props.existingCertificateId)) {
      v.defer({ field: 'certificateId', at: 'certificateId', rule: 'differs', other: 'existingCertificateId', ...same });
    }
    if (v.int('certificateId', props.certificateId, 1) && props.certificateId === props.existingCertificateId && !isTerraformValue(props.certificateId)) {
      v.fail('certificateId', sameValueProblem(same.kind, same.otherField, props.existingCertificateId, same.hint));
    }
  } else {
    v.int('requestId', props.requestId, 1);
  }
  if (props.jobTime !== undefined) v.utcTime('jobTime', props.jobTime);
  if (props.allowPartialSuccess !== undefined) v.boolean('allowPartialSuccess', props.allowPartialSuccess);
  let password: SecretRef | undefined;
  if (props.password !== undefined) {
    const problem = secretProblem(props.password, false);
    if (problem) v.fail('password', problem);
    else password = props.password._ref();
  }
  const checks = v.takeDeferred();
  return {
    v: SPEC_VERSION,
    operation: 'PfxReplacement',
    ...id,
    existingCertificateId: props.existingCertificateId,
    certificateId: hasCertificate ? props.certificateId : undefined,
    requestId: hasRequest ? props.requestId : undefined,
    password,
    jobTime: props.jobTime,
    allowPartialSuccess: props.allowPartialSuccess ?? false,
    ...(checks.length ? { checks } : {}),
  };
}

import { Annotations, ITerraformDependable, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { CertificateStoreReenrollmentSpec } from './spec';
import { renderSans, SubjectAlternativeName } from './subject-alternative-name';
import { distinguishedNameProblem } from './x500';
import { SPEC_VERSION, WaitSpec } from '../../contract/spec';
import { Carrier } from '../../synth/carrier';
import { isTerraformValue } from '../../synth/expression';
import { renderCarrier, resolveWait, specIdentity } from '../../synth/render-carrier';
import { show, renderInvalid, Validator } from '../../synth/validation';
import { WaitPolicy } from '../../synth/wait-policy';

export { SubjectAlternativeName } from './subject-alternative-name';

/** Properties of a CertificateStoreReenrollment. */
export interface CertificateStoreReenrollmentProps {
  /** GUID of the certificate store to reenroll (`KeystoreId`). */
  readonly keystoreId: string;
  /**
   * Subject of the new certificate (`SubjectName`), an X.500 distinguished name such as
   * `CN=host,OU=IT,O="Key Example, Inc.",C=US`. Checked at synth: `TYPE=value` pairs separated
   * by commas, `+` for multi-valued RDNs, values quoted or with `\,` style escapes, known
   * attribute types or dotted OIDs, no empty values, `C` a two-letter country code.
   */
  readonly subjectName: string;
  /** GUID of the orchestrator that manages the store (`AgentGuid`, the store's `AgentId`). */
  readonly agentGuid: string;
  /** Alias of the new certificate in the store (`Alias`). */
  readonly alias: string;
  /**
   * Store-type entry parameters (`JobProperties`; note: not `JobFields`). Not for secrets:
   * these values are stored in Terraform state.
   * @default - none
   */
  readonly jobProperties?: { [key: string]: any };
  /**
   * Certificate authority to enroll with (`CertificateAuthority`), e.g. `ca.example.com\\Example Issuing CA`.
   * @default - Command's default for the store
   */
  readonly certificateAuthority?: string;
  /**
   * Certificate template (`CertificateTemplate`). Deprecated in Command in favour of
   * enrollment patterns: synth emits a warning; prefer `enrollmentPatternId`.
   * @default - none
   */
  readonly certificateTemplate?: string;
  /**
   * Enrollment pattern to enroll with (`EnrollmentPatternId`).
   * @default - none
   */
  readonly enrollmentPatternId?: number;
  /**
   * Subject alternative names (`SANs`), e.g. `[SubjectAlternativeName.dns('www.example.com')]`.
   * @default - none
   */
  readonly sans?: SubjectAlternativeName[];
  /**
   * Additional enrollment fields (`AdditionalEnrollmentFields`).
   * @default - none
   */
  readonly additionalEnrollmentFields?: { [key: string]: string };
  /**
   * Metadata for the new certificate (`Metadata`).
   * @default - none
   */
  readonly metadata?: { [key: string]: string };
  /**
   * Replace a certificate already at the alias (`Overwrite`).
   * @default - not sent (Command's default, false)
   */
  readonly overwrite?: boolean;
  /**
   * Id of the role that owns the new certificate (`OwnerRoleId`). At most one of
   * `ownerRoleId` and `ownerRoleName`.
   * @default - no owner role sent
   */
  readonly ownerRoleId?: number;
  /**
   * Name of the role that owns the new certificate (`OwnerRoleName`). At most one of
   * `ownerRoleId` and `ownerRoleName`.
   * @default - no owner role sent
   */
  readonly ownerRoleName?: string;
  /**
   * The resource that carries the operation.
   * @default - the stack's KeyfactorDefaults carrier, else Carrier.terraformData()
   */
  readonly carrier?: Carrier;
  /**
   * Whether the apply waits for the reenrollment job this creates (found in JobHistory).
   * @default - the stack's KeyfactorDefaults wait policy, else WaitPolicy.noWait()
   */
  readonly wait?: WaitPolicy;
  /**
   * What must be applied first, e.g. the CertificateStorePassword of the store, or any Terraform resource. Destroyed in reverse order.
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Schedules a certificate store for reenrollment (POST /CertificateStores/Reenrollment): the
 * orchestrator generates a new key in the store and Command enrolls a certificate for it.
 *
 * Command returns no job GUID, so the runner finds the Reenrollment job the request created
 * in the job history and records its GUID. There is no undo: destroying the construct leaves
 * the reenrolled certificate in the store.
 */
export class CertificateStoreReenrollment extends Construct implements ITerraformDependable {
  /** The carrier resource. */
  public readonly carrierResource: TerraformResource;
  /** Terraform address of the carrier: dependents run after the operation. */
  public get fqn(): string {
    // Read on demand: cdktf makes a new token (and captures a stack trace) on every read.
    return this.carrierResource.fqn;
  }

  constructor(scope: Construct, id: string, props: CertificateStoreReenrollmentProps) {
    super(scope, id);
    const v = new Validator(this, 'CertificateStoreReenrollment');
    const wait = resolveWait(this, v, props?.wait,
      'Command does not say which certificate a reenrollment creates, so its arrival cannot be looked up (`cdktf-keyfactor drift` checks the job\'s result)');
    const spec = validate(v, props ?? ({} as CertificateStoreReenrollmentProps), { ...specIdentity(this), wait });
    const valid = v.report();
    if (props?.certificateTemplate !== undefined) {
      Annotations.of(this).addWarning(
        'certificateTemplate is deprecated in Keyfactor Command (templates give way to enrollment patterns); ' +
          'set enrollmentPatternId instead (CertificateStoreReenrollment)',
      );
    }
    this.carrierResource = !valid ? renderInvalid(this)
      : renderCarrier(this, { instances: spec, undo: false, carrier: props.carrier, dependsOn: props.dependsOn });
  }
}

function validate(
  v: Validator,
  props: CertificateStoreReenrollmentProps,
  id: { stack: string; path: string; wait?: WaitSpec },
): CertificateStoreReenrollmentSpec {
  v.templates(props);
  v.guid('keystoreId', props.keystoreId);
  v.guid('agentGuid', props.agentGuid);
  v.nonEmptyString('alias', props.alias, 400);
  if (isTerraformValue(props.subjectName)) {
    v.defer({ field: 'subjectName', at: 'subjectName', rule: 'distinguishedName' });
  } else if (v.nonEmptyString('subjectName', props.subjectName)) {
    const problem = distinguishedNameProblem(props.subjectName);
    if (problem) v.fail('subjectName', problem);
  }
  if (props.jobProperties !== undefined && !isPlainObject(props.jobProperties)) {
    v.fail('jobProperties', `must be a map of entry parameter names to values, got ${show(props.jobProperties)}`);
  }
  if (props.certificateAuthority !== undefined) v.nonEmptyString('certificateAuthority', props.certificateAuthority);
  if (props.certificateTemplate !== undefined) v.nonEmptyString('certificateTemplate', props.certificateTemplate);
  if (props.enrollmentPatternId !== undefined) v.int('enrollmentPatternId', props.enrollmentPatternId, 1);
  if (props.certificateTemplate !== undefined && props.enrollmentPatternId !== undefined) {
    v.fail('certificateTemplate', 'give at most one of certificateTemplate and enrollmentPatternId (prefer enrollmentPatternId)');
  }
  const sans = renderSans(v, 'sans', props.sans);
  stringMap(v, 'additionalEnrollmentFields', props.additionalEnrollmentFields);
  stringMap(v, 'metadata', props.metadata);
  if (props.overwrite !== undefined) v.boolean('overwrite', props.overwrite);
  if (props.ownerRoleId !== undefined && props.ownerRoleName !== undefined) {
    v.fail('ownerRoleId', 'give at most one of ownerRoleId and ownerRoleName, not both');
  } else if (props.ownerRoleId !== undefined) {
    v.int('ownerRoleId', props.ownerRoleId, 1);
  } else if (props.ownerRoleName !== undefined) {
    v.nonEmptyString('ownerRoleName', props.ownerRoleName);
  }
  const checks = v.takeDeferred();
  const lower = (guid: string) => (typeof guid === 'string' && !isTerraformValue(guid) ? guid.toLowerCase() : guid);
  return {
    v: SPEC_VERSION,
    operation: 'CertificateStoreReenrollment',
    ...id,
    keystoreId: lower(props.keystoreId),
    subjectName: props.subjectName,
    agentGuid: lower(props.agentGuid),
    alias: props.alias,
    jobProperties: props.jobProperties,
    certificateAuthority: props.certificateAuthority,
    certificateTemplate: props.certificateTemplate,
    enrollmentPatternId: props.enrollmentPatternId,
    sans: sans && Object.keys(sans).length > 0 ? sans : undefined,
    additionalEnrollmentFields: props.additionalEnrollmentFields,
    metadata: props.metadata,
    overwrite: props.overwrite,
    ownerRoleId: props.ownerRoleId,
    ownerRoleName: props.ownerRoleName,
    ...(checks.length ? { checks } : {}),
  };
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function stringMap(v: Validator, field: string, map: unknown): void {
  if (map === undefined) return;
  if (!isPlainObject(map)) {
    v.fail(field, `must be a map of strings, got ${show(map)}`);
    return;
  }
  for (const [k, value] of Object.entries(map)) {
    if (k.trim() === '') v.fail(field, 'has an empty key');
    else if (isTerraformValue(value)) v.defer({ field: `${field}.${k}`, at: `${field}.${k}`, rule: 'string' });
    else if (typeof value !== 'string') v.fail(`${field}.${k}`, `must be a string (Command types these values as strings), got ${show(value)}`);
  }
}

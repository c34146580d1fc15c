import { ITerraformDependable, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { CertificateDeploymentSpec, DeploymentStoreSpec } from './spec';
import { SecretRef, SPEC_VERSION, WaitSpec } from '../../contract/spec';
import { Carrier } from '../../synth/carrier';
import { renderCarrier, resolveWait, specIdentity } from '../../synth/render-carrier';
import { Schedule } from '../../synth/schedule';
import { Secret, secretProblem } from '../../synth/secret';
import { show, Validator } from '../../synth/validation';
import { WaitPolicy } from '../../synth/wait-policy';
import { renderJobWait } from '../job-wait/construct';

/** One certificate store to deploy the certificate into. */
export interface CertificateDeploymentStore {
  /** The certificate store's GUID (`CertificateStoreId`). */
  readonly certificateStoreId: string;
  /**
   * Alias of the certificate in the store. Also what Remove targets on destroy.
   * @default - none sent; Command derives one where the store type allows it
   */
  readonly alias?: string;
  /**
   * Deploy the private key with the certificate (`IncludePrivateKey`).
   * @default false
   */
  readonly includePrivateKey?: boolean;
  /**
   * Replace a certificate already at this alias (`Overwrite`).
   * @default false
   */
  readonly overwrite?: boolean;
  /**
   * Password protecting this entry in the store (`EntryPassword`): `Secret.fromEnv` (read at
   * apply time) or `Secret.fromPamProvider` (Command reads it from the PAM provider).
   * @default - no entry password
   */
  readonly entryPassword?: Secret;
  /**
   * Password of the PFX when the certificate's private key is deployed (`PfxPassword`), read at apply time.
   * @default - no PFX password
   */
  readonly pfxPassword?: Secret;
  /**
   * Store-type entry parameters (`JobFields`), e.g. `{ ProviderName: 'Microsoft Strong Cryptographic Provider' }`.
   * Not for secrets: these values are stored in Terraform state.
   * @default - none
   */
  readonly jobFields?: { [key: string]: any };
}

/** Properties of a CertificateDeployment. */
export interface CertificateDeploymentProps {
  /** Keyfactor certificate id (`CertificateId`) to deploy. */
  readonly certificateId: number;
  /** The stores to deploy to; at least one, each store at most once. */
  readonly stores: CertificateDeploymentStore[];
  /** When Command runs the add (and, on destroy, remove) jobs. */
  readonly schedule: Schedule;
  /**
   * Certificate collection used to check the caller's access (`CollectionId`).
   * @default - none
   */
  readonly collectionId?: number;
  /**
   * On destroy, remove the certificate from the stores (POST /CertificateStores/Certificates/Remove).
   * @default true
   */
  readonly removeOnDestroy?: boolean;
  /**
   * Whether the apply waits for the add jobs (one extra carrier polls them all at once, after
   * every store's instance) and, on destroy, for each remove job.
   * @default - the stack's KeyfactorDefaults wait policy, else WaitPolicy.noWait()
   */
  readonly wait?: WaitPolicy;
  /**
   * What must be applied first, e.g. the resource that creates the certificate store, or another
   * Keyfactor construct. Destroyed in reverse order.
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
 * Deploys a certificate to certificate stores (POST /CertificateStores/Certificates/Add) and,
 * on destroy, removes it (POST /CertificateStores/Certificates/Remove). The job GUIDs Command
 * returns are recorded in the ledger.
 *
 * Each store is its own instance of the carrier (for_each keyed by store GUID), so changing
 * the store list adds to the new stores and removes from the dropped ones only: a store that
 * stays in the list is never touched.
 */
export class CertificateDeployment extends Construct implements ITerraformDependable {
  /** The carrier resource (one instance per store). */
  public readonly carrierResource: TerraformResource;
  /** The GUIDs of the stores this construct deploys to, in the order given. */
  public readonly storeIds: string[];
  /**
   * The carrier that waits for the add jobs, when the wait policy waits.
   * @default - none
   */
  public readonly waitResource?: TerraformResource;
  /**
   * Terraform address that dependents wait for: the wait carrier when the wait policy waits (so
   * they run after the add jobs completed), else the carrier.
   */
  public get fqn(): string {
    // Read on demand: cdktf makes a new token (and captures a stack trace) on every read.
    return (this.waitResource ?? this.carrierResource).fqn;
  }

  constructor(scope: Construct, id: string, props: CertificateDeploymentProps) {
    super(scope, id);
    const v = new Validator(this, 'CertificateDeployment');
    const wait = resolveWait(this, v, props?.wait);
    const specs = validate(v, props ?? ({} as CertificateDeploymentProps), { ...specIdentity(this), wait });
    v.throwIfAny();
    this.storeIds = Object.keys(specs);
    this.carrierResource = renderCarrier(this, {
      instances: specs, undo: true, undoWhenDeleted: props.removeOnDestroy !== false, carrier: props.carrier, dependsOn: props.dependsOn,
    });
    if (wait?.mode === 'completion') {
      this.waitResource = renderJobWait(this, { of: this.carrierResource, specs, wait, carrier: props.carrier });
    }
  }
}

function validate(
  v: Validator,
  props: CertificateDeploymentProps,
  id: { stack: string; path: string; wait?: WaitSpec },
): Record<string, CertificateDeploymentSpec> {
  v.int('certificateId', props.certificateId, 1);
  if (props.collectionId !== undefined) v.int('collectionId', props.collectionId, 0);
  const schedule = props.schedule instanceof Schedule
    ? props.schedule._render(v, 'schedule')
    : (v.fail('schedule', `is required: use Schedule.immediate() or another Schedule factory, got ${show(props.schedule)}`), undefined);

  const stores = props.stores;
  if (!Array.isArray(stores) || stores.length === 0) {
    v.fail('stores', 'must list at least one certificate store');
    return {};
  }
  const specs: Record<string, CertificateDeploymentSpec> = {};
  const seen = new Map<string, number>();
  stores.forEach((store, i) => {
    const field = `stores[${i}]`;
    if (!store || !v.guid(`${field}.certificateStoreId`, store.certificateStoreId)) return;
    const key = store.certificateStoreId.toLowerCase();
    if (seen.has(key)) {
      v.fail(`${field}.certificateStoreId`, `store ${store.certificateStoreId} is already listed at stores[${seen.get(key)}]; list each store once`);
      return;
    }
    seen.set(key, i);
    if (store.alias !== undefined) v.nonEmptyString(`${field}.alias`, store.alias, 400);
    const storeSpec: DeploymentStoreSpec = {
      certificateStoreId: key,
      alias: store.alias,
      includePrivateKey: store.includePrivateKey,
      overwrite: store.overwrite,
      entryPassword: secretRef(v, `${field}.entryPassword`, store.entryPassword, true),
      pfxPassword: secretRef(v, `${field}.pfxPassword`, store.pfxPassword, false),
      jobFields: store.jobFields,
    };
    specs[key] = {
      v: SPEC_VERSION,
      operation: 'CertificateDeployment',
      ...id,
      key,
      certificateId: props.certificateId,
      store: storeSpec,
      schedule: schedule!,
      collectionId: props.collectionId,
      removeOnDestroy: props.removeOnDestroy ?? true,
    };
  });
  return specs;
}

function secretRef(v: Validator, field: string, secret: Secret | undefined, allowPam: boolean): SecretRef | undefined {
  if (secret === undefined) return undefined;
  const problem = secretProblem(secret, allowPam);
  if (problem) {
    v.fail(field, problem);
    return undefined;
  }
  return secret._ref();
}

import { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { Carrier } from '../core/carrier';
import { CertificateDeploymentSpec, DeploymentStoreSpec, JobWaitSpec, SecretRef, specHash, SPEC_VERSION } from '../core/operation-spec';
import { carrierAddress, renderCarrier, resolveWait, specIdentity } from '../core/render-carrier';
import { Schedule } from '../core/schedule';
import { Secret, secretProblem } from '../core/secret';
import { show, Validator } from '../core/validation';
import { WaitPolicy, WaitSpec } from '../core/wait';

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
export class CertificateDeployment extends Construct {
  /** The carrier resource (one instance per store). */
  public readonly carrierResource: TerraformResource;
  /** The GUIDs of the stores this construct deploys to, in the order given. */
  public readonly storeIds: string[];
  /**
   * The carrier that waits for the add jobs, when the wait policy waits.
   * @default - none
   */
  public readonly waitResource?: TerraformResource;

  constructor(scope: Construct, id: string, props: CertificateDeploymentProps) {
    super(scope, id);
    const v = new Validator(this, 'CertificateDeployment');
    const wait = resolveWait(this, v, props?.wait);
    const specs = validate(v, props ?? ({} as CertificateDeploymentProps), { ...specIdentity(this), wait });
    v.throwIfAny();
    this.storeIds = Object.keys(specs);
    this.carrierResource = renderCarrier(this, { instances: specs, undo: true, carrier: props.carrier });
    if (wait?.mode === 'completion') {
      this.waitResource = renderCarrier(this, {
        id: 'Wait',
        instances: waitSpec(this, specs, wait, this.carrierResource),
        undo: false,
        carrier: props.carrier,
        dependsOn: [this.carrierResource],
      });
    }
  }
}

/** One poller for all the stores' add jobs: its identity changes whenever any instance's does. */
function waitSpec(scope: Construct, specs: Record<string, CertificateDeploymentSpec>, wait: WaitSpec, carrier: TerraformResource): JobWaitSpec {
  const keys = Object.keys(specs);
  return {
    v: SPEC_VERSION,
    operation: 'JobWait',
    ...specIdentity(scope),
    of: 'CertificateDeployment',
    instances: Object.fromEntries(keys.map((k) => [k, specHash(specs[k])])),
    addresses: Object.fromEntries(keys.map((k) => [k, carrierAddress(carrier, k)])),
    schedule: specs[keys[0]].schedule,
    wait,
  };
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

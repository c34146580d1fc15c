import { ITerraformDependable, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { CertificateDeploymentSpec, DeploymentStoreSpec } from './spec';
import { SecretRef, SPEC_VERSION, WaitSpec } from '../../contract/spec';
import { Carrier } from '../../synth/carrier';
import { isTerraformValue } from '../../synth/expression';
import { renderCarrier, resolveWait, specIdentity } from '../../synth/render-carrier';
import { Schedule } from '../../synth/schedule';
import { Secret, secretProblem } from '../../synth/secret';
import { show, renderInvalid, Validator } from '../../synth/validation';
import { WaitPolicy } from '../../synth/wait-policy';
import { renderJobWait } from '../job-wait/construct';

/** One certificate store to deploy the certificate into. */
export interface CertificateDeploymentStore {
  /**
   * The certificate store's GUID (`CertificateStoreId`). May be a reference, e.g. the id of a
   * `keyfactor_certificate_store` created in the same apply; then give `key` too.
   */
  readonly certificateStoreId: string;
  /**
   * Name of this store's carrier instance (its `for_each` key), which Terraform must know at plan.
   * Required when `certificateStoreId` is a Terraform reference. Changing it (or adding it to a
   * store already deployed) removes the certificate from the store and adds it again.
   * @default - the store GUID in lower case
   */
  readonly key?: string;
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
  /**
   * The carrier instance keys of the stores, in the order given: each store's `key`, else its
   * GUID in lower case.
   */
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
    if (!v.report()) {
      this.storeIds = [];
      this.carrierResource = renderInvalid(this);
      return;
    }
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
  v.templates(props);
  v.int('certificateId', props.certificateId, 1);
  if (props.collectionId !== undefined) v.int('collectionId', props.collectionId, 0);
  const schedule = props.schedule instanceof Schedule
    ? props.schedule._render(v, 'schedule')
    : (v.fail('schedule', `is required: use Schedule.immediate() or another Schedule factory, got ${show(props.schedule)}`), undefined);
  const shared = v.takeDeferred();

  const stores = props.stores;
  if (isTerraformValue(stores)) {
    v.fail('stores', 'cannot be a Terraform reference: list the stores in code (each store id may be a reference, with a `key`), so Terraform knows each store\'s carrier instance at plan');
    return {};
  }
  if (!Array.isArray(stores) || stores.length === 0) {
    v.fail('stores', 'must list at least one certificate store');
    return {};
  }
  const specs: Record<string, CertificateDeploymentSpec> = {};
  const seenKeys = new Map<string, number>();
  const seenStores = new Map<string, number>();
  stores.forEach((store, i) => {
    const field = `stores[${i}]`;
    if (!store) {
      v.fail(field, `must be a store, got ${show(store)}`);
      return;
    }
    const key = instanceKey(v, field, store);
    if (!v.guid(`${field}.certificateStoreId`, store.certificateStoreId, 'store.certificateStoreId') || key === undefined) return;
    const literalId = isTerraformValue(store.certificateStoreId) ? undefined : store.certificateStoreId.toLowerCase();
    if (literalId !== undefined && seenStores.has(literalId)) {
      v.fail(`${field}.certificateStoreId`, `store ${store.certificateStoreId} is already listed at stores[${seenStores.get(literalId)}]; list each store once`);
      return;
    }
    if (seenKeys.has(key)) {
      v.fail(`${field}.key`, `${show(key)} is already the key of stores[${seenKeys.get(key)}]; give each store its own key`);
      return;
    }
    if (literalId !== undefined) seenStores.set(literalId, i);
    seenKeys.set(key, i);
    if (store.alias !== undefined) v.nonEmptyString(`${field}.alias`, store.alias, 400, 'store.alias');
    if (store.includePrivateKey !== undefined) v.boolean(`${field}.includePrivateKey`, store.includePrivateKey, 'store.includePrivateKey');
    if (store.overwrite !== undefined) v.boolean(`${field}.overwrite`, store.overwrite, 'store.overwrite');
    const checks = [...shared, ...v.takeDeferred()];
    const storeSpec: DeploymentStoreSpec = {
      certificateStoreId: literalId ?? store.certificateStoreId,
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
      ...(checks.length ? { checks } : {}),
    };
  });
  return specs;
}

/**
 * The store's carrier instance key: its `key`, else its GUID in lower case. Terraform must know
 * it at plan, so a store id that is a reference needs a `key`.
 */
function instanceKey(v: Validator, field: string, store: CertificateDeploymentStore): string | undefined {
  if (store.key !== undefined) {
    if (isTerraformValue(store.key)) {
      v.fail(`${field}.key`, 'must be literal text: it names the store\'s carrier instance, which Terraform needs at plan');
      return undefined;
    }
    return v.nonEmptyString(`${field}.key`, store.key, 200) ? store.key : undefined;
  }
  if (isTerraformValue(store.certificateStoreId)) {
    v.fail(`${field}.certificateStoreId`, 'is a Terraform reference, known only at apply, so it cannot name the store\'s carrier instance: ' +
      `give ${field}.key, a fixed name for this store in this deployment (e.g. key: 'web-01'), and keep it when the reference changes`);
    return undefined;
  }
  return typeof store.certificateStoreId === 'string' ? store.certificateStoreId.toLowerCase() : undefined;
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

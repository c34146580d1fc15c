import { DataResource, ITerraformDependable, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { PamLocalEntrySpec } from './spec';
import { SPEC_VERSION } from '../../contract/spec';
import { Carrier } from '../../synth/carrier';
import { isTerraformValue, templateOf } from '../../synth/expression';
import { renderCarrier, specIdentity } from '../../synth/render-carrier';
import { Secret, secretProblem } from '../../synth/secret';
import { show, renderInvalid, Validator } from '../../synth/validation';

/** Properties of a PamLocalEntry. */
export interface PamLocalEntryProps {
  /** Id of a local PAM provider ("Command Secret Provider") in Command (`providerId`). */
  readonly providerId: number;
  /** Name of the secret (`SecretName`, 1 to 400 characters); identifies the entry in the provider. */
  readonly secretName: string;
  /**
   * Description of the secret (`Description`, at most 2000 characters).
   * @default - none (sent as null)
   */
  readonly description?: string;
  /**
   * The secret's value (`SecretValue`): `Secret.fromEnv('NAME')`, read at apply time. The API
   * field is a plain string, so `Secret.fromPamProvider` is rejected.
   */
  readonly secretValue: Secret;
  /**
   * Any non-secret string, e.g. `'2026-11'` or a counter. The value is never synthesized, so
   * changing only the value (the environment variable) does not make Terraform write it again:
   * change `rotationKey` to have the next apply write the value again (one PUT, the entry is
   * never missing). Stored in Terraform state, so never put a secret here.
   * @default - none
   */
  readonly rotationKey?: string;
  /**
   * On destroy (and, after a rename, for the old name) delete the entry
   * (DELETE /PamProviders/Local/{providerId}/Entries?secretName=...). When false, the entry
   * carrier has no destroy provisioner at all: changing this prop takes effect at once,
   * without touching the entry.
   * @default true
   */
  readonly deleteOnDestroy?: boolean;
  /**
   * The resource type that carries the operation (both carriers use it).
   * @default - the stack's KeyfactorDefaults carrier, else Carrier.terraformData()
   */
  readonly carrier?: Carrier;
  /**
   * What must be applied first, e.g. the resource that creates the PAM provider. Destroyed in reverse order.
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A secret in one of Keyfactor Command's local PAM providers
 * (/PamProviders/Local/{providerId}/Entries), e.g. a store password that certificate stores
 * then reference with `Secret.fromPamProvider`.
 *
 * - Create: the entry is created (POST), or, if it already exists, overwritten with the full
 *   record (PUT).
 * - A changed description, value reference or `rotationKey`: one PUT of the full record
 *   (SecretName, Description, SecretValue). The entry is never deleted, so it is never missing.
 * - A rename (or another provider): the new entry is created first, then the old one deleted.
 * - Destroy: DELETE, unless `deleteOnDestroy` is false.
 *
 * The value is read from the environment at apply time, sent to Command, and never read back
 * or recorded.
 *
 * A PamLocalEntry can be depended on (`dependsOn: [entry]`, e.g. by a CertificateStorePassword
 * that takes its password from this secret): dependents run after the secret holds its
 * current content.
 */
export class PamLocalEntry extends Construct implements ITerraformDependable {
  /**
   * The carrier that owns the entry's existence: one instance keyed by `<providerId>/<name>`.
   * A new key (rename, other provider) creates the new entry; the old key's instance deletes
   * the old entry after that, and on destroy (when `deleteOnDestroy`).
   */
  public readonly entryCarrier: TerraformResource;
  /**
   * The carrier that writes the record; replaced when the description, the value reference or
   * `rotationKey` changes. Depend on it to run after the entry holds its current content.
   */
  public readonly contentCarrier: TerraformResource;
  /** Terraform address of the content carrier: depending on this construct waits for the secret's current content. */
  public get fqn(): string {
    // Read on demand: cdktf makes a new token (and captures a stack trace) on every read.
    return this.contentCarrier.fqn;
  }
  /** The provider id. */
  public readonly providerId: number;
  /** The secret's name. */
  public readonly secretName: string;

  constructor(scope: Construct, id: string, props: PamLocalEntryProps) {
    super(scope, id);
    const v = new Validator(this, 'PamLocalEntry');
    const p = props ?? ({} as PamLocalEntryProps);
    v.templates(p);
    v.int('providerId', p.providerId, 1);
    v.nonEmptyString('secretName', p.secretName, 400);
    if (p.description !== undefined) v.string('description', p.description, 2000);
    const problem = secretProblem(p.secretValue, false);
    if (problem) v.fail('secretValue', problem);
    if (p.rotationKey !== undefined) v.nonEmptyString('rotationKey', p.rotationKey, 200);
    if (p.deleteOnDestroy !== undefined && typeof p.deleteOnDestroy !== 'boolean') {
      v.fail('deleteOnDestroy', `must be true or false, got ${show(p.deleteOnDestroy)}`);
    }
    const checks = v.takeDeferred();
    this.providerId = p.providerId;
    this.secretName = p.secretName;
    if (!v.report()) {
      this.entryCarrier = this.contentCarrier = renderInvalid(this);
      return;
    }
    const common = {
      v: SPEC_VERSION,
      operation: 'PamLocalEntry' as const,
      ...specIdentity(this),
      providerId: p.providerId,
      secretName: p.secretName,
      description: p.description,
      secretValue: p.secretValue._ref(),
      ...(checks.length ? { checks } : {}),
    };

    // (a) The entry. One for_each instance keyed by provider and name (case-insensitively, as
    // Command compares names), so a rename or a provider change is a *new instance* plus the
    // *deletion* of the old one, never a replacement. Its create writes the full record, so
    // the entry never exists without its value; its destroy (present only when
    // deleteOnDestroy) deletes it. Any other change leaves the instance alone (terraform_data:
    // `input` updates in place; null_resource: `triggers` changes are ignored), so nothing can
    // delete a live entry to re-create it.
    // From references, Terraform computes the key, so they must be known at plan (variables, data sources).
    const instanceKey = isTerraformValue(p.providerId) || isTerraformValue(p.secretName)
      ? templateOf((r) => `\${${r(p.providerId)}}/\${lower(${r(p.secretName)})}`)
      : `${p.providerId}/${p.secretName.toLowerCase()}`;
    const entrySpec: PamLocalEntrySpec = { ...common, key: instanceKey, part: 'entry' };
    this.entryCarrier = renderCarrier(this, {
      instances: { [instanceKey]: entrySpec },
      undo: p.deleteOnDestroy ?? true,
      carrier: p.carrier,
      dependsOn: p.dependsOn,
    });
    if (this.entryCarrier instanceof DataResource) {
      this.entryCarrier.triggersReplace = { instance: '${each.key}' };
    } else {
      this.entryCarrier.lifecycle = { ignoreChanges: ['triggers'] };
    }

    // (b) The content: create-only, replaced by any change of the record or of rotationKey;
    // each replacement writes the full record again (one PUT; nothing is deleted). It depends on
    // the entry and is create-before-destroy, which Terraform extends to the entry carrier: on
    // a rename the old entry instance is destroyed only after the new entry and this carrier
    // have been created, so the new secret exists before the old one is deleted.
    const contentSpec: PamLocalEntrySpec = { ...common, key: 'content', part: 'content', rotationKey: p.rotationKey };
    this.contentCarrier = renderCarrier(this, {
      id: 'ContentCarrier',
      instances: contentSpec,
      undo: false,
      carrier: p.carrier,
      dependsOn: [this.entryCarrier],
    });
    this.contentCarrier.lifecycle = { createBeforeDestroy: true };
  }
}

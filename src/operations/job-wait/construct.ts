import { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { JobWaitSpec } from './spec';
import { KeyfactorSchedule, SpecBase, specHash, SPEC_VERSION, WaitSpec } from '../../contract/spec';
import { Carrier } from '../../synth/carrier';
import { holdsTerraformValues, jsonencodeDiffers, mergedHashHcl } from '../../synth/expression';
import { carrierAddress, renderCarrier, specIdentity } from '../../synth/render-carrier';

export interface JobWaitOptions {
  /** The carrier (with one instance per key of `specs`) whose create jobs are awaited. */
  readonly of: TerraformResource;
  /** The instances' specs, by instance key. */
  readonly specs: Record<string, SpecBase & { readonly schedule: KeyfactorSchedule }>;
  readonly wait: WaitSpec;
  readonly carrier?: Carrier;
}

/**
 * The `Wait` carrier: after every instance of `of` has run, it waits for all their jobs with one
 * JobHistory request per poll. Its identity changes whenever any instance's does, so it runs
 * again whenever one of them did.
 */
export function renderJobWait(scope: Construct, options: JobWaitOptions): TerraformResource {
  const keys = Object.keys(options.specs);
  // An instance whose spec holds references is identified by its spec as Terraform evaluated it.
  const evaluated = keys.filter((k) => holdsTerraformValues(options.specs[k]));
  const attribute = options.of.terraformResourceType === 'terraform_data' ? 'input' : 'triggers';
  const identity = { v: SPEC_VERSION, operation: 'JobWait' as const, ...specIdentity(scope), of: options.specs[keys[0]].operation };
  const references = evaluated.length ? { evaluated: Object.fromEntries(evaluated.map((k) => [k, `\${${carrierAddress(options.of, k)}.${attribute}.spec}`])) } : {};
  const spec: JobWaitSpec = {
    ...identity,
    carrier: carrierAddress(options.of),
    ...references,
    schedule: options.specs[keys[0]].schedule,
    wait: options.wait,
  };
  // The trigger: every instance's hash and address (the form this spec had before it read them
  // from the configuration, so upgrading re-runs no wait). Changes whenever an instance's does.
  const trigger = {
    ...identity,
    instances: Object.fromEntries(keys.filter((k) => !evaluated.includes(k)).map((k) => [k, specHash(options.specs[k])])),
    ...references,
    addresses: Object.fromEntries(keys.map((k) => [k, carrierAddress(options.of, k)])),
    schedule: spec.schedule,
  };
  // In HCL output, the instances' hashes come from the carrier (Terraform computes them from the
  // specs there), so a hand-edited spec re-runs the wait too. Same value as the literal hash.
  const { instances: _fromCarrier, ...rest } = trigger;
  const computable = !evaluated.length && jsonencodeDiffers(trigger) === undefined;
  const hclTriggerHash = computable ? mergedHashHcl(rest, { instances: `{ for k, v in ${carrierAddress(options.of)} : k => v.${attribute}.hash }` }) : undefined;
  return renderCarrier(scope, { id: 'Wait', instances: spec, triggerIdentity: trigger, hclTriggerHash, undo: false, carrier: options.carrier, dependsOn: [options.of] });
}

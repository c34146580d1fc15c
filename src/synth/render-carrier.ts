import { AnnotationMetadataEntryType, DataResource, ITerraformDependable, TerraformLocal, TerraformResource, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import { Carrier, CarrierType } from './carrier';
import { KeyfactorDefaults } from './defaults';
import { hashExpression, holdsTerraformValues, JSONENCODE_ESCAPED, jsonencodeDiffers, jsonencodeExpression, knownValues, knownValuesJson, quotedTemplate, specHashHcl } from './expression';
import { checkTerraformVersionOncePerStack, ensureNullProvider, loadNullProvider, provisionerEnvironment, rendersHcl, runnerCommand } from './provisioner';
import { registerCarrier, undoRegistry } from './undo-registry';
import { Validator } from './validation';
import { WaitPolicy } from './wait-policy';
import { variableEnvName } from '../contract/environment';
import { canonicalJson, specHash, SpecBase, WaitSpec } from '../contract/spec';

export interface CarrierOptions {
  /** One spec per carrier instance, by instance key (rendered with for_each), or a single spec. */
  readonly instances: Record<string, SpecBase> | SpecBase;
  /** Whether a destroy-time provisioner runs the operation's undo. */
  readonly undo: boolean;
  /**
   * Whether the stack's undo registry also holds the instances, so deleting the construct from
   * the code runs the undo. Only for undos that do something. Default: `undo`.
   */
  readonly undoWhenDeleted?: boolean;
  readonly carrier?: Carrier;
  /** Construct id of the carrier resource. Default `Carrier`. */
  readonly id?: string;
  /** Resources this carrier is created after (and destroyed before). */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * A single carrier's replacement trigger is the hash of this spec instead of its own: when a
   * spec's form changes but not what it stands for, the trigger stays, and upgrading re-runs nothing.
   */
  readonly triggerIdentity?: SpecBase;
  /**
   * In HCL output (`synth --hcl`), an HCL expression Terraform evaluates to the hash of
   * `triggerIdentity`, so the trigger follows hand edits of what it covers. Default: the literal hash.
   */
  readonly hclTriggerHash?: string;
}

/**
 * Renders the carrier resource. Its input/triggers hold the non-secret spec (JSON) and its
 * hash: a changed spec replaces the instance, so the operation runs again. Provisioners read
 * the spec from `self` only, which is all Terraform allows a destroy-time provisioner.
 */
export function renderCarrier(scope: Construct, options: CarrierOptions): TerraformResource {
  const carrier = options.carrier ?? KeyfactorDefaults.of(scope).carrier ?? Carrier.terraformData();
  const single = typeof (options.instances as SpecBase).operation === 'string';
  // The hash covers the spec's identity only (not runtime options such as `wait`), so with
  // terraform_data a runtime option change updates `input` in place and re-runs nothing.
  // A spec holding Terraform values (references, templates) is a jsonencode expression, hashed by
  // Terraform: the trigger follows what Terraform evaluated, not the text at synth.
  const hashOf = (spec: SpecBase) => {
    if (!holdsTerraformValues(spec)) return specHash(spec);
    const { wait: _runtimeOnly, ...identity } = spec;
    return hashExpression(identity);
  };
  // cdktf's HCL output (`synth --hcl`) renders a string that looks like JSON or a number (a
  // hash of digits only) as HCL, not as a string: there, every spec is a jsonencode expression
  // (readable HCL, and the same text once Terraform evaluates it) and every hash is computed by
  // Terraform from what it covers (the same value), so a team that left CDK and edits a spec by
  // hand re-runs its operation on the next apply.
  // A spec whose jsonencode text would differ from canonicalJson's keeps its text and hash as
  // they are (quoted inside `${...}`, which the renderer leaves alone), with a warning.
  const hcl = rendersHcl(scope);
  let warned = false;
  const literalInHcl = (spec: SpecBase) => {
    const why = hcl && !holdsTerraformValues(spec) ? jsonencodeDiffers(spec) : undefined;
    if (why && !warned) {
      warned = true;
      scope.node.addMetadata(AnnotationMetadataEntryType.WARN, `in HCL output (synth --hcl) a spec of this construct stays JSON text: ${why}. ` +
        'After editing it by hand, run terraform apply -replace=<its carrier instance> for it to run again.');
    }
    return why !== undefined;
  };
  // A quoted string inside `${...}`: cdktf's renderer writes it as it is (a hash of digits only would become a number).
  const quoted = (text: string) => `\${"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"}`;
  const hashedFromSpec = (spec: SpecBase, trigger = spec) => hcl && trigger === spec && !holdsTerraformValues(spec) && !literalInHcl(spec);
  const toValue = (spec: SpecBase, trigger = spec) => {
    const hash = hashOf(trigger);
    const literalHash = hcl && /^[0-9]+$/.test(hash) ? quoted(hash) : hash;
    if (literalInHcl(spec)) return { spec: quoted(canonicalJson(spec)), hash: literalHash };
    return {
      // In HCL, a literal spec evaluates to canonicalJson's text (no change in state when a stack leaves CDK).
      spec: holdsTerraformValues(spec) ? jsonencodeExpression(spec)
        : hcl ? jsonencodeExpression(spec, JSONENCODE_ESCAPED.test(canonicalJson(spec))) : canonicalJson(spec),
      hash: literalHash,
    };
  };

  // The instances are a plain map (in `locals`, below) and their values plain `each.value`
  // expressions, not a TerraformIterator, whose tokens each capture a stack trace and make large
  // stacks slow to synthesize.
  let forEach: Record<string, { spec: string; hash?: string; known?: string }> | undefined;
  let value: { spec: string; hash: string };
  if (single) {
    const spec = options.instances as SpecBase;
    value = toValue(spec, options.triggerIdentity);
    if (hashedFromSpec(spec, options.triggerIdentity)) {
      const text = new TerraformLocal(scope, `${options.id ?? 'Carrier'}Spec`, value.spec).friendlyUniqueId;
      value = { spec: `\${local.${text}}`, hash: `\${${specHashHcl(`local.${text}`)}}` };
    } else if (hcl && options.hclTriggerHash) {
      value = { ...value, hash: `\${${options.hclTriggerHash}}` };
    }
  } else {
    forEach = {};
    for (const [key, spec] of Object.entries(options.instances as Record<string, SpecBase>)) {
      // cdktf's HCL renderer writes map keys between quotes as they are: such a key breaks the file.
      if (hcl && !Token.isUnresolved(key) && /["\\\u0000-\u001f]/.test(key)) {
        const field = spec.operation === 'PamLocalEntry' ? 'secretName' : 'stores[].key';
        scope.node.addMetadata(AnnotationMetadataEntryType.ERROR, `${field}: the instance key ${JSON.stringify(key)} holds a quote, a backslash or a control ` +
          `character, which cdktf synth --hcl cannot write; rename it, or synthesize JSON (${spec.operation})`);
      }
      const v = toValue(spec);
      // The undo registry reads the configuration to tell a renamed construct from a deleted one:
      // an expression spec is unreadable there, so its literal values travel beside it.
      if (hashedFromSpec(spec)) forEach[key] = { spec: v.spec };
      else forEach[key] = !holdsTerraformValues(spec) ? v : { ...v, known: hcl ? jsonencodeExpression(knownValues(spec)) : knownValuesJson(spec) };
    }
    const hashed = hcl && Object.values(forEach).some((v) => v.hash === undefined);
    value = { spec: '${each.value.spec}', hash: hashed ? `\${lookup(each.value, "hash", ${specHashHcl('each.value.spec')})}` : '${each.value.hash}' };
  }

  const environment = provisionerEnvironment(carrier, KeyfactorDefaults._ledgerEnvironment(scope));
  // Sensitive Terraform variables reach the create step through its environment only.
  const specs = single ? [options.instances as SpecBase] : Object.values(options.instances as Record<string, SpecBase>);
  const variables = new Set<string>();
  specs.forEach((spec) => variableRefs(spec, variables));
  const variableEnv = Object.fromEntries([...variables].map((name) => [variableEnvName(name), `\${var.${name}}`]));
  const provisioner = (phase: 'create' | 'destroy' | 'report') => ({
    type: 'local-exec' as const,
    command: runnerCommand(scope, phase),
    environment: phase === 'create' ? { ...environment, ...variableEnv } : environment,
    ...(phase === 'destroy' ? { when: 'destroy' as const } : {}),
  });
  const provisioners = [provisioner('create')];
  // Terraform hides the output of a provisioner that carries a sensitive value; a second one,
  // without secrets, prints what the first recorded (job GUIDs) so the apply log still shows it.
  if (variables.size > 0) provisioners.push(provisioner('report'));
  if (options.undo) provisioners.push(provisioner('destroy'));

  let resource: TerraformResource;
  if (carrier.type === CarrierType.TERRAFORM_DATA) {
    const data = new DataResource(scope, options.id ?? 'Carrier', {
      dependsOn: options.dependsOn,
      input: value,
      triggersReplace: { hash: value.hash },
      provisioners,
    });
    checkTerraformVersionOncePerStack(data);
    resource = data;
  } else {
    const nullProvider = loadNullProvider();
    ensureNullProvider(scope, nullProvider);
    resource = new nullProvider.resource.Resource(scope, options.id ?? 'Carrier', {
      dependsOn: options.dependsOn,
      triggers: value,
      provisioners,
    });
  }
  // The instances are a `locals` map its for_each names: Terraform evaluates an inline for_each
  // map once per instance, which makes N instances cost N² (as in the undo registry). Named as
  // text: the local's `expression` is a token, whose stack trace costs a large stack's synth 20%.
  const local = forEach && new TerraformLocal(scope, `${options.id ?? 'Carrier'}Instances`, forEach).friendlyUniqueId;
  if (local) resource.addOverride('for_each', `\${local.${local}}`);
  // Every stack with a Keyfactor construct keeps its registry, even when none has an undo, so
  // deleting the last construct that had one still runs it.
  const registry = undoRegistry(scope, () => {
    const stackDefaults = KeyfactorDefaults.of(TerraformStack.of(scope));
    return { carrier: stackDefaults.carrier ?? carrier, ledger: KeyfactorDefaults._ledgerEnvironment(TerraformStack.of(scope)) };
  });
  // In HCL the registry refers to each instance's spec rather than copying it: one text to edit by
  // hand, so an undo never runs with a stale copy. Not in JSON: Terraform plans references more
  // slowly (figures: README, Leaving CDK). A key Terraform evaluates is a token that
  // renders itself quoted inside an expression (templateOf).
  const index = (key: string) => (Token.isUnresolved(key) ? key : quotedTemplate(key));
  const specsByKey = forEach && Object.fromEntries(Object.entries(forEach).map(([key, v]) => [key, hcl ? `\${local.${local}[${index(key)}].spec}` : v.spec]));
  registerCarrier(registry, scope, resource, specsByKey, options.undo && (options.undoWhenDeleted ?? true), options.dependsOn);
  return resource;
}


/** Every `variable` secret reference anywhere in a spec. */
function variableRefs(spec: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(spec)) {
    spec.forEach((x) => variableRefs(x, found));
  } else if (spec && typeof spec === 'object' && Object.getPrototypeOf(spec) === Object.prototype) {
    // Plain objects only: a token (Token.asAny) is a class instance with references to the tree.
    const o = spec as Record<string, unknown>;
    if (o.source === 'variable' && typeof o.name === 'string') found.add(o.name);
    else Object.values(o).forEach((x) => variableRefs(x, found));
  }
  return found;
}


/** Terraform address of a carrier instance, e.g. `terraform_data.web_Carrier_1A2B3C4D["key"]`. */
export function carrierAddress(resource: TerraformResource, key?: string): string {
  const base = `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
  return key === undefined ? base : `${base}[${JSON.stringify(key)}]`;
}

/** Stack name and construct path of a construct, for its spec. */
export function specIdentity(scope: Construct): { stack: string; path: string } {
  return { stack: TerraformStack.of(scope).node.id, path: scope.node.path };
}

/**
 * The wait policy in force for a construct (its prop, else the scope's defaults, else noWait),
 * validated. `unverifiable`: why this construct cannot verify delivery; asking for it on the
 * construct is an error, inheriting it from the defaults keeps the job wait only.
 */
export function resolveWait(scope: Construct, v: Validator, wait: WaitPolicy | undefined, unverifiable?: string): WaitSpec | undefined {
  const policy = wait ?? KeyfactorDefaults.of(scope).wait ?? WaitPolicy.noWait();
  if (!(policy instanceof WaitPolicy)) {
    v.fail('wait', 'must be a WaitPolicy, e.g. WaitPolicy.forCompletion()');
    return undefined;
  }
  const spec = policy._render(v, 'wait');
  if (spec.mode === 'completion' && spec.verifyDelivery && unverifiable !== undefined) {
    if (wait !== undefined) v.fail('wait.verifyDelivery', `cannot be used here: ${unverifiable}; use WaitPolicy.forCompletion() without it`);
    const { verifyDelivery: _notHere, ...jobsOnly } = spec;
    return jobsOnly;
  }
  return spec;
}

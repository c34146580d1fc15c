import { Testing, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { isUndoRegistryId } from '../../src/contract/environment';
import { configuredInstances } from '../../src/runtime/configuration';

/**
 * The stack's synthesized JSON without its undo registry (`KeyfactorUndo*`, tested on its own in
 * test/synth/undo-registry.test.ts), so a construct's tests see only that construct's carriers;
 * each carrier's for_each is its instances map, read from the `locals` entry it names as the
 * runner reads it (that rendering is tested in test/synth/render-carrier.test.ts).
 */
export function synthJson(stack: TerraformStack): any {
  const json = JSON.parse(Testing.synth(stack));
  for (const blocks of Object.values<any>(json.resource ?? {})) {
    for (const block of Object.values<any>(blocks)) {
      const local = typeof block.for_each === 'string' && /^\$\{local\.(.+)\}$/.exec(block.for_each)?.[1];
      if (!local || isUndoRegistryId(local.replace(/Instances$/, ''))) continue;
      block.for_each = configuredInstances(json, block);
      delete json.locals[local];
    }
  }
  for (const type of ['terraform_data', 'null_resource']) {
    const blocks = json.resource?.[type];
    if (!blocks) continue;
    Object.keys(blocks).filter(isUndoRegistryId).forEach((id) => delete blocks[id]);
    if (Object.keys(blocks).length === 0) delete json.resource[type];
  }
  for (const name of Object.keys(json.locals ?? {})) if (isUndoRegistryId(name.replace(/Instances$/, ''))) delete json.locals[name];
  if (json.locals && Object.keys(json.locals).length === 0) delete json.locals;
  return json;
}

/**
 * The problems cdktf reports when it synthesizes the stack holding `scope`, one line each as
 * `[construct path] field: problem (Kind)`, as `cdktf synth` prints them; '' when there are none.
 * Goes through cdktf's own synthesizer, which fails on error annotations.
 */
export function synthErrors(scope: IConstruct): string {
  try {
    Testing.fullSynth(TerraformStack.of(scope));
    return '';
  } catch (e) {
    const listed = /^Encountered Annotations with level "ERROR":\n([\s\S]*?)\n\nEither fix/.exec((e as Error).message);
    if (listed) return listed[1];
    throw e;
  }
}

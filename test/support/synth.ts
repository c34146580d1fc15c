import { Testing, TerraformStack } from 'cdktf';
import { UNDO_REGISTRY_ID } from '../../src/contract/environment';

/**
 * The stack's synthesized JSON without its undo registry (`KeyfactorUndo`, tested on its own in
 * test/synth/undo-registry.test.ts), so a construct's tests see only that construct's carriers.
 */
export function synthJson(stack: TerraformStack): any {
  const json = JSON.parse(Testing.synth(stack));
  for (const type of ['terraform_data', 'null_resource']) {
    const blocks = json.resource?.[type];
    if (!blocks?.[UNDO_REGISTRY_ID]) continue;
    delete blocks[UNDO_REGISTRY_ID];
    if (Object.keys(blocks).length === 0) delete json.resource[type];
  }
  return json;
}

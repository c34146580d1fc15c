/**
 * Deletes compiled files in lib/ whose source in src/ is gone. jsii (tsc) writes lib/x.js and
 * lib/x.d.ts for every src/x.ts but never removes them when src/x.ts is renamed or deleted,
 * and everything in lib/ is published. Run by `npm run compile`, after jsii.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function prune(dir) {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) {
      prune(file);
      if (readdirSync(file).length === 0) rmSync(file, { recursive: true });
      continue;
    }
    const stem = relative('lib', file).replace(/(\.d\.ts|\.js)$/, '');
    if (stem === relative('lib', file)) continue;
    if (!existsSync(join('src', `${stem}.ts`))) {
      rmSync(file);
      console.log(`prune-lib: removed ${file} (no src/${stem}.ts)`);
    }
  }
}

if (existsSync('lib')) prune('lib');

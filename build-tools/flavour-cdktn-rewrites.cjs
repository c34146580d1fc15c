/**
 * What differs between the sources of cdktf-keyfactor and its CDK Terrain flavour, cdktn-keyfactor:
 * one table, applied by build-tools/flavour-cdktn.mjs to src/ and by test/flavours/ to the example
 * app. CommonJS so that jest can load it too.
 */
const NO_NULL_PROVIDER = 'cdktn-keyfactor: Carrier.nullResource() is not available with CDK Terrain (cdktn): the null provider\'s ' +
  'bindings exist for cdktf only (@cdktf/provider-null), so the cdktn flavour offers only terraform_data. Use the default carrier, ' +
  'Carrier.terraformData() (built into Terraform >= 1.4; no provider to download).';

/**
 * Every difference between the flavours' sources, applied to each file of src/ in order.
 * `files` selects files by their path relative to src/; `from` is a string or a global RegExp;
 * `count` is how many times the rule must apply across src/ (`undefined`: at least once). The
 * build fails when a rule applies a different number of times, so a change in src/ that a rule
 * no longer fits is caught here, not by users of the flavour.
 */
const REWRITES = [
  {
    // cdktn is cdktf renamed: same classes, same module layout. (Type-only `import('cdktf')` too.)
    why: 'the framework',
    files: /\.ts$/,
    from: /(from |import\(|require\()'cdktf(\/[^']*)?'/g,
    to: "$1'cdktn$2'",
  },
  {
    // @cdktf/provider-null peers cdktf, and there is no @cdktn/provider-null: Carrier.nullResource()
    // fails at synth, saying why and what to use instead.
    why: 'no null provider',
    files: /^synth\/provisioner\.ts$/,
    from: "return require('@cdktf/provider-null') as typeof import('@cdktf/provider-null');",
    to: `throw new Error(${JSON.stringify(NO_NULL_PROVIDER)});`,
    count: 1,
  },
  {
    // ...so its types are no dependency of the flavour either (loadNullProvider's return type and
    // ensureNullProvider's parameter; neither is public API).
    why: 'no null provider types',
    files: /^synth\/provisioner\.ts$/,
    from: "typeof import('@cdktf/provider-null')",
    to: 'any',
    count: 2,
  },
  {
    // The API reference says so.
    why: 'null provider docs',
    files: /^synth\/carrier\.ts$/,
    from: 'The provider must be installable where `terraform init` runs.',
    to: 'Not available in cdktn-keyfactor (there is no cdktn build of the null provider): throws at synth.',
    count: 1,
  },
];

/**
 * `text` (the file `file`, relative to src/) with the rewrites applied; `hits` counts each
 * rule's replacements. Also what test/flavours/ turns cdktf code into cdktn code with.
 */
function rewriteSource(file, text, hits = new Map()) {
  let out = text;
  for (const rule of REWRITES) {
    if (!rule.files.test(file)) continue;
    const pattern = typeof rule.from === 'string' ? new RegExp(rule.from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : rule.from;
    let n = 0;
    out = out.replace(pattern, (...match) => {
      n++;
      // A string `to` may use $1, $2 (RegExp groups); a literal `to` must not be read that way.
      return typeof rule.from === 'string' ? rule.to : rule.to.replace(/\$(\d)/g, (_, i) => match[Number(i)] ?? '');
    });
    hits.set(rule, (hits.get(rule) ?? 0) + n);
  }
  return out;
}

module.exports = { REWRITES, rewriteSource, NO_NULL_PROVIDER };

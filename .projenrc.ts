import { cdktf, javascript } from 'projen';

// CDKTF is archived upstream and projen marks its cdktf project type deprecated; it still
// builds a correct jsii construct library, which is what we need.
const project = new cdktf.ConstructLibraryCdktf({
  name: 'cdktf-keyfactor',
  description:
    'CDK for Terraform constructs for Keyfactor Command operations (certificate deployments, store passwords, PFX replacement, PAM local entries, reenrollment) with recorded orchestrator job GUIDs.',
  author: 'cdktf-keyfactor maintainers',
  authorAddress: 'maintainers@cdktf-keyfactor.invalid',
  repositoryUrl: 'https://github.com/cdktf-keyfactor/cdktf-keyfactor.git',
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  cdktfVersion: '^0.21.0',
  constructsVersion: '^10.4.2',
  // jsii and TypeScript must share a minor; 5.9 is the newest pair that installs here.
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',
  minNodeVersion: '20.0.0',
  github: false,
  release: false,
  peerDeps: ['@cdktf/provider-null@^11.0.0'],
  // The jsii targets a published construct library declares. Only JavaScript is packaged and tested
  // here (PyPI, Maven Central and NuGet are unreachable, no Go or .NET toolchain): the suite
  // generates the other bindings' source (test/jsii-targets.e2e.test.ts) and the README says so.
  publishToPypi: { distName: 'cdktf-keyfactor', module: 'cdktf_keyfactor' },
  publishToMaven: { javaPackage: 'io.github.cdktfkeyfactor', mavenGroupId: 'io.github.cdktf-keyfactor', mavenArtifactId: 'cdktf-keyfactor' },
  publishToNuget: { dotNetNamespace: 'CdktfKeyfactor', packageId: 'CdktfKeyfactor' },
  publishToGo: { moduleName: 'github.com/cdktf-keyfactor/cdktf-keyfactor-go' },
  // Runtime dependencies are bundled (jsii requires non-jsii deps to be bundled).
  //  axios: the HTTP client mandated for API calls; zod: request/spec schema validation in the
  //  runner and simulator; commander: argument parsing for the `cdktf-keyfactor` CLI.
  //  node-forge: X.509 CA and server certificates for the simulator's HTTPS mode (no dependencies).
  bundledDeps: ['axios@1.21.1', 'zod@4.6.7', 'commander@14.0.3', 'node-forge@1.4.3'],
  //  esbuild: bundles the apply-time runner into one self-contained file.
  //  cdktf, constructs, @cdktf/provider-null: the cdktf flavour's framework, as tested. cdktn: the
  //  cdktn flavour's (build-tools/flavour-cdktn.mjs). constructs is one copy for both, so it must
  //  satisfy cdktn 0.24 (>=10.6 <10.8) and cdktf 0.21 (^10.4.2); the cdktf flavour still peers ^10.4.2.
  //  The ledger stores' official SDKs are bundled into bundle/runner/ledger-<store>.cjs (loaded only
  //  when a ledger lives there), so users install none of them: @aws-sdk/client-s3 with its
  //  credential chain (credential-providers: assume-role) and @smithy/node-http-handler (timeouts);
  //  @azure/storage-blob with @azure/identity (Entra ID); pg (node-postgres). The newest releases
  //  that still run on Node 20. Test servers: s3rver (S3-compatible, no Docker) and azurite
  //  (Microsoft's emulator; 3.35 is the last on Node 20); PostgreSQL comes from Debian.
  devDeps: [
    'esbuild@0.28.2', '@cdktf/provider-null@11.0.0', 'cdktf@0.21.0', 'constructs@10.7.2', 'cdktn@0.24.0',
    '@aws-sdk/client-s3@3.1178.0', '@aws-sdk/credential-providers@3.1178.0', '@smithy/node-http-handler@4.14.2',
    '@azure/storage-blob@12.32.0', '@azure/identity@4.13.1', 'pg@8.23.1', '@types/pg@8.23.1',
    's3rver@3.7.1', 'azurite@3.35.0',
  ],
  // The dev dependencies above are the versions tested, not the lowest each peer range allows.
  peerDependencyOptions: { pinnedDevDependency: false },
  bin: { 'cdktf-keyfactor': 'lib/cli/main.js' },
  jestOptions: {
    // jest 30 resolves modules with unrs-resolver, whose per-platform binaries the registry
    // here lacks (so `npm ci` refuses the lock file); jest 29 does not need it.
    jestVersion: '^29',
    // Never let the test run rewrite snapshots: regressions must fail.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 120_000,
      // Temporary directories go under one root, removed at the end of the run.
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  },
  tsconfigDev: {
    include: ['../examples/**/*.ts', '../scripts/**/*.ts'],
    compilerOptions: {},
  },
  gitignore: ['/bundle/', 'cdktf.out/', '.keyfactor-ledger/', '.terraform/', '*.tfstate*', '.terraform.lock.hcl', '/bench/tmp/'],
});

// `package` (and so `build`) packages JavaScript only: the other targets need registries and
// toolchains the build machines lack; where they exist, run `npx projen package:python` (etc.).
const packageAll = project.tasks.tryFind('package-all')!;
packageAll.reset();
packageAll.spawn(project.tasks.tryFind('package:js')!);

// Only Carrier.nullResource() needs the null provider (loaded on demand): without this, npm 7+
// installs it into every app.
project.package.addField('peerDependenciesMeta', { '@cdktf/provider-null': { optional: true } });

// eslint-import-resolver-typescript is held at 3.6.3 for the same reason as jest 29: 4.x needs
// unrs-resolver.
project.deps.removeDependency('eslint-import-resolver-typescript');
project.addDevDeps('eslint-import-resolver-typescript@3.6.3');

// The runner is bundled (axios included) into one file that synthesized stacks carry as a
// TerraformAsset, so applying needs only node and terraform. The script runs esbuild with stubs
// for axios code the runner never uses (multipart/form-data, the fetch adapter), which halves
// the bundle and its cold start: see the comment in the script and bench/.
const bundle = project.addTask('bundle-runner', {
  description: 'Bundle the apply-time runner and the ledger store clients into bundle/runner/',
  exec: 'node build-tools/bundle-runner.mjs',
});
// jsii asks for a devDependency at the lowest version each peer allows (constructs 10.4.2): the
// build and tests use constructs 10.7.2, shared with the cdktn flavour, which needs 10.6+.
project.compileTask.reset('jsii --silence-warnings=reserved-word --silence-warnings=metadata/missing-dev-dependency');
project.compileTask.spawn(bundle);
// jsii never deletes what it compiled from a source file that is gone; without this, a renamed
// or deleted module would stay in lib/ and be published.
project.compileTask.exec('node build-tools/prune-lib.mjs');
// `npx --no cdktf-keyfactor` in a checkout runs lib/cli/main.js itself, and jsii writes it without the
// executable bit (npm sets it only when it installs the package): a fresh clone's run failed with
// "Permission denied" where the simulator-command test ran before whatever had set it.
project.compileTask.exec('chmod +x lib/cli/main.js');
// The CDK Terrain flavour, `cdktn-keyfactor`: src/ with cdktn for cdktf (every rewrite in one table,
// build-tools/flavour-cdktn-rewrites.cjs), compiled by jsii in flavours/cdktn/, generated as a whole
// and gitignored. test/flavours/ applies the example app with both flavours.
project.compileTask.exec('node build-tools/flavour-cdktn.mjs');
project.gitignore.exclude('/flavours/');

// `npm test` compiles with jsii (and bundles the runner) before running jest.
project.testTask.prependSpawn(project.compileTask);

// Tests live in test/ and end in .test.ts: projen's default patterns would also take
// src/**/spec.ts (the operations' specs) for tests.
project.tryFindObjectFile('package.json')?.addOverride('jest.testMatch', ['<rootDir>/test/**/*.test.ts']);

// End-to-end tests (the real terraform binary, npm pack) are named *.e2e.test.ts; `npm test`
// runs everything, these two run either half.
const E2E = '\\.e2e\\.test\\.ts$';
project.addTask('test:unit', {
  description: 'Fast tests: synth, the runner against the simulator, the simulator (no terraform)',
  steps: [{ spawn: 'compile' }, { exec: `jest --ci --coverage=false --testPathIgnorePatterns=/node_modules/ '${E2E}'` }],
});
project.addTask('test:e2e', {
  description: 'End-to-end tests with the real terraform binary (and npm pack)',
  steps: [{ spawn: 'compile' }, { exec: `jest --ci --coverage=false --testPathPattern '${E2E}'` }],
});

// Boundaries (eslint, so `npm test` fails on a breach):
// - no import cycles;
// - the runner bundle (src/runner, src/runtime, src/contract, the operations' run.ts and spec.ts)
//   never pulls in cdktf, constructs or synth-only code: it runs where only node is installed;
// - the simulator stands alone, and the contract depends on nothing but itself.
const RUNNER_SIDE = ['./src/runner/**', './src/runtime/**', './src/contract/**', './src/operations/*/run.ts', './src/operations/*/spec.ts'];
project.eslint?.addRules({
  'import/no-cycle': ['error', { ignoreExternal: true }],
  'import/no-restricted-paths': ['error', {
    zones: [
      {
        target: RUNNER_SIDE,
        from: ['./src/synth/**', './src/operations/**', './src/*.ts', './src/cli/**', './src/simulator/**'],
        // (exceptions to glob zones are matched against absolute paths)
        // ...and the pure input rules the runner checks evaluated references with, as synth checks literals.
        except: ['**/src/operations/*/run.ts', '**/src/operations/*/spec.ts', '**/src/operations/*/*-rules.ts', '**/src/operations/*/x500.ts'],
        message: 'The runner bundle must not pull in synth-only code (it runs with node alone).',
      },
      { target: './src/simulator', from: './src', except: ['./simulator'], message: 'The simulator imports nothing from the library.' },
      { target: './src/contract', from: './src', except: ['./contract'], message: 'The contract depends on nothing but itself.' },
      { target: ['./src/synth/**', './src/operations/*/construct.ts'], from: ['./src/runner/**', './src/runtime/**'], message: 'Synth code does not use the runner.' },
    ],
  }],
});
project.eslint?.addOverride({
  files: RUNNER_SIDE.map((p) => p.replace(/^\.\//, '')),
  rules: {
    'no-restricted-imports': ['error', {
      paths: [
        { name: 'cdktf', message: 'The runner bundle must not import cdktf.' },
        { name: 'constructs', message: 'The runner bundle must not import constructs.' },
      ],
      patterns: [{ group: ['@cdktf/*'], message: 'The runner bundle must not import cdktf providers.' }],
    }],
  },
});

// The ledger stores' clients import their SDKs, which are dev dependencies: each client is bundled
// with its SDK into bundle/runner/ledger-<store>.cjs, so the package never requires them.
project.eslint?.addOverride({
  files: ['src/runtime/ledger/stores/*/client.ts'],
  rules: { 'import/no-extraneous-dependencies': 'off' },
});

project.addTask('demo', {
  description: 'Start the simulator, deploy examples/ with terraform, print job GUIDs, destroy',
  steps: [{ spawn: 'compile' }, { exec: 'ts-node --project test/tsconfig.json scripts/demo.ts' }],
});

// Mutation testing of the modules whose bugs cost users most (stryker.config.json lists them).
// Slow (see README, Development), so not part of `npm test`.
project.addDevDeps('@stryker-mutator/core@9.6.1', '@stryker-mutator/jest-runner@9.6.1', '@stryker-mutator/typescript-checker@9.6.1');
project.addTask('mutate', {
  description: 'Mutation testing (Stryker) of secret handling, ledger, HTTP client and retries, job state, validation, spec hashing',
  steps: [{ spawn: 'compile' }, { exec: 'stryker run' }],
});
project.gitignore.exclude('/.stryker-tmp/', '/reports/');

project.addTask('bench', {
  description: 'Benchmark synth, runner start-up, apply and job polling against baselines; writes bench/results/',
  steps: [{ spawn: 'compile' }, { exec: 'ts-node --project test/tsconfig.json bench/run.ts' }],
});

project.npmignore?.exclude('/examples/', '/scripts/', '/bench/', '/build-tools/', 'cdktf.json', '/.ci/');
// What `npm pack` ships (test/package.test.ts holds it to this): the compiled library, the
// runner bundle, the jsii assembly and its API reference, README and LICENSE, plus the
// bundledDependencies jsii requires. Patterns, not directories, so nothing else in lib/ or
// bundle/ (build leftovers) can slip in.
project.addFields({ files: ['lib/**/*.js', 'lib/**/*.d.ts', 'bundle/runner/*.cjs', '.jsii', 'API.md', 'README.md', 'LICENSE', 'docs/*.md'] });
project.synth();

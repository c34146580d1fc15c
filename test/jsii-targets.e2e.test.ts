import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './support/runtime';

/**
 * The jsii targets a published construct library declares, and how far this machine takes them:
 * the bindings' source for Python, Java, C# and Go is generated from the compiled assembly (which
 * catches names a language cannot use) and the Python is byte-compiled. Building their packages
 * needs PyPI, Maven Central or NuGet (unreachable here) or a Go or .NET toolchain (not installed),
 * as the README says. Needs a compiled tree (`npm test` compiles first).
 */
const ROOT = path.resolve(__dirname, '..');

test('Python, Java, C# and Go bindings are declared and generate from the assembly', () => {
  const jsii = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8'));
  expect(jsii.targets).toEqual({
    js: { npm: 'cdktf-keyfactor' },
    python: { distName: 'cdktf-keyfactor', module: 'cdktf_keyfactor' },
    java: { package: 'io.github.cdktfkeyfactor', maven: { groupId: 'io.github.cdktf-keyfactor', artifactId: 'cdktf-keyfactor' } },
    dotnet: { namespace: 'CdktfKeyfactor', packageId: 'CdktfKeyfactor' },
    go: { moduleName: 'github.com/cdktf-keyfactor/cdktf-keyfactor-go' },
  });

  const out = tempDir('kf-pacmak-');
  const targets = ['python', 'java', 'dotnet', 'go'].flatMap((t) => ['--target', t]);
  const pacmak = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'jsii-pacmak'), ['--code-only', ...targets, '-o', out], { cwd: ROOT, encoding: 'utf8' });
  expect({ status: pacmak.status, stderr: pacmak.status === 0 ? '' : pacmak.stderr }).toEqual({ status: 0, stderr: '' });

  const init = path.join(out, 'python', 'src', 'cdktf_keyfactor', '__init__.py');
  expect(fs.readFileSync(init, 'utf8')).toMatch(/^class CertificateDeployment\(/m);
  const compiled = spawnSync('python3', ['-m', 'compileall', '-q', path.join(out, 'python', 'src')], { encoding: 'utf8' });
  expect({ status: compiled.status, output: compiled.stdout + compiled.stderr }).toEqual({ status: 0, output: '' });

  expect(fs.readFileSync(path.join(out, 'java', 'src', 'main', 'java', 'io', 'github', 'cdktfkeyfactor', 'CertificateDeployment.java'), 'utf8'))
    .toContain('public class CertificateDeployment extends');
  expect(fs.readFileSync(path.join(out, 'dotnet', 'CdktfKeyfactor', 'CdktfKeyfactor', 'CertificateDeployment.cs'), 'utf8'))
    .toContain('public class CertificateDeployment');
  expect(fs.readFileSync(path.join(out, 'go', 'cdktfkeyfactor', 'go.mod'), 'utf8'))
    .toMatch(/^module github\.com\/cdktf-keyfactor\/cdktf-keyfactor-go\/cdktfkeyfactor$/m);
});

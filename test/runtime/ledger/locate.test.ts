import * as fs from 'fs';
import * as path from 'path';
import { describeLocation, LedgerLocation, locationUrl } from '../../../src/contract/ledger-location';
import { chooseLedger } from '../../../src/runtime/ledger';
import { tempDir } from '../../support/runtime';

/**
 * Where a stack's ledger lives, as its runner (in the stack directory Terraform runs in) and the CLI
 * decide it: the environment, then the stack's choice at synth, then its Terraform backend as
 * `terraform init` recorded it (partial configuration included), then the local directory.
 */
function stackDir(backend?: { type: string; config: Record<string, unknown> }, dataDir = '.terraform'): string {
  const dir = tempDir('kf-locate-');
  if (backend) {
    fs.mkdirSync(path.join(dir, dataDir), { recursive: true });
    fs.writeFileSync(path.join(dir, dataDir, 'terraform.tfstate'), JSON.stringify({ version: 3, terraform_version: '1.11.4', backend: { ...backend, hash: 1 } }));
  }
  return dir;
}

/** How `terraform init` records an s3 backend: every attribute, unset ones null (here: bucket in the block, key with -backend-config). */
const S3_BACKEND = {
  type: 's3',
  config: {
    access_key: null,
    assume_role: null,
    bucket: 'tfstate',
    endpoint: null,
    endpoints: { s3: 'http://127.0.0.1:42111', sts: null },
    force_path_style: null,
    key: 'partial/terraform.tfstate',
    profile: null,
    region: 'eu-west-1',
    secret_key: null,
    token: null,
    use_path_style: true,
  },
};

describe('choosing the ledger', () => {
  test('the stack\'s s3 backend: same bucket, the state key plus a suffix, the backend\'s region, endpoint, path style and credentials', () => {
    const dir = stackDir({ ...S3_BACKEND, config: { ...S3_BACKEND.config, access_key: 'AKIAEXAMPLE', secret_key: 'backend-secret' } });
    const choice = chooseLedger({ CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR: '../../../.keyfactor-ledger' }, dir);
    expect(choice.location).toEqual({
      type: 's3',
      bucket: 'tfstate',
      prefix: 'partial/terraform.tfstate.keyfactor-ledger',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:42111',
      usePathStyle: true,
      profile: undefined,
    });
    expect(choice.credentials).toMatchObject({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'backend-secret' });
    expect(choice.source).toBe('the stack\'s s3 backend');
    expect(choice.local).toBe(path.resolve(dir, '../../../.keyfactor-ledger'));
    expect(choice.notice).toBeUndefined();
    // Credentials are used, never shown.
    expect(describeLocation(choice.location)).toBe('s3://tfstate/partial/terraform.tfstate.keyfactor-ledger/ at http://127.0.0.1:42111 (region eu-west-1)');
    expect(describeLocation(choice.location)).not.toContain('backend-secret');
  });

  test('s3: what the backend leaves unset comes from the variables Terraform reads (region, endpoint), and an assume_role block carries over', () => {
    const dir = stackDir({ type: 's3', config: { bucket: 'bkt', key: 'k.tfstate', region: null, endpoints: null, assume_role: { role_arn: 'arn:aws:iam::1:role/state', external_id: 'x' } } });
    const choice = chooseLedger({ AWS_DEFAULT_REGION: 'us-west-2', AWS_ENDPOINT_URL_S3: 'https://s3.internal:9000' }, dir);
    expect(choice.location).toMatchObject({ bucket: 'bkt', prefix: 'k.tfstate.keyfactor-ledger', region: 'us-west-2', endpoint: 'https://s3.internal:9000' });
    expect(choice.credentials).toMatchObject({ roleArn: 'arn:aws:iam::1:role/state', externalId: 'x' });
  });

  test('the stack\'s azurerm backend: same account and container, the key plus a suffix, the cloud\'s endpoint, the backend\'s key or ARM_* identity', () => {
    const dir = stackDir({ type: 'azurerm', config: { storage_account_name: 'platformstate', container_name: 'tfstate', key: 'prod.tfstate', access_key: 'backend-key', environment: null } });
    const choice = chooseLedger({ ARM_CLIENT_ID: 'id' }, dir);
    expect(choice.location).toEqual({ type: 'azure-blob', account: 'platformstate', container: 'tfstate', prefix: 'prod.tfstate.keyfactor-ledger', endpoint: 'https://platformstate.blob.core.windows.net' });
    expect(choice.credentials).toMatchObject({ accessKey: 'backend-key', clientId: 'id' });
    const china = chooseLedger({}, stackDir({ type: 'azurerm', config: { storage_account_name: 'acct', container_name: 'ct1', key: 'k', environment: 'china' } }));
    expect(china.location).toMatchObject({ endpoint: 'https://acct.blob.core.chinacloudapi.cn' });
    expect(() => chooseLedger({}, stackDir({ type: 'azurerm', config: { storage_account_name: 'acct', container_name: 'ct1', key: 'k', environment: 'mars' } })))
      .toThrow(/cannot keep the ledger beside the state: the azurerm backend's environment "mars" is not one the ledger knows/);
  });

  test('the stack\'s pg backend: the same database (conn_str, or PG_CONN_STR as Terraform reads it), a table in the backend\'s schema', () => {
    const dir = stackDir({ type: 'pg', config: { conn_str: 'postgres://terraform:pw%40x@db.internal:5433/state?sslmode=require', schema_name: null } });
    const choice = chooseLedger({}, dir);
    expect(choice.location).toEqual({
      type: 'postgres', host: 'db.internal', port: 5433, database: 'state', user: 'terraform', sslMode: 'require', schema: 'terraform_remote_state', table: 'keyfactor_ledger',
    });
    expect(choice.credentials).toEqual({ connectionString: 'postgres://terraform:pw%40x@db.internal:5433/state?sslmode=require' });
    expect(describeLocation(choice.location)).not.toContain('pw');
    // conn_str from PG_CONN_STR is not recorded by init: Terraform (and the runner) read it each time. key=value form too.
    const fromEnv = chooseLedger({ PG_CONN_STR: "host=10.0.0.5 port=5432 dbname='tf state' user=ci password='a b'", PG_SCHEMA_NAME: 'states_prod' },
      stackDir({ type: 'pg', config: { conn_str: null, schema_name: null } }));
    expect(fromEnv.location).toMatchObject({ host: '10.0.0.5', port: 5432, database: 'tf state', user: 'ci', schema: 'states_prod' });
    expect(() => chooseLedger({}, stackDir({ type: 'pg', config: { conn_str: null } })))
      .toThrow('cannot keep the ledger beside the state: the pg backend configuration has no conn_str (nor is PG_CONN_STR set)');
  });

  test('a local backend: beside its state file (for cdktf\'s default, the project directory: today\'s .keyfactor-ledger); no backend: the local directory', () => {
    const project = tempDir('kf-project-');
    const dir = stackDir({ type: 'local', config: { path: path.join(project, 'terraform.web.tfstate'), workspace_dir: null } });
    expect(chooseLedger({ CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR: path.relative(dir, path.join(project, '.keyfactor-ledger')) }, dir))
      .toMatchObject({ location: { type: 'directory', path: path.join(project, '.keyfactor-ledger') }, local: path.join(project, '.keyfactor-ledger') });
    const relative = stackDir({ type: 'local', config: { path: 'state/terraform.tfstate' } });
    expect(chooseLedger({}, relative).location).toEqual({ type: 'directory', path: path.join(relative, 'state', '.keyfactor-ledger') });
    const none = stackDir();
    expect(chooseLedger({ CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR: '../ledger' }, none).location).toEqual({ type: 'directory', path: path.resolve(none, '../ledger') });
  });

  test('backends with a place the ledger cannot use: the local directory, and a warning saying so and how to name a shared store', () => {
    for (const type of ['remote', 'cloud', 'http', 'consul', 'kubernetes', 'gcs']) {
      const choice = chooseLedger({}, stackDir({ type, config: {} }));
      expect(choice.location.type).toBe('directory');
      expect(choice.notice).toMatch(new RegExp(`stays on this machine .*the stack's "${type}" backend has no place .*CDKTF_KEYFACTOR_LEDGER=s3://bucket/prefix`));
    }
  });

  test('CDKTF_KEYFACTOR_LEDGER_DIR (the directory the README advised keeping as an artifact) over a backend that could hold the ledger: a warning saying how to move', () => {
    const dir = stackDir(S3_BACKEND);
    const choice = chooseLedger({ CDKTF_KEYFACTOR_LEDGER_DIR: '/builds/keyfactor-ledger' }, dir);
    expect(choice.location).toEqual({ type: 'directory', path: '/builds/keyfactor-ledger' });
    expect(choice.notice).toBe('CDKTF_KEYFACTOR_LEDGER_DIR keeps the ledger in /builds/keyfactor-ledger, off the stack\'s s3 backend, which could keep it with the ' +
      'state for later pipelines and teammates: unset CDKTF_KEYFACTOR_LEDGER_DIR, then move that directory in with `npx cdktf-keyfactor ledger copy --from ' +
      '/builds/keyfactor-ledger` (or set CDKTF_KEYFACTOR_LEDGER to keep a directory on purpose).');
    // A directory named on purpose, or a backend with no place: no warning.
    expect(chooseLedger({ CDKTF_KEYFACTOR_LEDGER: '/builds/keyfactor-ledger' }, dir).notice).toBeUndefined();
    expect(chooseLedger({ CDKTF_KEYFACTOR_LEDGER_DIR: '/builds/keyfactor-ledger' }, stackDir({ type: 'local', config: {} })).notice).toBeUndefined();
  });

  test('TF_DATA_DIR moves what init recorded, as for terraform', () => {
    const dir = stackDir(S3_BACKEND, 'data');
    expect(chooseLedger({}, dir).location.type).toBe('directory');
    expect(chooseLedger({ TF_DATA_DIR: 'data' }, dir).location.type).toBe('s3');
  });

  test('the stack\'s choice at synth wins over the backend; CDKTF_KEYFACTOR_LEDGER wins over both', () => {
    const dir = stackDir(S3_BACKEND);
    const chosen = { CDKTF_KEYFACTOR_STACK_LEDGER: 'postgres://db/?schema=public&table=keyfactor_ledger' };
    expect(chooseLedger(chosen, dir)).toMatchObject({ location: { type: 'postgres', host: 'db' }, source: 'KeyfactorDefaults (ledger)' });
    const relativeDir = { CDKTF_KEYFACTOR_STACK_LEDGER: '../../../ledger' };
    expect(chooseLedger(relativeDir, dir).location).toEqual({ type: 'directory', path: path.resolve(dir, '../../../ledger') });
    expect(chooseLedger({ ...chosen, CDKTF_KEYFACTOR_LEDGER: 'azblob://acct/ct1/pre/fix?endpoint=http://127.0.0.1:10000/devstoreaccount1' }, dir)).toMatchObject({
      location: { type: 'azure-blob', account: 'acct', container: 'ct1', prefix: 'pre/fix', endpoint: 'http://127.0.0.1:10000/devstoreaccount1' },
      source: 'CDKTF_KEYFACTOR_LEDGER',
    });
    expect(chooseLedger({ ...chosen, CDKTF_KEYFACTOR_LEDGER_DIR: '/srv/ledger' }, dir).location).toEqual({ type: 'directory', path: '/srv/ledger' });
  });

  test('CDKTF_KEYFACTOR_LEDGER: each URL form, and every mistake a clear error naming the variable and the forms', () => {
    const dir = stackDir();
    const at = (url: string) => chooseLedger({ CDKTF_KEYFACTOR_LEDGER: url }, dir);
    expect(at('s3://bucket-1/a/b/?region=eu-west-1&endpoint=http://127.0.0.1:9000&use_path_style=true').location)
      .toEqual({ type: 's3', bucket: 'bucket-1', prefix: 'a/b', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000', usePathStyle: true, profile: undefined });
    expect(at('postgresql://ci:secret@db:5433/tf?schema=ledger&table=runs&sslmode=verify-full')).toMatchObject({
      location: { type: 'postgres', host: 'db', port: 5433, database: 'tf', user: 'ci', schema: 'ledger', table: 'runs', sslMode: 'verify-full' },
      credentials: { password: 'secret' },
    });
    expect(at('file:///srv/ledger').location).toEqual({ type: 'directory', path: '/srv/ledger' });
    expect(at('/srv/ledger').location).toEqual({ type: 'directory', path: '/srv/ledger' });
    expect(() => at('ledger')).toThrow(/^CDKTF_KEYFACTOR_LEDGER must be an absolute directory or a URL .*; it is neither\. Forms: an absolute directory; s3:\/\/bucket\/prefix/);
    // A connection string put there by mistake is not echoed.
    expect(() => at('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=s3cr3t-key')).not.toThrow(/s3cr3t/);
    expect(() => at('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=s3cr3t-key')).toThrow(/it is neither/);
    expect(() => at('gs://b/p')).toThrow('CDKTF_KEYFACTOR_LEDGER: "gs://" is not a ledger store.');
    expect(() => at('s3://b/p?regoin=eu-west-1')).toThrow('CDKTF_KEYFACTOR_LEDGER: s3:// ledger URL: unknown parameter "regoin" (known: region, endpoint, use_path_style, profile).');
    expect(() => at('s3://AKIA:secret@bucket/p')).toThrow(/an s3:\/\/ ledger URL holds no credentials/);
    expect(() => at('s3://B_/p')).toThrow(/the ledger named by CDKTF_KEYFACTOR_LEDGER is not valid: bucket must be an S3 bucket name/);
    expect(() => at('postgres://db/tf?table=drop;table')).toThrow(/table must be a plain SQL name/);
    expect(() => chooseLedger({ CDKTF_KEYFACTOR_LEDGER: '/a', CDKTF_KEYFACTOR_LEDGER_DIR: '/b' }, dir))
      .toThrow('both CDKTF_KEYFACTOR_LEDGER and CDKTF_KEYFACTOR_LEDGER_DIR are set, to different ledgers: set CDKTF_KEYFACTOR_LEDGER only.');
  });

  test('a stack choice the runner cannot read names where it came from', () => {
    const dir = stackDir();
    expect(() => chooseLedger({ CDKTF_KEYFACTOR_STACK_LEDGER: 'ftp://x/y' }, dir))
      .toThrow('CDKTF_KEYFACTOR_STACK_LEDGER (set by the carrier from KeyfactorDefaults\' ledger): "ftp://" is not a ledger store.');
  });

  test('a location written as a URL (how a stack\'s choice travels) reads back as the same location, for every store and optional field', () => {
    const locations: LedgerLocation[] = [
      { type: 's3', bucket: 'platform-state', prefix: '' },
      { type: 's3', bucket: 'b.x-1', prefix: 'a b/c?d#e&f', region: 'eu-west-1', endpoint: 'https://minio.internal:9000/base', usePathStyle: true, profile: 'ci' },
      { type: 'azure-blob', account: 'acct', container: 'ct1', prefix: 'kf/prod env' },
      { type: 'azure-blob', account: 'devstoreaccount1', container: 'ledger', prefix: '', endpoint: 'http://127.0.0.1:10000/devstoreaccount1' },
      { type: 'postgres', schema: 'public', table: 'keyfactor_ledger' },
      { type: 'postgres', host: 'db.internal', port: 6432, database: 'tf state', user: 'c i@x', schema: 's1', table: 't_1', sslMode: 'verify-full' },
      { type: 'postgres', user: 'ci', port: 5433, database: 'tf', schema: 'public', table: 'keyfactor_ledger' },
      { type: 'postgres', host: '::1', schema: 'public', table: 'keyfactor_ledger' },
    ];
    for (const l of locations) {
      const read = chooseLedger({ CDKTF_KEYFACTOR_STACK_LEDGER: locationUrl(l) }, stackDir()).location;
      expect(JSON.parse(JSON.stringify(read))).toEqual(l);
    }
  });

  test('what init recorded, unreadable: an error naming the file', () => {
    const dir = stackDir();
    fs.mkdirSync(path.join(dir, '.terraform'));
    fs.writeFileSync(path.join(dir, '.terraform', 'terraform.tfstate'), '{');
    expect(() => chooseLedger({}, dir)).toThrow(/terraform\.tfstate is not JSON: run `terraform init` again/);
  });
});

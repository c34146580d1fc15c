import * as path from 'path';
import { DEFAULT_LEDGER_DIRECTORY, LEDGER_ENV, LEDGER_LOCATION_ENV } from './contract/environment';
import {
  DEFAULT_LEDGER_PREFIX, DEFAULT_LEDGER_SCHEMA, DEFAULT_LEDGER_TABLE, describeLocation, LedgerLocation, locationProblems,
} from './contract/ledger-location';
import type { LedgerRecord } from './contract/ledger-record';
import { readLedgerDir, warnUnreadable } from './runtime/ledger';
import { isTerraformValue } from './synth/expression';
import type { Validator } from './synth/validation';

/** Where an S3 ledger is: `Ledger.s3({ bucket: 'platform-state', prefix: 'keyfactor/prod' })`. */
export interface S3LedgerProps {
  /** The bucket. */
  readonly bucket: string;
  /**
   * Prefix of the ledger's objects (one per record).
   * @default "keyfactor-ledger"
   */
  readonly prefix?: string;
  /**
   * The bucket's region.
   * @default - AWS_REGION or AWS_DEFAULT_REGION at apply time, else the profile's region
   */
  readonly region?: string;
  /**
   * An S3-compatible endpoint, e.g. `https://minio.example.com:9000`.
   * @default - AWS's endpoint for the region (or AWS_ENDPOINT_URL_S3 at apply time)
   */
  readonly endpoint?: string;
  /**
   * Path-style requests (`https://endpoint/bucket/key`), as most S3-compatible servers need.
   * @default false
   */
  readonly usePathStyle?: boolean;
  /**
   * A profile of the shared AWS config and credentials files.
   * @default - AWS_PROFILE, else the standard credential chain
   */
  readonly profile?: string;
}

/** Where an Azure Blob Storage ledger is: `Ledger.azureBlob({ accountName: 'platformstate', containerName: 'tfstate' })`. */
export interface AzureBlobLedgerProps {
  /** The storage account. */
  readonly accountName: string;
  /** The container. */
  readonly containerName: string;
  /**
   * Prefix of the ledger's blobs (one per record).
   * @default "keyfactor-ledger"
   */
  readonly prefix?: string;
  /**
   * The account's blob endpoint, e.g. `http://127.0.0.1:10000/devstoreaccount1` (Azurite) or a sovereign cloud's.
   * @default "https://<accountName>.blob.core.windows.net"
   */
  readonly endpoint?: string;
}

/**
 * Where a PostgreSQL ledger is: `Ledger.postgres({ host: 'db.internal', database: 'terraform' })`.
 * Unset connection fields come from libpq's variables at apply time (PGHOST, PGPORT, PGDATABASE,
 * PGUSER, PGSSLMODE); the password only from PGPASSWORD or ~/.pgpass.
 */
export interface PostgresLedgerProps {
  /**
   * Server host name or address.
   * @default - PGHOST, else localhost
   */
  readonly host?: string;
  /**
   * Server port.
   * @default - PGPORT, else 5432
   */
  readonly port?: number;
  /**
   * Database.
   * @default - PGDATABASE, else the user name
   */
  readonly database?: string;
  /**
   * User.
   * @default - PGUSER, else the operating system user
   */
  readonly user?: string;
  /**
   * Schema of the ledger's table (created if missing, as Terraform's pg backend creates its own).
   * @default "public"
   */
  readonly schema?: string;
  /**
   * The ledger's table (created if missing): one row per record.
   * @default "keyfactor_ledger"
   */
  readonly table?: string;
  /**
   * libpq's sslmode: `disable`, `prefer`, `require`, `verify-ca` or `verify-full`.
   * @default - PGSSLMODE, else `prefer`
   */
  readonly sslMode?: string;
}

/**
 * The ledger: what the runner did for each operation (job GUIDs, stores, outcome), kept where a
 * stack chooses, and read back with `Ledger.read()` or `npx cdktf-keyfactor outputs`.
 *
 * By default it follows the stack's Terraform backend (an `s3`, `azurerm` or `pg` backend keeps it
 * beside the state; a local state keeps it in `.keyfactor-ledger`). Choose another place with
 * `new KeyfactorDefaults(stack, 'KeyfactorDefaults', { ledger: Ledger.s3({ bucket: 'b' }) })`, or at
 * apply time with `CDKTF_KEYFACTOR_LEDGER` (a URL or a directory), which wins. No credential is
 * synthesized: each store takes them from the environment and its cloud's standard chain.
 */
export class Ledger {
  /**
   * A directory on the machine that runs the apply (or a volume it mounts).
   * @param directory relative to where `cdktf synth` runs, or absolute
   */
  public static directory(directory: string): Ledger {
    return new Ledger({ type: 'directory', path: directory });
  }

  /** An S3 bucket, or an S3-compatible server's. */
  public static s3(props: S3LedgerProps): Ledger {
    return new Ledger({
      type: 's3',
      bucket: props.bucket,
      prefix: props.prefix ?? DEFAULT_LEDGER_PREFIX,
      region: props.region,
      endpoint: props.endpoint,
      usePathStyle: props.usePathStyle,
      profile: props.profile,
    });
  }

  /** An Azure Blob Storage container. */
  public static azureBlob(props: AzureBlobLedgerProps): Ledger {
    return new Ledger({ type: 'azure-blob', account: props.accountName, container: props.containerName, prefix: props.prefix ?? DEFAULT_LEDGER_PREFIX, endpoint: props.endpoint });
  }

  /** A PostgreSQL table. */
  public static postgres(props: PostgresLedgerProps = {}): Ledger {
    return new Ledger({
      type: 'postgres',
      host: props.host,
      port: props.port,
      database: props.database,
      user: props.user,
      schema: props.schema ?? DEFAULT_LEDGER_SCHEMA,
      table: props.table ?? DEFAULT_LEDGER_TABLE,
      sslMode: props.sslMode,
    });
  }

  /**
   * The ledger directory a reader uses by default: `CDKTF_KEYFACTOR_LEDGER` (or
   * `CDKTF_KEYFACTOR_LEDGER_DIR`) if it names a directory, else `.keyfactor-ledger` in the current
   * directory (where `cdktf synth` runs by default).
   */
  public static defaultDirectory(): string {
    for (const name of [LEDGER_LOCATION_ENV, LEDGER_ENV]) {
      const value = process.env[name]?.trim();
      if (value && path.isAbsolute(value)) return value;
    }
    return path.resolve(DEFAULT_LEDGER_DIRECTORY);
  }

  /**
   * Every record of a ledger directory, oldest first. A file that is not a readable record is
   * skipped, with a warning naming it on stderr. For a ledger in S3, Azure Blob or PostgreSQL,
   * use `npx cdktf-keyfactor outputs --json`.
   * @param directory the ledger directory; defaults to `Ledger.defaultDirectory()`
   */
  public static read(directory?: string): LedgerRecord[] {
    return readLedgerDir(directory ?? Ledger.defaultDirectory(), { onUnreadable: warnUnreadable });
  }

  private constructor(private readonly location: LedgerLocation) {}

  /** Where this ledger is, in one line (never a credential). */
  public describe(): string {
    return describeLocation(this.location);
  }

  /**
   * The location, checked: a value only Terraform knows is refused, because the destroy-time
   * provisioners that read it may refer to nothing but their own resource.
   * @internal
   */
  public _render(v: Validator, field: string): LedgerLocation | undefined {
    const l = this.location as unknown as Record<string, unknown>;
    let ok = true;
    for (const [name, value] of Object.entries(l)) {
      if (value === undefined || !isTerraformValue(value)) continue;
      ok = false;
      v.fail(`${field}.${PROP_NAMES[name] ?? name}`, 'must be known at synth, not a Terraform reference or template: Terraform lets the destroy-time steps ' +
        `that read it refer to nothing but their own resource. To choose the ledger from such a value, set ${LEDGER_LOCATION_ENV} at apply time`);
    }
    if (!ok) return undefined;
    const problems = locationProblems(this.location);
    for (const p of problems) {
      const [name, ...rest] = p.split(' ');
      v.fail(`${field}.${PROP_NAMES[name] ?? name}`, rest.join(' '));
    }
    return problems.length ? undefined : this.location;
  }
}

/** Location fields by the prop that sets them, for messages. */
const PROP_NAMES: Record<string, string> = { account: 'accountName', container: 'containerName', path: 'directory' };

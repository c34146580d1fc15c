/**
 * A real Azurite blob service for the Azure Blob ledger store's tests: a child process on a free
 * loopback port, in memory, in its own temporary directory (it writes files into its working
 * directory).
 */
import * as path from 'path';
import { startChildServer } from './child';

/** Azurite's well-known development account and key. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  readonly port: number;
  /** The account's blob endpoint, e.g. `http://127.0.0.1:41234/devstoreaccount1`. */
  readonly endpoint: string;
  readonly account: string;
  readonly key: string;
  /** An account-key connection string naming the endpoint. */
  readonly connectionString: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<Azurite> {
  const server = await startChildServer({
    name: 'Azurite',
    script: path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js'),
    // --disableTelemetry: no calls to Application Insights; --skipApiVersionCheck: the SDK sends a newer
    // x-ms-version than Azurite 3.35 knows. (--location cannot go with --inMemoryPersistence: the cwd does.)
    args: () => ['--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--silent', '--disableTelemetry', '--skipApiVersionCheck'],
    ready: /Azurite Blob service successfully listens on (http:\/\/\S+)/,
  });
  const url = server.match[1];
  const endpoint = `${url.replace(/\/+$/, '')}/${AZURITE_ACCOUNT}`;
  return {
    port: Number(new URL(url).port),
    endpoint,
    account: AZURITE_ACCOUNT,
    key: AZURITE_KEY,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`,
    pid: server.pid,
    stop: server.stop,
  };
}

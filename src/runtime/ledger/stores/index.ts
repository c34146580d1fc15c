/**
 * The shared ledger stores. Adding one (GCS, ...) is a folder here with its configuration half
 * (config.ts) and its client (client.ts, bundled with its SDK as `ledger-<type>.cjs` by
 * build-tools/bundle-runner.mjs), its line below, its location type in contract/ledger-location.ts,
 * and its factory on `Ledger`.
 */
import { azureBlobConfiguration } from './azure-blob/config';
import type { StoreConfiguration } from './configuration';
import { postgresConfiguration } from './postgres/config';
import { s3Configuration } from './s3/config';

export const STORES: readonly StoreConfiguration<any>[] = [s3Configuration, azureBlobConfiguration, postgresConfiguration];

export type { Credentials, Placed, StoreConfiguration } from './configuration';

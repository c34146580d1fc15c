/**
 * Azure Blob Storage: `azblob://account/container/prefix`, or the stack's `azurerm` backend (same
 * storage account and container, the state key plus `.keyfactor-ledger`, the backend's access
 * key, SAS token or Entra ID identity). Otherwise credentials come from the environment:
 * AZURE_STORAGE_CONNECTION_STRING, an account key (AZURE_STORAGE_KEY or ARM_ACCESS_KEY), a SAS
 * token (AZURE_STORAGE_SAS_TOKEN or ARM_SAS_TOKEN), else Entra ID (DefaultAzureCredential).
 */
import { AzureBlobLocation, BACKEND_LEDGER_SUFFIX } from '../../../../contract/ledger-location';
import { flag, Placed, prefixOf, setting, StoreConfiguration, urlParameters, variable } from '../configuration';

/** The blob endpoint suffix of each Azure cloud the azurerm backend's `environment` names. */
const CLOUDS: Record<string, string> = {
  public: 'blob.core.windows.net',
  china: 'blob.core.chinacloudapi.cn',
  usgovernment: 'blob.core.usgovcloudapi.net',
};

export const azureBlobConfiguration: StoreConfiguration<AzureBlobLocation> = {
  type: 'azure-blob',
  schemes: ['azblob'],
  example: 'azblob://account/container/prefix (also endpoint=http://127.0.0.1:10000/devstoreaccount1 for Azurite)',
  backend: 'azurerm',

  fromUrl(url) {
    const p = urlParameters(url, ['endpoint'], 'azblob:// ledger URL');
    if (url.username || url.password) throw new Error('an azblob:// ledger URL holds no credentials: they come from the environment (AZURE_STORAGE_KEY, a SAS token, Entra ID)');
    const [container, ...rest] = decodeURIComponent(url.pathname).replace(/^\/+/, '').split('/');
    return {
      location: { type: 'azure-blob', account: url.hostname, container, prefix: prefixOf(rest.join('/')), endpoint: p.endpoint },
      credentials: {},
    };
  },

  fromBackend(config, env): Placed<AzureBlobLocation> {
    const account = setting(config, 'storage_account_name');
    const container = setting(config, 'container_name');
    const key = setting(config, 'key');
    if (!account || !container || !key) throw new Error('the azurerm backend configuration has no storage_account_name, container_name or key');
    const cloud = (setting(config, 'environment') ?? variable(env, 'ARM_ENVIRONMENT') ?? 'public').toLowerCase();
    if (!CLOUDS[cloud]) throw new Error(`the azurerm backend's environment "${cloud}" is not one the ledger knows (${Object.keys(CLOUDS).join(', ')}); name the store with CDKTF_KEYFACTOR_LEDGER=azblob://...?endpoint=`);
    return {
      location: { type: 'azure-blob', account, container, prefix: key.replace(/^\/+/, '') + BACKEND_LEDGER_SUFFIX, endpoint: `https://${account}.${CLOUDS[cloud]}` },
      credentials: {
        accessKey: setting(config, 'access_key') ?? variable(env, 'ARM_ACCESS_KEY'),
        sasToken: setting(config, 'sas_token') ?? variable(env, 'ARM_SAS_TOKEN'),
        clientId: setting(config, 'client_id') ?? variable(env, 'ARM_CLIENT_ID'),
        clientSecret: setting(config, 'client_secret') ?? variable(env, 'ARM_CLIENT_SECRET'),
        tenantId: setting(config, 'tenant_id') ?? variable(env, 'ARM_TENANT_ID'),
        useMsi: String(flag(config, 'use_msi') ?? variable(env, 'ARM_USE_MSI') === 'true'),
        // use_oidc, use_azuread_auth: Entra ID as DefaultAzureCredential finds it (AZURE_*); GitHub's OIDC token request is not read.
      },
    };
  },
};

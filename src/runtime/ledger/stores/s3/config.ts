/**
 * Amazon S3 (and S3-compatible servers): `s3://bucket/prefix`, or the stack's `s3` backend (same
 * bucket, the state key plus `.keyfactor-ledger`, the backend's region, endpoint and credentials).
 * Credentials otherwise come from the AWS SDK's standard chain (environment, profile, SSO, web
 * identity, container and instance roles), as the backend's do.
 */
import { BACKEND_LEDGER_SUFFIX, S3Location } from '../../../../contract/ledger-location';
import { flag, Placed, prefixOf, setting, StoreConfiguration, truthy, urlParameters, variable } from '../configuration';

export const s3Configuration: StoreConfiguration<S3Location> = {
  type: 's3',
  schemes: ['s3'],
  example: 's3://bucket/prefix?region=eu-west-1 (also endpoint=https://host:port, use_path_style=true, profile=name)',
  backend: 's3',

  fromUrl(url, env) {
    const p = urlParameters(url, ['region', 'endpoint', 'use_path_style', 'profile'], 's3:// ledger URL');
    if (url.username || url.password) throw new Error('an s3:// ledger URL holds no credentials: they come from the AWS credential chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...)');
    return {
      location: {
        type: 's3',
        bucket: url.hostname,
        prefix: prefixOf(url.pathname),
        region: p.region ?? regionFromEnv(env),
        endpoint: p.endpoint ?? endpointFromEnv(env),
        usePathStyle: truthy(p.use_path_style),
        profile: p.profile,
      },
      credentials: {},
    };
  },

  fromBackend(config, env): Placed<S3Location> {
    const bucket = setting(config, 'bucket');
    const key = setting(config, 'key');
    if (!bucket || !key) throw new Error('the s3 backend configuration has no bucket or key');
    const endpoints = config.endpoints && typeof config.endpoints === 'object' ? config.endpoints as Record<string, unknown> : {};
    const assumeRole = config.assume_role && typeof config.assume_role === 'object' ? config.assume_role as Record<string, unknown> : {};
    return {
      location: {
        type: 's3',
        bucket,
        prefix: key.replace(/^\/+/, '') + BACKEND_LEDGER_SUFFIX,
        region: setting(config, 'region') ?? regionFromEnv(env),
        endpoint: setting(endpoints, 's3') ?? setting(config, 'endpoint') ?? endpointFromEnv(env),
        usePathStyle: flag(config, 'use_path_style') ?? flag(config, 'force_path_style'),
        profile: setting(config, 'profile'),
      },
      credentials: {
        accessKeyId: setting(config, 'access_key'),
        secretAccessKey: setting(config, 'secret_key'),
        sessionToken: setting(config, 'token'),
        roleArn: setting(assumeRole, 'role_arn') ?? setting(config, 'role_arn'),
        externalId: setting(assumeRole, 'external_id') ?? setting(config, 'external_id'),
        roleSessionName: setting(assumeRole, 'session_name') ?? setting(config, 'session_name'),
      },
    };
  },
};

function regionFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return variable(env, 'AWS_REGION') ?? variable(env, 'AWS_DEFAULT_REGION');
}

/** The variables Terraform's s3 backend and the AWS SDKs read for a custom endpoint. */
function endpointFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return variable(env, 'AWS_ENDPOINT_URL_S3') ?? variable(env, 'AWS_ENDPOINT_URL');
}

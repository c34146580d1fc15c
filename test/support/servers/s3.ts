/**
 * A real S3-compatible server for tests: s3rver (a devDependency), in its own node process on a
 * free loopback port, its data in a fresh directory. It knows one access key id, `S3RVER` (any
 * secret: it does not check signatures), so refused credentials are an unknown key id. Its PUT
 * is patched to be atomic, as S3's is (s3rver-atomic-put.js).
 */
import { startChildServer } from './child';

export const S3RVER_ACCESS_KEY_ID = 'S3RVER';

export interface S3Server {
  /** e.g. `http://127.0.0.1:40123`; needs path-style requests. */
  readonly endpoint: string;
  readonly port: number;
  /** Safe to call twice; leaves no process behind. */
  stop(): Promise<void>;
}

export async function startS3Server(buckets: readonly string[]): Promise<S3Server> {
  const server = await startChildServer({
    name: 's3rver',
    script: require.resolve('s3rver/bin/s3rver.js'),
    // Without it, node 17+ cannot make the MD5-based continuation tokens of a truncated listing (500).
    // And its PUT made atomic, as S3's is (see the file).
    nodeFlags: ['--openssl-legacy-provider', '--require', require.resolve('./s3rver-atomic-put.js')],
    args: (dir) => ['-d', dir, '-a', '127.0.0.1', '-p', '0', '--silent', ...buckets.flatMap((b) => ['--configure-bucket', b])],
    // Printed even with --silent.
    ready: /S3rver listening on 127\.0\.0\.1:(\d+)/,
  });
  const port = Number(server.match[1]);
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: server.stop };
}

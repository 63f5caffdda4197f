import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalS3 {
  /** For S3 clients with path-style addressing (`forcePathStyle: true`). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

export interface S3Options {
  /** Where objects persist between runs; a temporary folder, removed on stop, when absent. */
  dataDir?: string;
  buckets: string[];
}

/** The part of s3rver's API used here; the package ships no types. */
interface S3rver {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverOptions = {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  vhostBuckets: boolean;
  configureBuckets: Array<{ name: string; configs: string[] }>;
};
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: S3rverOptions) => S3rver;

/** Browsers upload straight to storage from the app's origin, so they must be able to PUT and read the ETag back. */
const ANY_ORIGIN_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>DELETE</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

/**
 * s3rver, an S3 look-alike that keeps objects as files. It accepts any request signed with its
 * well-known key pair (S3RVER/S3RVER) without checking SigV4 signatures.
 */
export async function startS3(options: S3Options): Promise<LocalS3> {
  const directory = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'kc-s3-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    // Every request names its bucket in the path; a host name (e.g. from inside a container) is never a bucket.
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [ANY_ORIGIN_CORS] })),
  });
  const removeTemporary = async () => {
    if (!options.dataDir) await rm(directory, { recursive: true, force: true });
  };
  const address = await server.run().catch(async (error: unknown) => {
    await removeTemporary();
    throw error;
  });

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop() {
      stopped ??= server.close().then(removeTemporary);
      return stopped;
    },
  };
}

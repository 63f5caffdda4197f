import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

export interface LocalS3 {
  /** For S3 clients with path-style addressing (`forcePathStyle: true`). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
  /** Outage drill: closes the server and cuts its open connections, so clients are refused on its port. */
  kill(): Promise<void>;
  /** Serves again on the same port over the same stored objects (killing first if still serving). */
  restart(): Promise<void>;
}

export interface S3Options {
  /** Where objects persist between runs; a temporary folder, removed on stop, when absent. */
  dataDir?: string;
  buckets: string[];
}

/** The part of s3rver's API used here (a Koa app with a file store); the package ships no types. */
interface S3rver {
  configureBuckets(): Promise<unknown>;
  /** Koa's request handler. */
  callback(): RequestListener;
  middleware: KoaMiddleware[];
  store: { getResourcePath(bucket: string, key: undefined, resource: string): string };
}
interface KoaContext {
  req: NodeJS.ReadableStream;
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
type S3rverOptions = {
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
  const app = new S3rver({
    silent: true,
    directory,
    // Every request names its bucket in the path; a host name (e.g. from inside a container) is never a bucket.
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [ANY_ORIGIN_CORS] })),
  });
  // Ahead of s3rver's own routes, which answer these two with 405.
  app.middleware.unshift(multipartExtras(app));
  const removeTemporary = async () => {
    if (!options.dataDir) await rm(directory, { recursive: true, force: true });
  };
  let server: Server | undefined = await app
    .configureBuckets()
    .then(() => listen(app, 0))
    .catch(async (error: unknown) => {
      await removeTemporary();
      throw error;
    });
  const { port } = server.address() as AddressInfo;

  const kill = async () => {
    const closing = server;
    server = undefined;
    if (closing) await close(closing);
  };
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop() {
      // The temporary folder outlives kill() and restart(): only stop() ends the run's objects.
      stopped ??= kill().then(removeTemporary);
      return stopped;
    },
    kill,
    async restart() {
      await kill();
      server = await listen(app, port);
    },
  };
}

/**
 * The HTTP server in front of s3rver is ours rather than its run()/close(): those leave a failed
 * listen (a taken port) unreported, and close() ends s3rver's logger, so it could not serve again.
 */
function listen(app: S3rver, port: number): Promise<Server> {
  const server = createServer(app.callback());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Closes at once, as a crashed server would: requests in flight and kept-alive connections are cut, not awaited. */
async function close(server: Server): Promise<void> {
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeAllConnections();
  await closed;
}

const xmlEscape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function s3Error(ctx: KoaContext, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`;
}

/** The part of an upload in progress that s3rver has received in full: its MD5 is written last. */
const storedPartMd5 = (uploadDir: string, n: number) => readFile(join(uploadDir, `${n}.md5`), 'utf8').then((md5) => md5.trim(), () => undefined);

/**
 * CompleteMultipartUpload naming parts as S3 checks them: each one stored, with its ETag, in
 * ascending order. s3rver 3.7.1 opens a missing part's file without a listener for the error and
 * takes the whole process down; S3 answers InvalidPart or InvalidPartOrder.
 */
async function checkCompletion(ctx: KoaContext, uploadDir: string): Promise<boolean> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(Buffer.from(chunk));
  const xml = Buffer.concat(chunks);
  // s3rver reads the body itself next.
  ctx.req = Readable.from([xml]);
  const parts = [...xml.toString('utf8').matchAll(/<Part>(.*?)<\/Part>/gs)].map(([, part = '']) => ({
    number: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(part)?.[1]),
    etag: (/<ETag>(.*?)<\/ETag>/s.exec(part)?.[1] ?? '').replace(/&quot;|&#34;|"/g, '').trim(),
  }));
  if (parts.some((part, i) => i > 0 && part.number <= (parts[i - 1]?.number ?? 0))) {
    s3Error(ctx, 400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
    return false;
  }
  for (const part of parts) {
    if (!Number.isInteger(part.number) || (await storedPartMd5(uploadDir, part.number)) !== part.etag) {
      s3Error(ctx, 400, 'InvalidPart', `Part ${part.number} was not uploaded, or its ETag does not match.`);
      return false;
    }
  }
  return true;
}

/**
 * ListParts and AbortMultipartUpload, which s3rver 3.7.1 lacks and R2/S3 have, and the part
 * checks of CompleteMultipartUpload: read from and remove s3rver's own folder of an upload in
 * progress (`<bucket>/<uploads>/<uploadId>/`, holding the key, and each part as `<n>` with its MD5
 * beside it as `<n>.md5`).
 */
function multipartExtras(server: S3rver): KoaMiddleware {
  return async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    const [, bucket = '', ...keyParts] = ctx.path.split('/');
    const key = keyParts.map(decodeURIComponent).join('/');
    if (typeof uploadId !== 'string' || !/^[\w-]+$/.test(uploadId) || !bucket || !key || !['GET', 'DELETE', 'POST'].includes(ctx.method)) return next();
    const uploadDir = join(server.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    const uploadKey = await readFile(join(uploadDir, 'key'), 'utf8').catch(() => undefined);
    if (uploadKey !== key) return s3Error(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    if (ctx.method === 'POST') return (await checkCompletion(ctx, uploadDir)) ? next() : undefined;
    if (ctx.method === 'DELETE') {
      await rm(uploadDir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    const marker = Number(ctx.query['part-number-marker'] ?? 0);
    const maxParts = Math.min(Number(ctx.query['max-parts'] ?? 1000), 1000);
    const numbers = (await readdir(uploadDir))
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((n) => n > marker)
      .sort((a, b) => a - b);
    const page = numbers.slice(0, maxParts);
    const parts = await Promise.all(
      page.map(async (n) => {
        // s3rver writes the MD5 once a part's body has arrived in full: a part without one is still
        // arriving, or was cut off (the browser reloaded mid-upload), and is not stored in S3's terms.
        const md5 = await storedPartMd5(uploadDir, n);
        if (md5 === undefined) return '';
        const info = await stat(join(uploadDir, String(n)));
        return `<Part><PartNumber>${n}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${md5}"</ETag><Size>${info.size}</Size></Part>`;
      }),
    );
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = [
      '<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(uploadId)}</UploadId>`,
      `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${page.at(-1) ?? marker}</NextPartNumberMarker>`,
      `<MaxParts>${maxParts}</MaxParts><IsTruncated>${numbers.length > page.length}</IsTruncated>`,
      ...parts,
      '</ListPartsResult>',
    ].join('');
  };
}

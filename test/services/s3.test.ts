import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  S3Client} from '@aws-sdk/client-s3';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  NoSuchKey,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3 } from '../../scripts/services/s3.ts';
import type { LocalS3 } from '../../scripts/services/s3.ts';
import { storageAt } from '../../workers/lib/storage.ts';

const MiB = 1024 * 1024;
const bucket = 'uploads';
const appOrigin = 'http://localhost:8787';

/** The client the Workers use, pointed at the local server. */
function clientFor(s3: LocalS3): S3Client {
  return storageAt({ ...s3, bucket }).s3;
}

describe('local S3 (s3rver)', () => {
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3({ buckets: [bucket, 'renditions'] });
    client = clientFor(s3);
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  it('puts, reads, lists and deletes an object', async () => {
    const Key = 'videos/42/source.txt';
    await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'lesson one', ContentType: 'text/plain' }));

    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
    expect(await got.Body!.transformToString()).toBe('lesson one');
    expect(got.ContentType).toBe('text/plain');

    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
    expect(head.ContentLength).toBe('lesson one'.length);

    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'videos/42/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual([Key]);

    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    const after = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'videos/42/' }));
    expect(after.Contents ?? []).toEqual([]);
  });

  it('answers NoSuchKey for a missing object', async () => {
    await expect(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'nothing/here' }))).rejects.toBeInstanceOf(NoSuchKey);
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'nothing/here' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('assembles a multipart upload', async () => {
    const Key = 'videos/43/source.mp4';
    const first = Buffer.alloc(5 * MiB, 1);
    const last = Buffer.alloc(MiB + 7, 2);
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key, ContentType: 'video/mp4' }));
    const parts = [];
    for (const [index, Body] of [first, last].entries()) {
      const PartNumber = index + 1;
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber, Body }));
      expect(ETag).toBeTruthy();
      parts.push({ ETag, PartNumber });
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));

    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
    expect(head.ContentLength).toBe(first.length + last.length);
    const bytes = await (await client.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToByteArray();
    expect(Buffer.from(bytes).equals(Buffer.concat([first, last]))).toBe(true);
  });

  // s3rver 3.7.1 opens a missing part's file without an error listener and crashes its process.
  it('refuses to complete an upload with parts it does not hold, out of order, or with the wrong ETag, as S3 does', async () => {
    const Key = 'videos/45/source.mp4';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: Buffer.alloc(MiB, 1) }));
    const complete = (Parts: Array<{ PartNumber: number; ETag: string | undefined }>) =>
      client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts } }));
    await expect(complete([{ PartNumber: 1, ETag }, { PartNumber: 4471, ETag: '"x"' }])).rejects.toMatchObject({ name: 'InvalidPart', $metadata: { httpStatusCode: 400 } });
    await expect(complete([{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }])).rejects.toMatchObject({ name: 'InvalidPart' });
    await expect(complete([{ PartNumber: 1, ETag }, { PartNumber: 1, ETag }])).rejects.toMatchObject({ name: 'InvalidPartOrder' });
    // Still serving, and the upload still completes with what it holds.
    await complete([{ PartNumber: 1, ETag }]);
    expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key }))).ContentLength).toBe(MiB);
  });

  // s3rver 3.7.1 answers both with 405: the launcher serves them from s3rver's own upload folder.
  it('lists the parts of an upload in progress, so it can resume, and aborts it', async () => {
    const Key = 'videos/44/source.mp4';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    const empty = await client.send(new ListPartsCommand({ Bucket: bucket, Key, UploadId }));
    expect(empty.Parts ?? []).toEqual([]);
    const uploaded = [];
    for (const PartNumber of [2, 1, 3]) {
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber, Body: Buffer.alloc(MiB + PartNumber, PartNumber) }));
      uploaded.push({ PartNumber, ETag, Size: MiB + PartNumber });
    }
    const listed = await client.send(new ListPartsCommand({ Bucket: bucket, Key, UploadId }));
    expect(listed.Parts?.map(({ PartNumber, ETag, Size }) => ({ PartNumber, ETag, Size }))).toEqual(uploaded.sort((a, b) => a.PartNumber - b.PartNumber));
    expect(listed.IsTruncated).toBe(false);
    const firstPage = await client.send(new ListPartsCommand({ Bucket: bucket, Key, UploadId, MaxParts: 2 }));
    expect(firstPage.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
    expect(firstPage.IsTruncated).toBe(true);
    const nextPage = await client.send(new ListPartsCommand({ Bucket: bucket, Key, UploadId, PartNumberMarker: firstPage.NextPartNumberMarker }));
    expect(nextPage.Parts?.map((p) => p.PartNumber)).toEqual([3]);
    await expect(client.send(new ListPartsCommand({ Bucket: bucket, Key: 'videos/other.mp4', UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });

    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
    await expect(client.send(new ListPartsCommand({ Bucket: bucket, Key, UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await expect(client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('accepts a presigned PUT from plain fetch', async () => {
    const Key = 'videos/45/source.mp4';
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key, ContentType: 'video/mp4' }), { expiresIn: 600 });
    const response = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'video/mp4' }, body: 'not really a video' });
    expect(response.status).toBe(200);

    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
    expect(got.ContentType).toBe('video/mp4');
    expect(await got.Body!.transformToString()).toBe('not really a video');
  });

  it('lets the app origin upload from a browser and read the ETag', async () => {
    const url = `${s3.endpoint}/${bucket}/videos/46/source.mp4`;
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: { Origin: appOrigin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');

    const upload = await fetch(url, { method: 'PUT', headers: { Origin: appOrigin, 'Content-Type': 'video/mp4' }, body: 'bytes' });
    expect(upload.status).toBe(200);
    expect(upload.headers.get('access-control-allow-origin')).toBe('*');
    expect(upload.headers.get('access-control-expose-headers')).toBe('ETag');
    expect(upload.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
  });

  // A drill for `npm run proof`: clients must see storage gone, then find their objects again.
  it('refuses connections after a kill and serves the same objects on the same port after a restart', async () => {
    const Key = 'drills/before.txt';
    await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'written before the outage' }));
    await s3.kill();

    expect(await newConnection(s3.endpoint)).toBe('ECONNREFUSED');
    const started = performance.now();
    // The client's kept-alive connection was cut too: its retries end on the refused port.
    await expect(client.send(new GetObjectCommand({ Bucket: bucket, Key }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(performance.now() - started).toBeLessThan(2_000);

    await s3.restart();
    const kept = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
    expect(await kept.Body!.transformToString()).toBe('written before the outage');
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'drills/after.txt', Body: 'written after' }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'drills/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['drills/after.txt', Key]);
  });

  it('cuts a request in flight when killed', async () => {
    const url = `${s3.endpoint}/${bucket}/drills/cut.bin`;
    // A body that never ends keeps the request open until the server goes.
    const body = new ReadableStream({ start: (controller) => controller.enqueue(new Uint8Array(1024)) });
    const upload = fetch(url, { method: 'PUT', body, duplex: 'half' } as RequestInit).then(
      (response) => `answered ${response.status}`,
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Resolves only if the kill does not wait for the request to finish.
    await s3.kill();
    expect(await upload).toBe('fetch failed');
    await s3.restart();
    expect((await fetch(`${s3.endpoint}/${bucket}/drills/before.txt`)).status).toBe(200);
  });

  it('stops twice without complaint', async () => {
    const extra = await startS3({ buckets: [] });
    await extra.stop();
    await expect(extra.stop()).resolves.toBeUndefined();
  });
});

describe('local S3 with a data directory', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kc-s3-data-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps objects across restarts, creating the folders it needs', async () => {
    const objects = join(dataDir, 'not', 'yet', 'there');
    const first = await startS3({ dataDir: objects, buckets: [bucket] });
    const writer = clientFor(first);
    await writer.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept.txt', Body: 'still here' }));
    writer.destroy();
    await first.stop();

    const second = await startS3({ dataDir: objects, buckets: [bucket] });
    const reader = clientFor(second);
    try {
      const got = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: 'kept.txt' }));
      expect(await got.Body!.transformToString()).toBe('still here');
    } finally {
      reader.destroy();
      await second.stop();
    }
  });
});

/** What a new connection to the server's port meets: 'connected', or the error's code. */
function newConnection(endpoint: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(endpoint).port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

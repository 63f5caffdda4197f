import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { Text } from '../catalog/schemas.ts';
import { VIDEO_TYPES } from '../../../contracts/media.ts';
import type { Storage } from '../../lib/storage.ts';
import type { UploadTarget } from './schemas.ts';

/** Browsers upload straight to storage: URLs live long enough to start, not long enough to share. */
export const UPLOAD_URL_SECONDS = 15 * 60;
/** Below this one PUT does; above it a multipart upload resumes after a page reload. */
export const SINGLE_PUT_MAX_BYTES = 100 * 1024 ** 2;
/** S3's limits: parts of 5 MiB to 5 GiB, at most 10,000 of them. */
const MIN_PART_BYTES = 5 * 1024 ** 2;
const PREFERRED_PART_BYTES = 16 * 1024 ** 2;
const MAX_PARTS = 10_000;

export const NewUpload = z.object({
  courseId: z.uuid(),
  lessonId: z.uuid().optional(),
  filename: Text(255).min(1, 'must not be empty'),
  sizeBytes: z.int().positive(),
  contentType: z.enum([...VIDEO_TYPES.keys()], { message: `must be a video type: ${[...VIDEO_TYPES.keys()].join(', ')}` }),
  /** A resumable multipart upload even for a small file. */
  multipart: z.boolean().default(false),
});
export type NewUpload = z.output<typeof NewUpload>;

export const PartNumbers = z.object({ partNumbers: z.array(z.int().min(1).max(MAX_PARTS)).min(1).max(100) });
export const CompletedParts = z.object({
  parts: z.array(z.object({ partNumber: z.int().min(1).max(MAX_PARTS), etag: z.string().min(1) })).max(MAX_PARTS).optional(),
});

export function sourceKey(videoId: string, contentType: string): string {
  return `raw/${videoId}/source.${VIDEO_TYPES.get(contentType) ?? 'bin'}`;
}

export function partSizeFor(sizeBytes: number): number {
  return Math.max(PREFERRED_PART_BYTES, MIN_PART_BYTES, Math.ceil(sizeBytes / MAX_PARTS));
}

const partCountFor = (sizeBytes: number) => Math.ceil(sizeBytes / partSizeFor(sizeBytes));

/** Parts 1..partCount, each once: a part past the announced size would park bytes beyond the limit. */
export function assertPartsOf(sizeBytes: number, partNumbers: number[], field: string): void {
  const partCount = partCountFor(sizeBytes);
  const outside = partNumbers.find((n) => n > partCount);
  if (outside !== undefined) throw new AppError('invalid_part_number', `This upload has parts 1 to ${partCount}; there is no part ${outside}.`, { field });
  if (new Set(partNumbers).size !== partNumbers.length) throw new AppError('invalid_part_number', 'Each part is named once.', { field });
}

/** A presigned PUT whose signature covers the content type and length, or a new multipart upload. */
export async function startUpload(storage: Storage, key: string, upload: NewUpload): Promise<{ target: UploadTarget; uploadId: string | null }> {
  if (!upload.multipart && upload.sizeBytes <= SINGLE_PUT_MAX_BYTES) {
    const command = new PutObjectCommand({ Bucket: storage.bucket, Key: key, ContentType: upload.contentType, ContentLength: upload.sizeBytes });
    const url = await getSignedUrl(storage.s3, command, { expiresIn: UPLOAD_URL_SECONDS, signableHeaders: new Set(['content-type', 'content-length']) });
    const headers = { 'content-type': upload.contentType };
    return { target: { mode: 'single', url, method: 'PUT', headers, expiresIn: UPLOAD_URL_SECONDS }, uploadId: null };
  }
  const created = await storage.s3.send(new CreateMultipartUploadCommand({ Bucket: storage.bucket, Key: key, ContentType: upload.contentType }));
  if (!created.UploadId) throw new Error('storage started a multipart upload without an upload id');
  const target = { mode: 'multipart', partSize: partSizeFor(upload.sizeBytes), partCount: partCountFor(upload.sizeBytes), expiresIn: UPLOAD_URL_SECONDS } as const;
  return { target, uploadId: created.UploadId };
}

export async function partUrls(storage: Storage, key: string, uploadId: string, partNumbers: number[]): Promise<Array<{ partNumber: number; url: string }>> {
  return Promise.all(
    partNumbers.map(async (partNumber) => ({
      partNumber,
      url: await getSignedUrl(storage.s3, new UploadPartCommand({ Bucket: storage.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }), { expiresIn: UPLOAD_URL_SECONDS }),
    })),
  );
}

/** The parts storage already has: what a reloaded page needs to resume. */
export async function uploadedParts(storage: Storage, key: string, uploadId: string): Promise<Array<{ partNumber: number; etag: string; size: number }>> {
  const parts: Array<{ partNumber: number; etag: string; size: number }> = [];
  let marker: string | undefined;
  do {
    const page = await storage.s3.send(new ListPartsCommand({ Bucket: storage.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }));
    for (const part of page.Parts ?? []) parts.push({ partNumber: part.PartNumber ?? 0, etag: part.ETag ?? '', size: part.Size ?? 0 });
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (marker);
  return parts;
}

/** Joins the parts (multipart), then checks the object is there with the announced size. */
export async function finishUpload(storage: Storage, key: string, uploadId: string | null, parts: Array<{ partNumber: number; etag: string }> | undefined, sizeBytes: number): Promise<void> {
  if (uploadId) {
    if (!parts?.length) throw new AppError('invalid_request', 'A multipart upload is completed with its parts: { parts: [{ partNumber, etag }] }.');
    assertPartsOf(sizeBytes, parts.map((part) => part.partNumber), 'parts');
    const Parts = [...parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag }));
    await storage.s3.send(new CompleteMultipartUploadCommand({ Bucket: storage.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts } })).catch((error: unknown) => {
      throw completionRefused(error);
    });
  }
  const head = await storage.s3.send(new HeadObjectCommand({ Bucket: storage.bucket, Key: key })).catch((error: unknown) => {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
    throw error;
  });
  if (!head) throw new AppError('upload_missing', 'Storage has no uploaded file for this video yet: upload it first.');
  if (head.ContentLength !== sizeBytes) {
    throw new AppError('upload_size_mismatch', `The uploaded file has ${head.ContentLength ?? 0} bytes, not the ${sizeBytes} announced.`);
  }
}

/** Storage's refusals of a completion are the caller's to fix; anything else stays a 5xx. */
function completionRefused(error: unknown): unknown {
  const name = (error as { name?: string }).name;
  if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') {
    return new AppError('invalid_parts', `Storage refused these parts (${name}): list the uploaded parts (GET …/parts) and send their part numbers and ETags.`, { field: 'parts' });
  }
  if (name === 'NoSuchUpload') return new AppError('upload_expired', 'Storage no longer has this multipart upload: cancel it and upload the file again.');
  return error;
}

export async function abortUpload(storage: Storage, key: string, uploadId: string | null): Promise<void> {
  if (uploadId) await storage.s3.send(new AbortMultipartUploadCommand({ Bucket: storage.bucket, Key: key, UploadId: uploadId }));
  await storage.s3.send(new DeleteObjectCommand({ Bucket: storage.bucket, Key: key }));
}

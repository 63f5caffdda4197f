import { S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import type { StorageLocation, StorageSettings } from './config.ts';

export interface Storage {
  s3: S3Client;
  bucket: string;
}

/**
 * A bucket through the S3 API: R2 where it has the jurisdiction, an in-country S3-compatible store
 * where it has not. Path-style and checksums only when required keep every S3-compatible server happy.
 */
export function storageAt(location: StorageLocation): Storage {
  const s3 = new S3Client({
    endpoint: location.endpoint,
    region: location.region,
    credentials: { accessKeyId: location.accessKeyId, secretAccessKey: location.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
  return { s3, bucket: location.bucket };
}

/** This jurisdiction's own bucket. */
export function openStorage(settings: z.output<typeof StorageSettings>): Storage {
  return storageAt({
    endpoint: settings.S3_ENDPOINT,
    region: settings.S3_REGION,
    bucket: settings.S3_BUCKET,
    accessKeyId: settings.S3_ACCESS_KEY_ID,
    secretAccessKey: settings.S3_SECRET_ACCESS_KEY,
  });
}

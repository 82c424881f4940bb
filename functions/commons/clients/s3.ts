import { S3Client } from '@aws-sdk/client-s3';

/** Path-style addressing is for a local S3 server, which answers on one host name. */
export function createS3Client(forcePathStyle: boolean): S3Client {
  return new S3Client({ forcePathStyle });
}

import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { withoutRequestLogging } from './request-logging';

/**
 * Path-style addressing is for a local S3 server, which answers on one host name. Checksums only where S3
 * requires them: an attachment is streamed from the parser's chunks with its length, and a flexible
 * checksum would turn that upload into aws-chunked encoding with a trailer (and a CRC pass over every
 * byte); TLS already protects the transfer.
 */
export function createS3Client(forcePathStyle: boolean, overrides: S3ClientConfig = {}): S3Client {
  const client = new S3Client({
    forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...overrides,
  });
  // A caller that passes its own logger wants the requests logged.
  return overrides.logger ? client : withoutRequestLogging(client);
}

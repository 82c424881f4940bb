import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';

/**
 * SDK clients. Endpoints come from the SDK's own `AWS_ENDPOINT_URL_<SERVICE>` variables, so the same code
 * talks to AWS or to the local stand-ins; only S3 needs path-style addressing for a local server.
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createS3Client(forcePathStyle: boolean): S3Client {
  return new S3Client({ forcePathStyle });
}

export function createSesClient(): SESClient {
  return new SESClient({});
}

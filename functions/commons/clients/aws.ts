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

/** A secret's string value, read once at cold start. Imported lazily: only the AWS deployment needs it. */
export async function readSecret(secretArn: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!SecretString || SecretString.length < 32) throw new Error(`secret ${secretArn} is missing or shorter than 32 characters`);
    return SecretString;
  } finally {
    client.destroy();
  }
}

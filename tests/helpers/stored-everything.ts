/**
 * Everything a test stack keeps, to look for what must not be there (a secret): every object of its bucket
 * and every item of its table.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import type { TestStack } from './local-stack';
import { documentClientFor } from './stored-tickets';

/** A client of the stack's S3 server; destroy it when done. */
export function s3ClientFor(stack: Pick<TestStack, 's3Endpoint'>): S3Client {
  return new S3Client({ region: 'us-east-1', forcePathStyle: true, endpoint: stack.s3Endpoint, credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } });
}

/** Every object in the stack's bucket, by key, with its bytes. */
export async function storedObjects(stack: Pick<TestStack, 'rawMailBucket'>, s3: S3Client): Promise<Map<string, Buffer>> {
  const objects = new Map<string, Buffer>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: stack.rawMailBucket, ...(token ? { ContinuationToken: token } : {}) }));
    for (const { Key } of page.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: stack.rawMailBucket, Key: Key! }));
      objects.set(Key!, Buffer.from(await body.Body!.transformToByteArray()));
    }
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

/** Every item of the stack's table, as one JSON text. */
export async function storedItemsJson(stack: Pick<TestStack, 'dynamoEndpoint' | 'tableName'>): Promise<string> {
  const client = documentClientFor(stack);
  const items: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: stack.tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return JSON.stringify(items);
}

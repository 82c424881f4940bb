/**
 * One DynamoDB Local and one S3 server for the whole test run, started on first use. Test stacks that share
 * them keep apart by table and bucket (see startTestStack); the Java process belongs to the main vitest
 * process, so it outlives each test file's worker and ends with the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../scripts/local/dynamodb-local';
import { startLocalS3, type LocalS3 } from '../../scripts/local/s3-server';

/** Where workers ask for the shared stand-ins' endpoints. */
export const SHARED_STAND_INS_ENV = 'CONCIERGE_TEST_STAND_INS_URL';

export interface SharedStandIns {
  dynamoEndpoint: string;
  s3Endpoint: string;
}

export default async function setup(): Promise<() => Promise<void>> {
  // Set for the workers in vitest.config.ts; this runs in the main process, which builds SDK clients too.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const directory = mkdtempSync(join(tmpdir(), 'concierge-shared-'));
  let dynamo: DynamoDbLocal | undefined;
  let s3: LocalS3 | undefined;
  let starting: Promise<SharedStandIns> | undefined;
  const start = async (): Promise<SharedStandIns> => {
    [dynamo, s3] = await Promise.all([startDynamoDbLocal(), startLocalS3({ port: 0, directory: join(directory, 's3'), buckets: [] })]);
    return { dynamoEndpoint: dynamo.endpoint, s3Endpoint: s3.endpoint };
  };
  const server = createServer((_request, response) => {
    starting ??= start();
    starting.then(
      (standIns) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(standIns));
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(error instanceof Error ? error.message : String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  process.env[SHARED_STAND_INS_ENV] = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;

  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await starting?.catch(() => undefined);
    await Promise.allSettled([dynamo?.stop(), s3?.stop()]);
    rmSync(directory, { recursive: true, force: true });
  };
}

/** The shared stand-ins when this run offers them (vitest with this global setup), else undefined. */
export async function sharedStandIns(): Promise<SharedStandIns | undefined> {
  const url = process.env[SHARED_STAND_INS_ENV];
  if (!url) return undefined;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the shared stand-ins did not start: ${await response.text()}`);
  return (await response.json()) as SharedStandIns;
}

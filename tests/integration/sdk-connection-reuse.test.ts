/**
 * Each AWS request costs a connection only once per client: the SDK clients our factories build keep their
 * connections alive, so a warm function reuses one socket per service instead of opening (and, on AWS,
 * TLS-handshaking) one per request.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/commons/clients/dynamodb';
import { createS3Client } from '../../functions/commons/clients/s3';
import { startLocalS3, type LocalS3 } from '../../scripts/local/s3-server';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { sharedStandIns } from '../helpers/shared-stand-ins';

const BUCKET = 'connection-reuse-test';
const credentials = { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY };

/** The sockets that carried each finished request, by `host:port`. */
function socketsByOrigin(): { sockets: Map<string, Set<Socket>>; stop(): void } {
  const sockets = new Map<string, Set<Socket>>();
  const onFinish = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    const origin = `${request.host}:${request.socket?.remotePort ?? '?'}`;
    if (!sockets.has(origin)) sockets.set(origin, new Set());
    if (request.socket) sockets.get(origin)!.add(request.socket);
  };
  subscribe('http.client.response.finish', onFinish);
  return { sockets, stop: () => unsubscribe('http.client.response.finish', onFinish) };
}

describe('SDK clients reuse their connections', () => {
  let dir: string;
  let server: LocalS3;
  let recorder: ReturnType<typeof socketsByOrigin>;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concierge-reuse-'));
    server = await startLocalS3({ port: 0, directory: dir, buckets: [BUCKET] });
  });

  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    process.env = savedEnv;
  });

  beforeEach(() => {
    recorder = socketsByOrigin();
  });

  afterEach(() => recorder.stop());

  it('S3: ten requests in a row travel over one connection', async () => {
    // Prepare
    const s3 = createS3Client(true, { region: 'us-east-1', endpoint: server.endpoint, credentials });

    // Act
    for (let i = 0; i < 5; i++) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `k${i}`, Body: Buffer.from(`body ${i}`) }));
      const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `k${i}` }));
      await object.Body!.transformToByteArray();
    }
    s3.destroy();

    // Assess
    const port = new URL(server.endpoint).port;
    const used = [...recorder.sockets.entries()].filter(([origin]) => origin.endsWith(`:${port}`));
    expect(used.flatMap(([, sockets]) => [...sockets])).toHaveLength(1);
  });

  it('DynamoDB: the document client sends ten requests over one connection', async () => {
    // Prepare
    const shared = await sharedStandIns();
    if (!shared) throw new Error('this test needs the shared stand-ins of the vitest global setup');
    Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: shared.dynamoEndpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: LOCAL_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: LOCAL_ACCESS_KEY });
    const documents = createDocumentClient();

    // Act
    for (let i = 0; i < 10; i++) await documents.send(new ListTablesCommand({ Limit: 1 }));
    documents.destroy();

    // Assess
    const port = new URL(shared.dynamoEndpoint).port;
    const used = [...recorder.sockets.entries()].filter(([origin]) => origin.endsWith(`:${port}`));
    expect(used.flatMap(([, sockets]) => [...sockets])).toHaveLength(1);
  });
});

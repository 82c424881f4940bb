import { connect } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';

export type StandInStatus = 'ok' | 'down' | 'restarting';

export interface StandInHealth {
  status: StandInStatus;
  endpoint: string;
  detail?: string;
}

export type StandInName = 'dynamodb' | 's3' | 'ses' | 'smtp';

/** What `/health` answers locally: 200 only when every stand-in answers. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  standIns: Record<StandInName, StandInHealth>;
}

const PROBE_TIMEOUT_MS = 5_000;

const reason = (error: unknown) => (error instanceof Error ? error.message || error.name : String(error));

export async function probeDynamoDb(endpoint: string): Promise<StandInHealth> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { requestTimeout: PROBE_TIMEOUT_MS, connectionTimeout: PROBE_TIMEOUT_MS },
  });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
    return { status: 'ok', endpoint };
  } catch (error) {
    return { status: 'down', endpoint, detail: reason(error) };
  } finally {
    client.destroy();
  }
}

export async function probeS3(endpoint: string, bucket: string, accessKey: string): Promise<StandInHealth> {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: accessKey },
    maxAttempts: 1,
    requestHandler: { requestTimeout: PROBE_TIMEOUT_MS, connectionTimeout: PROBE_TIMEOUT_MS },
  });
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return { status: 'ok', endpoint };
  } catch (error) {
    return { status: 'down', endpoint, detail: reason(error) };
  } finally {
    client.destroy();
  }
}

/** Connects to a TCP port; with `greeting`, also waits for the server's first line to start with it. */
export async function probeTcp(endpoint: string, port: number, greeting?: string): Promise<StandInHealth> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const finish = (health: StandInHealth) => {
      socket.destroy();
      resolve(health);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish({ status: 'down', endpoint, detail: 'no answer in time' }));
    socket.once('error', (error) => finish({ status: 'down', endpoint, detail: reason(error) }));
    socket.once('connect', () => {
      if (!greeting) finish({ status: 'ok', endpoint });
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (!received.includes('\n')) return;
      if (received.startsWith(greeting ?? '')) {
        socket.write('QUIT\r\n');
        finish({ status: 'ok', endpoint });
      } else {
        finish({ status: 'down', endpoint, detail: `unexpected greeting: ${received.trim().slice(0, 80)}` });
      }
    });
  });
}

export function summarise(standIns: Record<StandInName, StandInHealth>): HealthReport {
  return { status: Object.values(standIns).every((s) => s.status === 'ok') ? 'ok' : 'degraded', standIns };
}

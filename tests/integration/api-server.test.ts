/**
 * The local API server stands where API Gateway does: no request, however malformed, takes it down, and
 * `/health` answers for every stand-in.
 */
import { connect } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../scripts/local/api-server';
import { summarise, type HealthReport, type StandInHealth } from '../../scripts/local/health';

const received: APIGatewayProxyEvent[] = [];
let standIns: Record<'dynamodb' | 's3' | 'ses' | 'smtp', StandInHealth>;
let server: Awaited<ReturnType<typeof startApiServer>>;
let base: string;

// The handler's own answers; what is under test is the server in front of it.
async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  received.push(event);
  if (event.pathParameters?.id === 'explode') throw new Error('handler failed');
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'ok', resource: event.resource }) };
}

function rawRequest(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port }, () => socket.end(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  const ok = (endpoint: string): StandInHealth => ({ status: 'ok', endpoint });
  standIns = { dynamodb: ok('http://127.0.0.1:1'), s3: ok('http://127.0.0.1:2'), ses: ok('http://127.0.0.1:3'), smtp: ok('smtp://127.0.0.1:4') };
  server = await startApiServer({ port: 0, handler, health: async (): Promise<HealthReport> => summarise({ ...standIns }) });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.stop();
});

describe('local API server', () => {
  it('answers 400 to malformed percent-encoding in a path parameter, and keeps serving', async () => {
    // Act
    const malformed = await fetch(`${base}/tickets/%ZZ`);
    const next = await fetch(`${base}/tickets/K7Q3XM`);

    // Assess
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'malformed percent-encoding in the path' });
    expect(next.status).toBe(200);
    expect(received.at(-1)?.pathParameters).toEqual({ id: 'K7Q3XM' });
  });

  it('answers 400 to a request line that is not HTTP, and keeps serving', async () => {
    // Act
    const answer = await rawRequest('GARBAGE\r\n\r\n');
    const next = await fetch(`${base}/tickets`);

    // Assess
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(next.status).toBe(200);
  });

  it('answers 500 when the handler throws, and keeps serving', async () => {
    // Act
    const failed = await fetch(`${base}/tickets/explode`);
    const next = await fetch(`${base}/health`);

    // Assess
    expect(failed.status).toBe(500);
    expect(next.status).toBe(200);
  });

  it('passes every value of a repeated query parameter, as API Gateway does', async () => {
    // Act
    await fetch(`${base}/tickets?customer=a%40example.com&customer=b%40example.com`);

    // Assess
    const event = received.at(-1);
    expect(event?.queryStringParameters).toEqual({ customer: 'b@example.com' });
    expect(event?.multiValueQueryStringParameters).toEqual({ customer: ['a@example.com', 'b@example.com'] });
  });

  it('gives a path that matches a route under another method its template, so the handler can answer 405', async () => {
    // Act
    await fetch(`${base}/tickets/K7Q3XM`, { method: 'DELETE' });

    // Assess
    expect(received.at(-1)?.resource).toBe('/tickets/{id}');
  });

  it('reports each stand-in on /health, and 503 while one is down', async () => {
    // Act
    const healthy = await fetch(`${base}/health`);
    const healthyBody = (await healthy.json()) as HealthReport;
    standIns.dynamodb = { status: 'down', endpoint: 'http://127.0.0.1:1', detail: 'connect ECONNREFUSED' };
    const degraded = await fetch(`${base}/health`);
    const degradedBody = (await degraded.json()) as HealthReport;

    // Assess
    expect(healthy.status).toBe(200);
    expect(Object.keys(healthyBody.standIns).sort()).toEqual(['dynamodb', 's3', 'ses', 'smtp']);
    expect(degraded.status).toBe(503);
    expect(degradedBody.status).toBe('degraded');
    expect(degradedBody.standIns.dynamodb).toMatchObject({ status: 'down', detail: 'connect ECONNREFUSED' });
  });
});

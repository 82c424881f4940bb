import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/commons/clients/dynamodb';
import { createS3Client } from '../../functions/commons/clients/s3';
import { createSesClient } from '../../functions/commons/clients/ses';

const hasRequestLogger = (client: { middlewareStack: { identify(): string[] } }) =>
  client.middlewareStack.identify().some((entry) => entry.startsWith('loggerMiddleware'));

describe('SDK client factories', () => {
  const savedRegion = process.env.AWS_REGION;
  beforeEach(() => {
    process.env.AWS_REGION = 'us-east-1';
  });
  afterEach(() => {
    if (savedRegion === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = savedRegion;
  });

  it('build clients without the per-request logger middleware, which would redact every request for a no-op logger', () => {
    // Act
    const clients = [createDocumentClient(), createS3Client(true), createSesClient()];

    // Assess
    expect(clients.map(hasRequestLogger)).toEqual([false, false, false]);
    for (const client of clients) client.destroy();
  });

  it('keep the request logger for an S3 client given a logger of its own', () => {
    // Prepare
    const lines: unknown[] = [];
    const logger = { trace: () => {}, debug: () => {}, info: (line: unknown) => lines.push(line), warn: () => {}, error: () => {} };

    // Act
    const s3 = createS3Client(true, { logger });

    // Assess
    expect(hasRequestLogger(s3)).toBe(true);
    s3.destroy();
  });
});

/**
 * Running out of parse time says nothing about the mail: the handler throws, so Lambda retries the delivery
 * (and dead-letters it after the last retry), and nothing is quarantined. The budget here is 1 ms for a
 * 3 MB message of 300 parts, which no machine parses that fast; a slower machine only makes it surer.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { newSesMessageId, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ handlerEnv: { PARSE_TIMEOUT_MS: '1' } });
});

afterAll(async () => {
  await stack?.teardown();
});

describe('a parse that runs out of time', () => {
  it('is retried and finally dead-lettered, never quarantined', async () => {
    // Prepare
    const parts = Array.from({ length: 300 }, (_, i) => `--p\r\nContent-Type: text/plain\r\n\r\n${'withdrawal '.repeat(900)} ${i}\r\n`).join('');
    const raw = `From: slow@customer.example\r\nTo: support@concierge.test\r\nSubject: many parts\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n${parts}--p--\r\n`;
    const sesMessageId = newSesMessageId();

    // Act
    const outcome = await stack.deliver(raw, { sesMessageId, source: 'slow@customer.example' }).catch((error: unknown) => error);

    // Assess: every attempt threw (the local stack retries like Lambda, then writes the dead letter)
    expect(outcome).toBeInstanceOf(Error);
    expect(existsSync(join(stack.deadLetterDir, `${sesMessageId}.json`))).toBe(true);
    const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true, endpoint: stack.s3Endpoint, credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } });
    const quarantined = await s3.send(new HeadObjectCommand({ Bucket: stack.rawMailBucket, Key: `quarantine/${sesMessageId}` })).then(
      () => true,
      () => false,
    );
    s3.destroy();
    expect(quarantined).toBe(false);
    const receipt = await stack.api<{ tickets: unknown[] }>('/tickets?customer=slow@customer.example');
    expect(receipt.body.tickets).toEqual([]);
  });
});

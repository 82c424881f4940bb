import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../functions/commons/clients/s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3RawMailStore } from '../../functions/inbound/raw-mail-store';
import { MailLimitError } from '../../functions/mail/parse';
import { startLocalS3, type LocalS3 } from '../../scripts/local/s3-server';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';

const BUCKET = 'raw-mail-store-test';

describe('S3RawMailStore against the S3 server', () => {
  let dir: string;
  let server: LocalS3;
  let s3: S3Client;
  let store: S3RawMailStore;
  let commands: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concierge-raw-mail-'));
    server = await startLocalS3({ port: 0, directory: dir, buckets: [BUCKET] });
    s3 = createS3Client(true, {
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY },
    });
    s3.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(context.commandName ?? 'unknown');
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
    store = new S3RawMailStore(s3, BUCKET);
  });

  beforeEach(() => {
    commands = [];
  });

  afterAll(async () => {
    s3.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads a raw message with one GetObject and no HeadObject', async () => {
    // Prepare
    const raw = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => i % 256));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbound/a', Body: raw }));
    commands = [];

    // Act
    const downloaded = await store.getRawMessage('inbound/a', 30 * 1024 * 1024);

    // Assess
    expect(downloaded.equals(raw)).toBe(true);
    expect(commands).toEqual(['GetObjectCommand']);
  });

  it('refuses a message over the size limit from GetObject’s length alone', async () => {
    // Prepare
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbound/big', Body: Buffer.alloc(4096, 'a') }));
    commands = [];

    // Act
    const error = await store.getRawMessage('inbound/big', 1024).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(MailLimitError);
    expect((error as MailLimitError).limit).toBe('message-size');
    expect(commands).toEqual(['GetObjectCommand']);
  });

  it('stores an attachment given as chunks, byte for byte, and an empty one', async () => {
    // Prepare
    const chunks = [Buffer.from('first '), Buffer.alloc(100_000, 'x'), Buffer.from(' last')];

    // Act
    await store.putObject('attachments/a/0-file.bin', chunks, 'application/octet-stream');
    await store.putObject('attachments/a/1-empty.txt', [], 'text/plain');

    // Assess
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'attachments/a/0-file.bin' }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(Buffer.concat(chunks))).toBe(true);
    expect(stored.ContentType).toBe('application/octet-stream');
    const empty = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'attachments/a/1-empty.txt' }));
    expect(empty.ContentLength).toBe(0);
  });
});

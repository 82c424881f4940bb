import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../functions/commons/clients/s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3RawMailStore } from '../../functions/inbound/raw-mail-store';
import { DEFAULT_MAIL_LIMITS, MailLimitError, ParseTimeoutError, parseInboundMail } from '../../functions/mail/parse';
import { headerBlockOf } from '../../functions/mail/ses-verdicts';
import type { InboundMail, RawMessageSource } from '../../functions/mail/types';
import { startLocalS3, type LocalS3 } from '../../scripts/local/s3-server';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { listCorpusFiles } from '../helpers/corpus';

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

  it('hands over a raw message as a stream from one GetObject, never as one whole buffer', async () => {
    // Prepare
    const raw = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => i % 256));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbound/a', Body: raw }));
    commands = [];

    // Act
    const source = await store.openRawMessage('inbound/a', 30 * 1024 * 1024);
    const chunks = await readAll(await source.open());

    // Assess: the bytes arrive in pieces as the download goes, with the length known before any of them
    expect(source.size).toBe(raw.length);
    expect(Buffer.concat(chunks).equals(raw)).toBe(true);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThan(raw.length / 4);
    expect(commands).toEqual(['GetObjectCommand']);
  });

  it('downloads the message again for a second read', async () => {
    // Prepare
    const raw = Buffer.from('Subject: twice\r\n\r\nbody\r\n');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbound/twice', Body: raw }));
    commands = [];
    const source = await store.openRawMessage('inbound/twice', 1024);

    // Act
    const first = Buffer.concat(await readAll(await source.open()));
    const second = Buffer.concat(await readAll(await source.open()));

    // Assess
    expect(first.equals(raw)).toBe(true);
    expect(second.equals(raw)).toBe(true);
    expect(commands).toEqual(['GetObjectCommand', 'GetObjectCommand']);
  });

  it('lets go of the download a parse ended without reading', async () => {
    // Prepare: a parse whose time has already run out, so it never reads
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbound/unread', Body: Buffer.alloc(2_000_000, 'a') }));
    commands = [];
    const source = await store.openRawMessage('inbound/unread', 30 * 1024 * 1024);

    // Act
    const error = await parseInboundMail(source, DEFAULT_MAIL_LIMITS, { timeout: AbortSignal.abort() }).catch((e: unknown) => e);
    const reread = Buffer.concat(await readAll(await source.open()));

    // Assess: the first body was given up, so a later read downloads anew
    expect(error).toBeInstanceOf(ParseTimeoutError);
    expect(reread.length).toBe(2_000_000);
    expect(commands).toEqual(['GetObjectCommand', 'GetObjectCommand']);
  });

  it('refuses a message over the size limit from GetObject’s length alone', async () => {
    // Prepare
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbound/big', Body: Buffer.alloc(4096, 'a') }));
    commands = [];

    // Act
    const error = await store.openRawMessage('inbound/big', 1024).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(MailLimitError);
    expect((error as MailLimitError).limit).toBe('message-size');
    expect(commands).toEqual(['GetObjectCommand']);
  });

  it('is parsed as it downloads: a long plain-text message is read only as far as its text is kept', async () => {
    // Prepare: 8 MB of text in one part, the bytes the parser pulls from the download counted
    const line = 'BTC/USDT buy 0.015 at 91234.56 order 8812734 filled\r\n';
    const raw = Buffer.from(`From: a@b.example\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${line.repeat(Math.ceil(8_000_000 / line.length))}`);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbound/long-text', Body: raw }));
    const source = await store.openRawMessage('inbound/long-text', 30 * 1024 * 1024);
    let pulled = 0;
    const counted: RawMessageSource = {
      size: source.size,
      open: async function* () {
        for await (const chunk of await source.open()) {
          pulled += chunk.length;
          yield chunk;
        }
      },
    };

    // Act
    const mail = await parseInboundMail(counted, { ...DEFAULT_MAIL_LIMITS, maxTextPartBytes: 64 * 1024 });

    // Assess
    expect(mail.text?.startsWith(line.trimEnd())).toBe(true);
    expect(pulled).toBeLessThan(2 * 1024 * 1024);
  });

  describe('the Chinese charset messages (mnako/letters), read from S3', () => {
    const files = listCorpusFiles('charsets/letters').filter((file) => /chinese/.test(file));
    const reads = new Map<string, number>();

    for (const file of files) {
      it(`${basename(file)} parses exactly as from memory, downloading again only for a second pass`, async () => {
        // Prepare
        const raw = readFileSync(file);
        const key = `inbound/${basename(file)}`;
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: raw }));
        commands = [];

        // Act
        const fromS3 = await parseInboundMail(await store.openRawMessage(key, 30 * 1024 * 1024));

        // Assess
        reads.set(file, commands.length);
        expect(comparable(fromS3)).toEqual(comparable(await parseInboundMail(raw)));
        expect(fromS3.headerBlock).toBe(headerBlockOf(raw));
        expect(fromS3.text).toContain('石室诗士施氏');
        expect(commands.every((command) => command === 'GetObjectCommand')).toBe(true);
        expect(commands.length === 1 || commands.length === 2).toBe(true);
      });
    }

    it('includes messages that needed the second pass (their parts inherit the multipart’s charset)', () => {
      expect(files.length).toBe(16);
      expect([...reads.values()].filter((count) => count === 2).length).toBeGreaterThan(0);
    });
  });

  it('moves a message to the sensitive prefix: there byte for byte, gone from inbound/, and a repeat of the move is harmless', async () => {
    // Prepare
    const raw = Buffer.from('From: a@example.com\r\n\r\nmy words are …\r\n');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbound/moved', Body: raw }));
    expect(await store.exists('sensitive/moved')).toBe(false);

    // Act
    await store.moveToSensitive('inbound/moved', 'sensitive/moved');
    await store.moveToSensitive('inbound/moved', 'sensitive/moved').catch((error: Error) => error);

    // Assess
    const moved = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sensitive/moved' }));
    expect(Buffer.from(await moved.Body!.transformToByteArray())).toEqual(raw);
    expect(await store.exists('sensitive/moved')).toBe(true);
    expect(await store.exists('inbound/moved')).toBe(false);
    // a key that merely starts like another is not it
    expect(await store.exists('sensitive/move')).toBe(false);
    const gone = await store.openRawMessage('inbound/moved', 1024).catch((error: Error) => error);
    expect(gone).toBeInstanceOf(Error);
    expect((gone as Error).name).toBe('NoSuchKey');
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

async function readAll(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Buffer[]> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(Buffer.from(chunk));
  return all;
}

/** A parse result with each attachment's content joined: how it was cut into chunks depends on the reads. */
function comparable(mail: InboundMail) {
  return { ...mail, attachments: mail.attachments.map((attachment) => ({ ...attachment, content: Buffer.concat(attachment.content) })) };
}

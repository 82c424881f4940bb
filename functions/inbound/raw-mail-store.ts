import { Readable } from 'node:stream';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MailLimitError } from '../mail/parse';
import type { RawMessageSource } from '../mail/types';

/** Raw messages, attachments and quarantined copies in the raw-mail bucket. */
export class S3RawMailStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    /** The KMS key of the sensitive prefix; without one (locally) the copy keeps the bucket's encryption. */
    private readonly sensitiveKeyId?: string,
  ) {}

  /**
   * The raw message as a stream the parser reads as it parses, so it is never held whole; refuses one larger
   * than `maxBytes` from GetObject's length before reading its body (no HeadObject request). The first read
   * uses that GetObject's body; a second read (the parser's rare second pass) downloads it again.
   */
  async openRawMessage(key: string, maxBytes: number): Promise<RawMessageSource> {
    const first = await this.download(key);
    if (first.size > maxBytes) {
      first.body.destroy();
      throw new MailLimitError('message-size', `message is ${first.size} bytes, limit ${maxBytes}`);
    }
    let unread: Readable | undefined = first.body;
    return {
      size: first.size,
      open: async () => {
        if (unread) {
          const body = unread;
          unread = undefined;
          return body;
        }
        const again = await this.download(key);
        if (again.size !== first.size) {
          again.body.destroy();
          throw new Error(`raw message ${key} changed between reads: ${first.size} then ${again.size} bytes`);
        }
        return again.body;
      },
      close: () => {
        unread?.destroy();
        unread = undefined;
      },
    };
  }

  private async download(key: string): Promise<{ size: number; body: Readable }> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const body = object.Body as Readable | undefined;
    if (!body) throw new Error(`raw message ${key} has no body`);
    if (object.ContentLength === undefined) {
      body.destroy();
      throw new Error(`raw message ${key} came without a length`);
    }
    return { size: object.ContentLength, body };
  }

  /** Stores `body`; an attachment arrives as the parser's chunks and is streamed, never concatenated. */
  async putObject(key: string, body: Buffer | readonly Buffer[], contentType: string): Promise<void> {
    const chunks = Buffer.isBuffer(body) ? [body] : body;
    const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: chunks.length > 1 ? Readable.from(chunks, { objectMode: false }) : (chunks[0] ?? Buffer.alloc(0)),
        ContentLength: length,
        ContentType: contentType,
      }),
    );
  }

  /** Keeps a quarantined message under its own prefix, where its own retention applies. */
  async copyToQuarantine(sourceKey: string, quarantineKey: string): Promise<void> {
    await this.s3.send(
      new CopyObjectCommand({ Bucket: this.bucket, Key: quarantineKey, CopySource: `${this.bucket}/${encodeURI(sourceKey)}` }),
    );
  }

  async moveToSensitive(sourceKey: string, sensitiveKey: string): Promise<void> {
    await this.s3.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: sensitiveKey,
        CopySource: `${this.bucket}/${encodeURI(sourceKey)}`,
        ...(this.sensitiveKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.sensitiveKeyId } : {}),
      }),
    );
    // Deleting what is already gone succeeds: a retry after a crash between the two steps finishes the move.
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: sourceKey }));
  }

  /** A listing, not a HEAD: a HEAD of an object under the sensitive key would need that key. */
  async exists(key: string): Promise<boolean> {
    const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 }));
    return (listed.Contents ?? []).some((object) => object.Key === key);
  }
}

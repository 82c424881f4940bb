import { Readable } from 'node:stream';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MailLimitError } from '../mail/parse';

/** Raw messages, attachments and quarantined copies in the raw-mail bucket. */
export class S3RawMailStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * The raw message; refuses one larger than `maxBytes` before reading its body. GetObject's ContentLength
   * sizes one buffer that the body streams into, so the message is held once (no HeadObject request, no
   * chunk list concatenated at the end).
   */
  async getRawMessage(key: string, maxBytes: number): Promise<Buffer> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const body = object.Body as (Readable & { destroy(): void }) | undefined;
    if (!body) throw new Error(`raw message ${key} has no body`);
    const size = object.ContentLength;
    if (size === undefined || size > maxBytes) {
      body.destroy();
      if (size === undefined) throw new Error(`raw message ${key} came without a length`);
      throw new MailLimitError('message-size', `message is ${size} bytes, limit ${maxBytes}`);
    }
    const raw = Buffer.allocUnsafe(size);
    let filled = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      if (filled + chunk.length > size) {
        body.destroy();
        throw new Error(`raw message ${key} is longer than its ContentLength ${size}`);
      }
      raw.set(chunk, filled);
      filled += chunk.length;
    }
    if (filled !== size) throw new Error(`raw message ${key} ended after ${filled} of ${size} bytes`);
    return raw;
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
}

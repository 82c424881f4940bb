import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MailLimitError } from '../mail/parse';

/** Raw messages, attachments and quarantined copies in the raw-mail bucket. */
export class S3RawMailStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** The raw message; refuses to download one larger than `maxBytes`. */
  async getRawMessage(key: string, maxBytes: number): Promise<Buffer> {
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    const size = head.ContentLength ?? 0;
    if (size > maxBytes) throw new MailLimitError('message-size', `message is ${size} bytes, limit ${maxBytes}`);
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!object.Body) throw new Error(`raw message ${key} has no body`);
    return Buffer.from(await object.Body.transformToByteArray());
  }

  async putObject(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  /** Keeps a quarantined message under its own prefix, where its own retention applies. */
  async copyToQuarantine(sourceKey: string, quarantineKey: string): Promise<void> {
    await this.s3.send(
      new CopyObjectCommand({ Bucket: this.bucket, Key: quarantineKey, CopySource: `${this.bucket}/${encodeURI(sourceKey)}` }),
    );
  }
}

/** Raw messages, attachments and quarantined copies (the S3 bucket SES receiving writes to). */
export interface RawMailStore {
  /** The raw message; refuses (MailLimitError) one larger than `maxBytes`. */
  getRawMessage(key: string, maxBytes: number): Promise<Buffer>;
  putObject(key: string, body: Buffer, contentType: string): Promise<void>;
  /** Keeps a quarantined message under its own prefix, where its own retention applies. */
  copyToQuarantine(sourceKey: string, quarantineKey: string): Promise<void>;
}

/** Raw messages, attachments and quarantined copies (the S3 bucket SES receiving writes to). */
export interface RawMailStore {
  /** The raw message; refuses (MailLimitError) one larger than `maxBytes`. */
  getRawMessage(key: string, maxBytes: number): Promise<Buffer>;
  /** `body` as one buffer or as chunks in order (attachments stay in the chunks they were decoded into). */
  putObject(key: string, body: Buffer | readonly Buffer[], contentType: string): Promise<void>;
  /** Keeps a quarantined message under its own prefix, where its own retention applies. */
  copyToQuarantine(sourceKey: string, quarantineKey: string): Promise<void>;
}

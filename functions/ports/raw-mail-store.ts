import type { RawMessageSource } from '../mail/types';

/** Raw messages, attachments and quarantined copies (the S3 bucket SES receiving writes to). */
export interface RawMailStore {
  /**
   * The raw message, to be read as a stream (again from the start for a second pass); refuses
   * (MailLimitError) one larger than `maxBytes` before reading it.
   */
  openRawMessage(key: string, maxBytes: number): Promise<RawMessageSource>;
  /** `body` as one buffer or as chunks in order (attachments stay in the chunks they were decoded into). */
  putObject(key: string, body: Buffer | readonly Buffer[], contentType: string): Promise<void>;
  /** Keeps a quarantined message under its own prefix, where its own retention applies. */
  copyToQuarantine(sourceKey: string, quarantineKey: string): Promise<void>;
  /**
   * Moves a raw message that held a secret out of the normal prefix: copied to `sensitiveKey` (encrypted with the
   * sensitive key, when one is configured), then deleted from `sourceKey`. Either step may be repeated.
   */
  moveToSensitive(sourceKey: string, sensitiveKey: string): Promise<void>;
  /** Whether an object is stored under exactly `key`; needs no access to what it holds. */
  exists(key: string): Promise<boolean>;
}

/**
 * Inbound parsing limits, apart from the parser so that configuration (read by every function) does not
 * pull mailparser into functions that never parse mail.
 */
/**
 * Every limit inbound parsing enforces. Inbound mail is hostile: a message that breaks one of these is
 * quarantined with the limit's name, never parsed with the limit quietly raised.
 */
export interface MailLimits {
  /** Whole raw message. SES receiving accepts up to 40 MB; 30 MiB keeps a parse well inside Lambda memory. */
  maxMessageBytes: number;
  /** Header block of any one MIME node. */
  maxHeaderBytes: number;
  /**
   * Header blocks of all MIME nodes together. Per node 256 KiB × 256 nodes would allow 64 MiB of headers that
   * mailparser decodes (encoded-word file names) at a few MB per second: bounded by size, not by a clock.
   */
  maxTotalHeaderBytes: number;
  /** Nesting of multiparts and embedded messages. */
  maxMimeDepth: number;
  /** MIME nodes in the whole message. */
  maxMimeParts: number;
  /**
   * Wall-clock backstop for one parse. Running out of it is a retryable failure, never a verdict on the
   * message: how long a parse takes depends on the machine's load. The limits above bound the work.
   */
  parseTimeoutMs: number;
  /**
   * HTML bodies larger than this, once their `data:` URIs are dropped, are not converted to text (the raw
   * message keeps them).
   */
  maxHtmlToTextBytes: number;
  /** Encoded bytes of a plain-text body that are decoded; the rest stays in the raw message only. */
  maxTextPartBytes: number;
  /** Message ids read from References; the newest ones are kept. */
  maxReferences: number;
}

export const DEFAULT_MAIL_LIMITS: Readonly<MailLimits> = Object.freeze({
  maxMessageBytes: 30 * 1024 * 1024,
  maxHeaderBytes: 256 * 1024,
  maxTotalHeaderBytes: 1024 * 1024,
  maxMimeDepth: 16,
  maxMimeParts: 256,
  parseTimeoutMs: 15_000,
  maxHtmlToTextBytes: 2 * 1024 * 1024,
  // Far more than anything downstream reads: visible text looks at the first 64 KiB.
  maxTextPartBytes: 1024 * 1024,
  maxReferences: 100,
});

/** Validates limits: a zero or negative limit would silently turn a protection off. */
export function validateMailLimits(limits: MailLimits): MailLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`mail limit ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return limits;
}

/** Plain data shapes of an inbound message, shared by parsing, classification, threading and storage. */

export interface MailAddress {
  /** Lower-cased address, e.g. `alice@example.com`. */
  address: string;
  /** Display name as written, possibly empty. */
  name: string;
}

/** One header line of the top-level header block, in the order it appears in the message. */
export interface HeaderLine {
  /** Lower-cased header name, e.g. `auto-submitted`. */
  key: string;
  /** Unfolded, MIME-decoded value. */
  value: string;
}

export interface ParsedAttachment {
  filename: string;
  contentType: string;
  size: number;
  /** Hex SHA-256 of the decoded content. */
  sha256: string;
  contentId?: string;
  /** Decoded content as the parser produced it, in order; never concatenated, to spare a copy. */
  content: Buffer[];
}

/** What the parser gives the rest of the pipeline: no streams, no library types. */
export interface InboundMail {
  /** Message-ID with angle brackets, as written; undefined when the message has none. */
  messageId?: string;
  /** Ids named in In-Reply-To, in header order, each with angle brackets. */
  inReplyTo: string[];
  /** Ids named in References, oldest first as written, each with angle brackets. */
  references: string[];
  from?: MailAddress;
  /**
   * More than one From field, or a From with more than one mailbox: two readers of such a message (SES's DMARC
   * check and this parser) may take different addresses for "the" From, so it is never proven.
   */
  fromAmbiguous: boolean;
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  subject: string;
  /** ISO-8601 date from the Date header, when it parses. */
  date?: string;
  headers: HeaderLine[];
  /**
   * The top header section as raw text (at most HEADER_BLOCK_CAP_BYTES), where SES stamps its verdicts; kept
   * from the stream as it passed, since the raw message itself is never held whole.
   */
  headerBlock: string;
  /** Root content type, lower-cased, without parameters, e.g. `multipart/report`. */
  contentType: string;
  text?: string;
  html?: string;
  attachments: ParsedAttachment[];
}

export type Verdict = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'DISABLED';

export interface Verdicts {
  spf: Verdict;
  dkim: Verdict;
  dmarc: Verdict;
  spam: Verdict;
  virus: Verdict;
  /** Present only when DMARC failed: the sending domain's published policy. */
  dmarcPolicy?: 'none' | 'quarantine' | 'reject';
}

export type MailKind = 'person' | 'auto-reply' | 'bounce' | 'spam' | 'virus' | 'unparseable';

export interface Classification {
  kind: MailKind;
  /** Why, in a few words, e.g. `Auto-Submitted: auto-replied`; stored with the message. */
  reason: string;
}

export type Language = 'zh' | 'en';

/**
 * A raw message to be read as a stream: its size is known before any byte is read, and `open` reads it from
 * the start, again for a second pass (each call may be a new download), so the message is never held whole.
 */
export interface RawMessageSource {
  readonly size: number;
  open(): Iterable<Uint8Array> | AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
  /** Frees what is held for a read that may never come (a download already started); called when done. */
  close?(): void;
}

import addressparser from 'nodemailer/lib/addressparser';
import { createTransport } from 'nodemailer';

/**
 * The mailbox in the From header, read with nodemailer's address parser (display names, comments and quoted
 * strings are not addresses). `ambiguous` when there is more than one From field or mailbox: readers may
 * disagree which is "the" From, so the local receiver never lets such a message pass DMARC.
 */
export function headerFromOf(raw: Buffer): { address?: string; ambiguous: boolean } {
  const head = raw.subarray(0, 256 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const fields = [...block.matchAll(/^from:(.*)$/gim)].map((match) => match[1] ?? '');
  const mailboxes = fields.flatMap((field) => flatten(addressparser(field) as ParsedAddress[]));
  const address = mailboxes.length === 1 ? mailboxes[0] : undefined;
  return { ...(address ? { address } : {}), ambiguous: fields.length > 1 || mailboxes.length > 1 };
}

interface ParsedAddress {
  address?: string;
  group?: ParsedAddress[];
}

function flatten(entries: ParsedAddress[]): string[] {
  return entries.flatMap((entry) => (entry.group ? flatten(entry.group) : entry.address ? [entry.address] : []));
}

/** The From mailbox, as the envelope sender `concierge send` uses when none is given. */
export function envelopeFromHeader(raw: Buffer): string | undefined {
  return headerFromOf(raw).address;
}

/** Delivers a raw RFC 5322 message over SMTP, unchanged. */
export async function sendRawMessage(options: { host: string; port: number; raw: Buffer; to: string[]; from?: string }): Promise<string> {
  const transport = createTransport({ host: options.host, port: options.port, secure: false, ignoreTLS: true, connectionTimeout: 10_000 });
  try {
    const info = await transport.sendMail({
      envelope: { from: options.from ?? envelopeFromHeader(options.raw) ?? '', to: options.to },
      raw: options.raw,
    });
    return info.response;
  } finally {
    transport.close();
  }
}

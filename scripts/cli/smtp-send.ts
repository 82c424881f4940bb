import { createTransport } from 'nodemailer';

/** The From header's address, read from the raw header block well enough to pick an envelope sender or a local verdict. */
export function envelopeFromHeader(raw: Buffer): string | undefined {
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const from = block.match(/^from:(.*)$/im)?.[1];
  return from?.match(/[^\s<>"(),;:]+@[^\s<>"(),;:]+/)?.[0];
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

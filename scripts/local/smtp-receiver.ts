import { randomBytes } from 'node:crypto';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { Verdict } from '../../functions/mail/types';
import type { SesReceiptEvent } from '../../functions/inbound/ses-event';
import { envelopeFromHeader } from '../cli/smtp-send';
import { authenticationHeaders, localVerdicts, type LocalVerdictRules, type LocalVerdicts } from './receiving-verdicts';

export { localVerdicts, type LocalVerdictRules } from './receiving-verdicts';

/** SES receiving accepts messages up to 40 MB including headers. */
export const SES_MAX_RECEIVED_BYTES = 40 * 1024 * 1024;

export interface SmtpReceiverOptions {
  host?: string;
  port: number;
  region: string;
  /** Addresses (or whole domains, as `@domain`) this receiver accepts mail for, as an SES receipt rule does. */
  acceptRecipients: (address: string) => boolean;
  verdicts: LocalVerdictRules;
  /** Stores the stamped raw message, as the SES S3 action does. */
  storeRaw(sesMessageId: string, raw: Buffer): Promise<void>;
  /** Delivers the event, as the SES Lambda action does (asynchronously, after the S3 action). */
  deliver(event: SesReceiptEvent): void;
}

export interface SmtpReceiver {
  port: number;
  stop(): Promise<void>;
}

/** SES inbound message ids are 32-40 lower-case alphanumerics. */
function newSesInboundId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(40)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** The header block SES prepends to a message it stores, with the same names and shapes. */
function sesStamp(options: {
  sesMessageId: string;
  region: string;
  envelopeFrom: string;
  recipient: string;
  heloName: string;
  clientIp: string;
  verdicts: LocalVerdicts;
  now: Date;
}): string {
  const { verdicts } = options;
  return [
    `Return-Path: <${options.envelopeFrom}>`,
    `Received: from ${options.heloName} (${options.heloName} [${options.clientIp}])`,
    ` by inbound-smtp.${options.region}.amazonaws.com with SMTP id ${options.sesMessageId}`,
    ` for ${options.recipient};`,
    ` ${options.now.toUTCString().replace('GMT', '+0000 (UTC)')}`,
    `X-SES-Spam-Verdict: ${verdicts.spam}`,
    `X-SES-Virus-Verdict: ${verdicts.virus}`,
    ...authenticationHeaders(verdicts, options),
    `X-SES-RECEIPT: ${randomBytes(96).toString('base64')}`,
    `X-SES-DKIM-SIGNATURE: a=rsa-sha256; q=dns/txt; b=${randomBytes(96).toString('base64')}; c=relaxed/simple; s=local; d=amazonses.com; t=${Math.floor(options.now.getTime() / 1000)}; v=1; bh=${randomBytes(32).toString('base64')}; h=From:To:Cc:Bcc:Subject:Date:Message-ID:MIME-Version:Content-Type:X-SES-RECEIPT;`,
    '',
  ].join('\r\n');
}

/**
 * An SMTP listener that plays SES receiving: it accepts mail for the support addresses, stamps the headers
 * SES stamps, stores the raw message (the S3 action) and hands `deliver` the event the Lambda action sends.
 */
export async function startSmtpReceiver(options: SmtpReceiverOptions): Promise<SmtpReceiver> {
  const server = new SMTPServer({
    name: 'inbound-smtp.local.concierge',
    banner: 'Concierge local SES receiving',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: SES_MAX_RECEIVED_BYTES,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.acceptRecipients(address.address.toLowerCase())) return callback();
      const error = Object.assign(new Error(`550 5.1.1 <${address.address}>: no receipt rule for this recipient`), { responseCode: 550 });
      return callback(error);
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error) => callback(error));
      stream.on('end', () => {
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded) {
          const error = Object.assign(new Error('552 5.3.4 Message too large for SES receiving'), { responseCode: 552 });
          callback(error);
          return;
        }
        accept(Buffer.concat(chunks), session).then(() => callback(), (error: Error) => callback(error));
      });
    },
  });

  async function accept(message: Buffer, session: SMTPServerSession): Promise<void> {
    const now = new Date();
    const sesMessageId = newSesInboundId();
    const mailFrom = session.envelope.mailFrom;
    const envelopeFrom = mailFrom ? mailFrom.address.toLowerCase() : '';
    const recipients = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
    const headerFrom = envelopeFromHeader(message)?.toLowerCase();
    const heloName = session.hostNameAppearsAs || 'localhost';
    const verdicts = localVerdicts(options.verdicts, { envelopeFrom, heloName, ...(headerFrom ? { headerFrom } : {}) });
    const stamp = sesStamp({
      sesMessageId,
      region: options.region,
      envelopeFrom,
      recipient: recipients[0] ?? '',
      heloName,
      clientIp: session.remoteAddress,
      verdicts,
      now,
    });
    await options.storeRaw(sesMessageId, Buffer.concat([Buffer.from(stamp), message]));
    const status = (verdict: Verdict) => ({ status: verdict });
    options.deliver({
      Records: [
        {
          eventSource: 'aws:ses',
          ses: {
            mail: { messageId: sesMessageId, source: envelopeFrom, timestamp: now.toISOString(), destination: recipients },
            receipt: {
              timestamp: now.toISOString(),
              recipients,
              spamVerdict: status(verdicts.spam),
              virusVerdict: status(verdicts.virus),
              spfVerdict: status(verdicts.spf),
              dkimVerdict: status(verdicts.dkim),
              dmarcVerdict: status(verdicts.dmarc),
              ...(verdicts.dmarcPolicy ? { dmarcPolicy: verdicts.dmarcPolicy } : {}),
            },
          },
        },
      ],
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

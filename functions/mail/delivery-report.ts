/**
 * Reads a delivery status notification (RFC 3464: `multipart/report; report-type=delivery-status`) as the
 * parser hands it over: the `message/delivery-status` part is part of the text (mailparser keeps it as a text
 * body), the returned message or its headers an attachment. Pure: no I/O.
 *
 * Per recipient: `Final-Recipient`, `Action`, `Status`, `Diagnostic-Code`. `Action: failed` with a 5.x.x
 * status is a hard failure (the address does not take mail); a 4.x.x status or `Action: delayed` is soft
 * (the mail may still arrive) and suppresses nothing.
 */
import type { InboundMail } from './types';

export interface ReportedRecipient {
  email: string;
  action: string;
  /** RFC 3463 status code, e.g. `5.1.1`. */
  status: string;
  diagnosticCode?: string;
  hard: boolean;
}

export interface DeliveryReport {
  recipients: ReportedRecipient[];
  /** The Message-ID of the returned message (the one that failed), from its returned headers. */
  originalMessageId?: string;
}

/** Recipients read from one report; a report naming more is cut here. */
export const MAX_REPORTED_RECIPIENTS = 50;
/** Only the start of the returned message is read for its headers. */
const MAX_RETURNED_HEADER_BYTES = 64 * 1024;
const MAX_FIELD_CHARS = 1_000;

const STATUS = /^([245])\.\d{1,3}\.\d{1,3}\b/;
const ADDRESS = /^[^\s@<>()",;:]{1,256}@[^\s@<>()",;:]{1,253}$/;

/** Header-style fields of one block, continuation lines unfolded; names lower-cased. */
function fieldsOf(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of block.split('\n')) {
    if (/^[ \t]/.test(line) && last) {
      fields.set(last, `${fields.get(last)} ${line.trim()}`.slice(0, MAX_FIELD_CHARS));
      continue;
    }
    const match = line.match(/^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$/);
    if (!match?.[1]) {
      last = undefined;
      continue;
    }
    last = match[1].toLowerCase();
    if (!fields.has(last)) fields.set(last, (match[2] ?? '').trim().slice(0, MAX_FIELD_CHARS));
  }
  return fields;
}

/** `rfc822; someone@example.com` → the address, lower-cased; undefined when it is not one. */
function recipientAddress(field: string | undefined): string | undefined {
  if (!field) return undefined;
  const value = field.includes(';') ? field.slice(field.indexOf(';') + 1) : field;
  const address = value.trim().replace(/^<|>$/g, '').toLowerCase();
  return ADDRESS.test(address) ? address : undefined;
}

function returnedMessageId(mail: Pick<InboundMail, 'attachments'>): string | undefined {
  for (const attachment of mail.attachments) {
    if (attachment.contentType !== 'message/rfc822' && attachment.contentType !== 'text/rfc822-headers') continue;
    const head = Buffer.concat(attachment.content).subarray(0, MAX_RETURNED_HEADER_BYTES).toString('utf8').replace(/\r\n/g, '\n');
    const headers = head.split(/\n\n/, 1)[0] ?? '';
    const id = fieldsOf(headers).get('message-id')?.match(/<[^<>\s]{1,998}>/)?.[0];
    if (id) return id;
  }
  return undefined;
}

/** The report's per-recipient results, or undefined when `mail` is not a delivery status report. */
export function readDeliveryReport(mail: Pick<InboundMail, 'contentType' | 'text' | 'attachments'>): DeliveryReport | undefined {
  if (mail.contentType !== 'multipart/report' || !mail.text) return undefined;
  const recipients: ReportedRecipient[] = [];
  for (const block of mail.text.replace(/\r\n/g, '\n').split(/\n[ \t]*\n/)) {
    const fields = fieldsOf(block);
    const email = recipientAddress(fields.get('final-recipient') ?? fields.get('original-recipient'));
    const action = fields.get('action')?.toLowerCase().split(/\s/)[0];
    const status = fields.get('status')?.match(STATUS);
    if (!email || !action || !status?.[0]) continue;
    const diagnosticCode = fields.get('diagnostic-code');
    recipients.push({ email, action, status: status[0], ...(diagnosticCode ? { diagnosticCode } : {}), hard: action === 'failed' && status[1] === '5' });
    if (recipients.length >= MAX_REPORTED_RECIPIENTS) break;
  }
  if (recipients.length === 0) return undefined;
  const originalMessageId = returnedMessageId(mail);
  return { recipients, ...(originalMessageId ? { originalMessageId } : {}) };
}

import { z } from 'zod';
import type { Verdicts } from '../mail/types';
import type { InboundDelivery } from './receive-message';

const verdict = z.object({ status: z.enum(['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED']) });

/** The event SES's Lambda action delivers (fields Concierge reads; the rest passes through). */
export const sesReceiptEventSchema = z.object({
  Records: z
    .array(
      z.object({
        eventSource: z.literal('aws:ses'),
        ses: z.object({
          mail: z.object({
            messageId: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'SES message id has unexpected characters'),
            source: z.string().default(''),
            timestamp: z.iso.datetime({ offset: true }),
            destination: z.array(z.string()).default([]),
          }),
          receipt: z.object({
            timestamp: z.iso.datetime({ offset: true }).optional(),
            recipients: z.array(z.string()).default([]),
            spamVerdict: verdict.optional(),
            virusVerdict: verdict.optional(),
            spfVerdict: verdict.optional(),
            dkimVerdict: verdict.optional(),
            dmarcVerdict: verdict.optional(),
            dmarcPolicy: z.enum(['none', 'quarantine', 'reject']).optional(),
          }),
        }),
      }),
    )
    .min(1),
});

export type SesReceiptEvent = z.input<typeof sesReceiptEventSchema>;

/** The deliveries in an SES event, with SES's verdicts when the receipt carries all of them. */
export function deliveriesFromEvent(event: z.output<typeof sesReceiptEventSchema>): InboundDelivery[] {
  return event.Records.map(({ ses: { mail, receipt } }) => {
    const { spamVerdict, virusVerdict, spfVerdict, dkimVerdict, dmarcVerdict } = receipt;
    const verdicts: Verdicts | undefined =
      spamVerdict && virusVerdict && spfVerdict && dkimVerdict && dmarcVerdict
        ? {
            spam: spamVerdict.status,
            virus: virusVerdict.status,
            spf: spfVerdict.status,
            dkim: dkimVerdict.status,
            dmarc: dmarcVerdict.status,
            ...(receipt.dmarcPolicy ? { dmarcPolicy: receipt.dmarcPolicy } : {}),
          }
        : undefined;
    const source = mail.source.trim();
    return {
      sesMessageId: mail.messageId,
      envelopeSender: source === '<>' ? '' : source.toLowerCase(),
      recipients: (receipt.recipients.length > 0 ? receipt.recipients : mail.destination).map((r) => r.toLowerCase()),
      ...(verdicts ? { verdicts } : {}),
      receivedAt: new Date(receipt.timestamp ?? mail.timestamp).toISOString(),
    };
  });
}

import * as z from '../commons/validation';
import type { Verdicts } from '../mail/types';
import type { InboundDelivery } from './receive-message';

const verdict = z.optional(z.object({ status: z.enum(['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED']) }));

/** The event SES's Lambda action delivers (fields Concierge reads; the rest passes through). */
export const sesReceiptEventSchema = z.object({
  Records: z
    .array(
      z.object({
        eventSource: z.literal('aws:ses'),
        ses: z.object({
          mail: z.object({
            messageId: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,200}$/, 'SES message id has unexpected characters')),
            source: z._default(z.string(), ''),
            timestamp: z.iso.datetime({ offset: true }),
            destination: z._default(z.array(z.string()), []),
          }),
          receipt: z.object({
            timestamp: z.optional(z.iso.datetime({ offset: true })),
            recipients: z._default(z.array(z.string()), []),
            spamVerdict: verdict,
            virusVerdict: verdict,
            spfVerdict: verdict,
            dkimVerdict: verdict,
            dmarcVerdict: verdict,
            dmarcPolicy: z.optional(z.enum(['none', 'quarantine', 'reject'])),
          }),
        }),
      }),
    )
    .check(z.minLength(1)),
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

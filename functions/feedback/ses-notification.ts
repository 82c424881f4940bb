/**
 * SES feedback as it arrives through SNS: the Lambda event's records, each carrying one SES notification as
 * JSON text. Two formats say the same thing: identity notifications name their kind in `notificationType`,
 * configuration-set event publishing in `eventType`; both are read. Anything that is not a well-formed bounce
 * or complaint is refused with a reason, never thrown: a malformed message would otherwise be retried forever.
 */
import * as z from '../commons/validation';
import { normaliseAddress, type SuppressionDetails } from '../suppression/model';

/** The Lambda event of an SNS subscription; only what is read is checked. */
export const snsEventSchema = z.object({
  Records: z.array(
    z.object({
      Sns: z.object({
        MessageId: z.string(),
        Message: z.string(),
        Type: z.optional(z.string()),
        TopicArn: z.optional(z.string()),
      }),
    }),
  ),
});
export type SnsEvent = z.infer<typeof snsEventSchema>;

/** Notifications are a few KB; one far larger is not SES's. */
const MAX_NOTIFICATION_CHARS = 256 * 1024;
const address = z.string().check(z.minLength(3), z.maxLength(2048), z.regex(/@/));
const text = (max: number) => z.string().check(z.maxLength(max));

const mailSchema = z.object({
  messageId: z.string().check(z.minLength(1), z.maxLength(200)),
  timestamp: z.optional(z.string()),
  source: z.optional(z.string()),
  destination: z.optional(z.array(z.string())),
});

const bounceSchema = z.object({
  bounceType: z.enum(['Undetermined', 'Permanent', 'Transient']),
  bounceSubType: z.optional(text(100)),
  bouncedRecipients: z.array(
    z.object({
      emailAddress: address,
      action: z.optional(z.nullable(text(100))),
      status: z.optional(z.nullable(text(100))),
      diagnosticCode: z.optional(z.nullable(text(4000))),
    }),
  ).check(z.minLength(1)),
  timestamp: z.string(),
  feedbackId: z.string().check(z.minLength(1), z.maxLength(200)),
});

const complaintSchema = z.object({
  complainedRecipients: z.array(z.object({ emailAddress: address })).check(z.minLength(1)),
  complaintFeedbackType: z.optional(z.nullable(text(100))),
  complaintSubType: z.optional(z.nullable(text(100))),
  timestamp: z.string(),
  feedbackId: z.string().check(z.minLength(1), z.maxLength(200)),
});

const notificationSchema = z.object({
  notificationType: z.optional(z.string()),
  eventType: z.optional(z.string()),
  mail: mailSchema,
  bounce: z.optional(bounceSchema),
  complaint: z.optional(complaintSchema),
});

export interface FeedbackRecipient extends SuppressionDetails {
  email: string;
}

/** A bounce or complaint SES reported about mail we sent (`sesMessageId`), in plain terms. */
export type FeedbackNotification =
  | { kind: 'bounce'; permanent: boolean; sesMessageId: string; feedbackId: string; at: string; recipients: FeedbackRecipient[] }
  | { kind: 'complaint'; sesMessageId: string; feedbackId: string; at: string; recipients: FeedbackRecipient[] }
  /** Deliveries, sends, opens…: not feedback this desk acts on. */
  | { kind: 'ignored'; type: string };

export type ParsedFeedback = { ok: true; notification: FeedbackNotification } | { ok: false; reason: string };

const isoOr = (value: string, fallback: string) => (Number.isNaN(Date.parse(value)) ? fallback : new Date(value).toISOString());

/** One SNS message's text read as an SES notification; `now` stands in for a timestamp that does not parse. */
export function parseFeedbackNotification(message: string, now: Date): ParsedFeedback {
  if (message.length > MAX_NOTIFICATION_CHARS) return { ok: false, reason: `notification larger than ${MAX_NOTIFICATION_CHARS} characters` };
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { ok: false, reason: 'the SNS message is not JSON' };
  }
  const kind = json && typeof json === 'object' ? ((json as Record<string, unknown>).notificationType ?? (json as Record<string, unknown>).eventType) : undefined;
  if (typeof kind !== 'string') return { ok: false, reason: 'neither notificationType nor eventType names the notification' };
  if (kind !== 'Bounce' && kind !== 'Complaint') return { ok: true, notification: { kind: 'ignored', type: kind.slice(0, 50) } };
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `not an SES ${kind} notification: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ').slice(0, 300)}` };
  const { mail, bounce, complaint } = parsed.data;
  const fallback = now.toISOString();
  if (kind === 'Bounce') {
    if (!bounce) return { ok: false, reason: 'a Bounce notification without its bounce object' };
    return {
      ok: true,
      notification: {
        kind: 'bounce',
        permanent: bounce.bounceType === 'Permanent',
        sesMessageId: mail.messageId,
        feedbackId: bounce.feedbackId,
        at: isoOr(bounce.timestamp, fallback),
        recipients: bounce.bouncedRecipients.map((recipient) => ({
          email: normaliseAddress(recipient.emailAddress),
          bounceType: bounce.bounceType,
          ...(bounce.bounceSubType ? { bounceSubType: bounce.bounceSubType } : {}),
          ...(recipient.diagnosticCode ? { diagnosticCode: recipient.diagnosticCode } : {}),
          ...(recipient.status ? { status: recipient.status } : {}),
        })),
      },
    };
  }
  if (!complaint) return { ok: false, reason: 'a Complaint notification without its complaint object' };
  return {
    ok: true,
    notification: {
      kind: 'complaint',
      sesMessageId: mail.messageId,
      feedbackId: complaint.feedbackId,
      at: isoOr(complaint.timestamp, fallback),
      recipients: complaint.complainedRecipients.map((recipient) => ({
        email: normaliseAddress(recipient.emailAddress),
        ...(complaint.complaintFeedbackType ? { complaintFeedbackType: complaint.complaintFeedbackType } : {}),
      })),
    },
  };
}

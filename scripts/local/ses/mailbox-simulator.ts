/**
 * SES's mailbox simulator, locally: mail the SES stand-in accepts for `bounce@simulator.amazonses.com`
 * produces a permanent bounce notification, for `complaint@…` a complaint, for `suppressionlist@…` the bounce
 * SES gives an address on the account-level suppression list; `success@…` (and every other address) simply
 * succeeds. Each notification is SES's own format (`eventType` when the send named a configuration set, as
 * event publishing writes it, `notificationType` otherwise) inside the event an SNS subscription hands
 * Lambda. A `+label` before the `@` is allowed, as SES allows it.
 */
import { randomUUID } from 'node:crypto';
import type { LocalSesEnvelope } from './outbox';

export const SIMULATOR_DOMAIN = 'simulator.amazonses.com';
const LOCAL_ACCOUNT = '000000000000';

type Outcome = { kind: 'Bounce'; bounceSubType: string; status: string; diagnosticCode: string } | { kind: 'Complaint' };

function simulatedOutcome(address: string): Outcome | undefined {
  const match = address.trim().toLowerCase().match(/^([a-z]+)(?:\+[^@]*)?@(.+)$/);
  if (!match || match[2] !== SIMULATOR_DOMAIN) return undefined;
  switch (match[1]) {
    case 'bounce':
      return { kind: 'Bounce', bounceSubType: 'General', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' };
    case 'suppressionlist':
      return { kind: 'Bounce', bounceSubType: 'OnAccountSuppressionList', status: '5.1.1', diagnosticCode: 'Amazon SES did not send the message to this address because it is on the suppression list for your account.' };
    case 'complaint':
      return { kind: 'Complaint' };
    default:
      return undefined;
  }
}

/** A feedback id in SES's shape: the time in hex, a UUID, a counter. */
function feedbackId(now: Date): string {
  return `${now.getTime().toString(16).padStart(16, '0')}-${randomUUID()}-000000`;
}

/** The SES notification for one simulated recipient, as JSON text. */
export function simulatorNotification(envelope: LocalSesEnvelope, recipient: string, at: Date): string | undefined {
  const outcome = simulatedOutcome(recipient);
  if (!outcome) return undefined;
  const kindField = envelope.configurationSetName ? { eventType: outcome.kind } : { notificationType: outcome.kind };
  const mail = {
    timestamp: envelope.acceptedAt,
    source: envelope.source ?? '',
    sourceArn: `arn:aws:ses:${envelope.region}:${LOCAL_ACCOUNT}:identity/${(envelope.source ?? '').split('@')[1] ?? ''}`,
    sendingAccountId: LOCAL_ACCOUNT,
    messageId: envelope.sesMessageId,
    destination: envelope.destinations,
    ...(envelope.configurationSetName ? { tags: { 'ses:configuration-set': [envelope.configurationSetName] } } : {}),
  };
  if (outcome.kind === 'Complaint') {
    return JSON.stringify({
      ...kindField,
      complaint: { complainedRecipients: [{ emailAddress: recipient }], timestamp: at.toISOString(), feedbackId: feedbackId(at), userAgent: 'Amazon SES Mailbox Simulator', complaintFeedbackType: 'abuse' },
      mail,
    });
  }
  return JSON.stringify({
    ...kindField,
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: outcome.bounceSubType,
      bouncedRecipients: [{ emailAddress: recipient, action: 'failed', status: outcome.status, diagnosticCode: outcome.diagnosticCode }],
      timestamp: at.toISOString(),
      feedbackId: feedbackId(at),
      reportingMTA: 'dsn; a8-70.smtp-out.amazonses.com',
    },
    mail,
  });
}

/** The event an SNS subscription gives Lambda for one message published to the feedback topic. */
export function snsLambdaEvent(message: string, region: string, at: Date) {
  const topicArn = `arn:aws:sns:${region}:${LOCAL_ACCOUNT}:concierge-ses-feedback`;
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: topicArn,
          Subject: null,
          Message: message,
          Timestamp: at.toISOString(),
          SignatureVersion: '1',
          Signature: 'local',
          SigningCertUrl: 'https://sns.local/SimpleNotificationService.pem',
          UnsubscribeUrl: 'https://sns.local/?Action=Unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** Every feedback event one accepted send produces: one per simulated recipient. */
export function simulatedFeedback(envelope: LocalSesEnvelope, at: Date): ReturnType<typeof snsLambdaEvent>[] {
  return envelope.destinations.flatMap((recipient) => {
    const message = simulatorNotification(envelope, recipient, at);
    return message ? [snsLambdaEvent(message, envelope.region, at)] : [];
  });
}

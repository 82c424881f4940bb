import { describe, expect, it } from 'vitest';
import { parseFeedbackNotification } from '../../functions/feedback/ses-notification';
import { simulatedFeedback, simulatorNotification } from '../../scripts/local/ses/mailbox-simulator';
import type { LocalSesEnvelope } from '../../scripts/local/ses/outbox';

const AT = new Date('2026-11-22T10:00:00.000Z');
const envelope = (destinations: string[], extra: Partial<LocalSesEnvelope> = {}): LocalSesEnvelope => ({
  sesMessageId: '010001a2-aaaa-bbbb-cccc-000000000000-000000',
  action: 'SendRawEmail',
  acceptedAt: AT.toISOString(),
  region: 'us-east-1',
  source: 'support@concierge.test',
  destinations,
  ...extra,
});

describe('the local mailbox simulator', () => {
  it('answers bounce@ with a permanent bounce SES’s way, which the feedback handler reads', () => {
    const message = simulatorNotification(envelope(['bounce@simulator.amazonses.com']), 'bounce@simulator.amazonses.com', AT)!;
    expect(JSON.parse(message)).toMatchObject({ notificationType: 'Bounce', mail: { messageId: '010001a2-aaaa-bbbb-cccc-000000000000-000000' } });
    expect(parseFeedbackNotification(message, AT)).toMatchObject({ ok: true, notification: { kind: 'bounce', permanent: true, recipients: [{ email: 'bounce@simulator.amazonses.com', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] } });
  });

  it('writes eventType, as event publishing does, when the send named a configuration set', () => {
    const message = simulatorNotification(envelope(['complaint@simulator.amazonses.com'], { configurationSetName: 'concierge-outbound' }), 'complaint@simulator.amazonses.com', AT)!;
    expect(JSON.parse(message)).toMatchObject({ eventType: 'Complaint', mail: { tags: { 'ses:configuration-set': ['concierge-outbound'] } } });
    expect(parseFeedbackNotification(message, AT)).toMatchObject({ ok: true, notification: { kind: 'complaint', recipients: [{ complaintFeedbackType: 'abuse' }] } });
  });

  it('bounces suppressionlist@ and labelled addresses; success@ and everyone else simply succeed', () => {
    const events = simulatedFeedback(envelope(['success@simulator.amazonses.com', 'Bounce+label@Simulator.AmazonSES.com', 'suppressionlist@simulator.amazonses.com', 'alice@example.com']), AT);
    expect(events).toHaveLength(2);
    const parsed = events.map((event) => parseFeedbackNotification(event.Records[0]!.Sns.Message, AT));
    expect(parsed).toMatchObject([
      { ok: true, notification: { kind: 'bounce', recipients: [{ email: 'bounce+label@simulator.amazonses.com', bounceSubType: 'General' }] } },
      { ok: true, notification: { kind: 'bounce', recipients: [{ email: 'suppressionlist@simulator.amazonses.com', bounceSubType: 'OnAccountSuppressionList' }] } },
    ]);
    expect(events[0]!.Records[0]!.Sns).toMatchObject({ Type: 'Notification', TopicArn: expect.stringMatching(/^arn:aws:sns:us-east-1:/) });
  });
});

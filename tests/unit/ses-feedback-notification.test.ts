import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFeedbackNotification, snsEventSchema } from '../../functions/feedback/ses-notification';
import { PROJECT_ROOT } from '../helpers/corpus';

const sample = (name: string) => readFileSync(join(PROJECT_ROOT, 'tests/fixtures/feedback', name), 'utf8');
const NOW = new Date('2026-11-22T10:00:00Z');

describe('SES feedback notifications', () => {
  it('reads a permanent bounce in the identity-notification format (notificationType)', () => {
    // Act
    const parsed = parseFeedbackNotification(sample('identity-bounce-permanent.json'), NOW);

    // Assess
    expect(parsed).toEqual({
      ok: true,
      notification: {
        kind: 'bounce',
        permanent: true,
        sesMessageId: '01010157e48f9b9b-891e9a0e-9c9d-4773-9bfe-608f2ef4756d-000000',
        feedbackId: '01010157e48fa03f-c7e948fe-3c34-403e-b681-02a497797067-000000',
        at: '2016-10-21T00:06:40.502Z',
        recipients: [{ email: 'bounce@simulator.amazonses.com', bounceType: 'Permanent', bounceSubType: 'General', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
      },
    });
  });

  it('reads a permanent bounce in the event-publishing format (eventType), lower-casing the address', () => {
    const parsed = parseFeedbackNotification(sample('event-bounce-permanent.json'), NOW);
    expect(parsed).toMatchObject({ ok: true, notification: { kind: 'bounce', permanent: true, sesMessageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000', recipients: [{ email: 'recipient@example.com' }] } });
  });

  it('reads complaints in both formats, with the feedback type', () => {
    expect(parseFeedbackNotification(sample('identity-complaint.json'), NOW)).toMatchObject({
      ok: true,
      notification: { kind: 'complaint', sesMessageId: '01010158992bd11e-d46429af-0ec9-4aaf-8503-6f7ca5832ca2-000000', recipients: [{ email: 'complaint@simulator.amazonses.com', complaintFeedbackType: 'abuse' }] },
    });
    expect(parseFeedbackNotification(sample('event-complaint.json'), NOW)).toMatchObject({ ok: true, notification: { kind: 'complaint', recipients: [{ email: 'recipient@example.com' }] } });
  });

  it('tells a transient bounce from a permanent one', () => {
    expect(parseFeedbackNotification(sample('identity-bounce-transient.json'), NOW)).toMatchObject({ ok: true, notification: { kind: 'bounce', permanent: false, recipients: [{ email: 'jane@example.com', bounceType: 'Transient' }] } });
  });

  it('passes over deliveries without acting on them', () => {
    expect(parseFeedbackNotification(sample('identity-delivery.json'), NOW)).toEqual({ ok: true, notification: { kind: 'ignored', type: 'Delivery' } });
  });

  it('reads the SES notification inside an SNS envelope', () => {
    // Prepare: the envelope as SNS delivers it to an email or HTTP subscriber; Lambda's record carries the same Message
    const envelope = JSON.parse(sample('sns-envelope-bounce.json')) as { MessageId: string; Message: string; Type: string };
    const event = { Records: [{ EventSource: 'aws:sns', Sns: envelope }] };

    // Act
    const records = snsEventSchema.parse(event).Records;

    // Assess
    expect(parseFeedbackNotification(records[0]!.Sns.Message, NOW)).toMatchObject({ ok: true, notification: { kind: 'bounce', permanent: true, sesMessageId: '01010157e6083857-2c73eed0-71f8-47d1-ab77-c4646f9d776d-000000' } });
  });

  it.each([
    ['not JSON', 'hello', /not JSON/],
    ['no kind', '{"mail":{"messageId":"x"}}', /neither notificationType nor eventType/],
    ['a bounce without recipients', JSON.stringify({ notificationType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [], timestamp: 'x', feedbackId: 'f' }, mail: { messageId: 'm' } }), /bouncedRecipients/],
    ['a bounce without its object', JSON.stringify({ eventType: 'Bounce', mail: { messageId: 'm' } }), /without its bounce object/],
    ['a complaint without mail', JSON.stringify({ notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'a@b.c' }], timestamp: 't', feedbackId: 'f' } }), /mail/],
    ['a recipient that is no address', JSON.stringify({ notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'nobody' }], timestamp: 't', feedbackId: 'f' }, mail: { messageId: 'm' } }), /emailAddress/],
    ['an oversized message', `{"notificationType":"Bounce","pad":"${'x'.repeat(300 * 1024)}"}`, /larger than/],
  ])('refuses %s with a reason', (_name, message, reason) => {
    const parsed = parseFeedbackNotification(message, NOW);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toMatch(reason);
  });

  it('takes the time of receipt when the notification’s timestamp does not parse', () => {
    const message = JSON.stringify({ notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'a@b.example' }], timestamp: 'yesterday', feedbackId: 'f' }, mail: { messageId: 'm' } });
    expect(parseFeedbackNotification(message, NOW)).toMatchObject({ ok: true, notification: { at: NOW.toISOString() } });
  });
});

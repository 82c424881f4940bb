/**
 * The acknowledgement's state machine under failure, with the real store (DynamoDB Local), the S3 server and
 * the SES stand-in. Faults are injected at the seams a Lambda can die at; the SES endpoint counts what it
 * really accepted.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInboundConfig } from '../../functions/commons/config';
import { S3RawMailStore } from '../../functions/inbound/raw-mail-store';
import { ACK_CLAIM_LEASE_MS, receiveMessage, type InboundDelivery, type InboundDependencies } from '../../functions/inbound/receive-message';
import type { OutboundMail } from '../../functions/outbound/acknowledgement';
import { SesMailSender } from '../../functions/outbound/ses-mail-sender';
import { DynamoTicketStore } from '../../functions/tickets/dynamodb-ticket-store';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
let s3: S3Client;
let store: DynamoTicketStore;
let realSender: SesMailSender;
let settings: InboundDependencies['settings'];

beforeAll(async () => {
  stack = await startTestStack();
  const config = loadInboundConfig();
  if (!('value' in config.replyTokenSecret)) throw new Error('the local stack sets REPLY_TOKEN_SECRET');
  const credentials = { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY };
  s3 = new S3Client({ region: 'us-east-1', endpoint: stack.s3Endpoint, forcePathStyle: true, credentials });
  store = new DynamoTicketStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoEndpoint, credentials }), { marshallOptions: { removeUndefinedValues: true } }),
    stack.tableName,
  );
  realSender = new SesMailSender(new SESClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL_SES, credentials }));
  settings = { ...config, replyTokenSecret: config.replyTokenSecret.value };
});

afterAll(async () => {
  s3?.destroy();
  await stack?.teardown();
});

async function stored(from: string): Promise<InboundDelivery> {
  const sesMessageId = randomBytes(20).toString('hex');
  const raw = composeMessage({ from, subject: 'Help', text: 'Please help.' });
  await s3.send(new PutObjectCommand({ Bucket: stack.rawMailBucket, Key: `${stack.rawMailPrefix}${sesMessageId}`, Body: raw }));
  const verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' } as const;
  return { sesMessageId, envelopeSender: from, recipients: [stack.supportAddress], verdicts, receivedAt: new Date().toISOString() };
}

const outboxCount = () => readdirSync(stack.outboxDir).filter((name) => name.endsWith('.eml')).length;

function deps(overrides: Partial<InboundDependencies> = {}): InboundDependencies {
  return { store, rawMail: new S3RawMailStore(s3, stack.rawMailBucket), mailSender: realSender, settings, ...overrides };
}

describe('acknowledgement exactly once, or never twice', () => {
  it('a send that failed is retried by the redelivery, and sent once', async () => {
    // Prepare: SES is unreachable for the first attempt
    const delivery = await stored('retry@customer.example');
    const before = outboxCount();
    const failingOnce = { send: async (_mail: OutboundMail): Promise<{ sesMessageId: string }> => Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })) };

    // Act
    await expect(receiveMessage(delivery, deps({ mailSender: failingOnce }))).rejects.toThrow('socket hang up');
    const retried = await receiveMessage(delivery, deps());

    // Assess
    expect(retried).toMatchObject({ outcome: 'duplicate', acknowledgement: 'sent' });
    expect(outboxCount() - before).toBe(1);
    expect((await store.getReceipt(delivery.sesMessageId))?.ackState).toBe('sent');
  });

  it('after SES accepted the send but the record failed, no redelivery sends again', async () => {
    // Prepare: the store fails right after SES took the message, as a Lambda dying there would leave it
    const delivery = await stored('crash@customer.example');
    const before = outboxCount();
    const crashingStore = Object.create(store) as DynamoTicketStore;
    crashingStore.recordAcknowledgementSent = async () => Promise.reject(new Error('function timed out'));

    // Act: the crashed attempt, a redelivery inside the lease, and one after it
    await expect(receiveMessage(delivery, deps({ store: crashingStore }))).rejects.toThrow('function timed out');
    const insideLease = await receiveMessage(delivery, deps());
    const afterLease = await receiveMessage(delivery, deps({ now: () => new Date(Date.now() + ACK_CLAIM_LEASE_MS + 1_000) }));

    // Assess
    expect(outboxCount() - before).toBe(1);
    expect(insideLease).toMatchObject({ outcome: 'duplicate', acknowledgement: 'claimed-elsewhere' });
    expect(afterLease).toMatchObject({ outcome: 'duplicate', acknowledgement: 'unknown' });
    expect((await store.getReceipt(delivery.sesMessageId))?.ackState).toBe('unknown');
  });

  it('a failed send gives its hourly slot back', async () => {
    // Prepare: five failures in a row for one sender, then a good send
    const sender = 'unlucky@customer.example';
    const failing = { send: async (): Promise<{ sesMessageId: string }> => Promise.reject(Object.assign(new Error('throttled'), { name: 'Throttling' })) };
    for (let i = 0; i < 5; i += 1) {
      await expect(receiveMessage(await stored(sender), deps({ mailSender: failing }))).rejects.toThrow('throttled');
    }

    // Act
    const result = await receiveMessage(await stored(sender), deps());

    // Assess
    expect(result).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'sent' });
  });
});

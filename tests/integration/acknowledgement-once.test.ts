/**
 * The acknowledgement's send-once mechanism under failure, with the real store (DynamoDB Local), the S3
 * server and the SES stand-in. Faults are injected at the seams a Lambda can die at; the SES endpoint counts
 * what it really accepted.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRosterStore } from '../../functions/adapters/dynamodb/roster';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import { loadInboundConfig } from '../../functions/commons/config';
import { S3RawMailStore } from '../../functions/inbound/raw-mail-store';
import { ACK_CLAIM_LEASE_MS, receiveMessage, type InboundDelivery, type InboundDependencies, type InboundSettings } from '../../functions/inbound/receive-message';
import type { OutboundMail } from '../../functions/outbound/acknowledgement';
import { SesMailSender } from '../../functions/outbound/ses-mail-sender';
import { messageIdKey } from '../../functions/tickets/references';
import type { AlongsideWrites, SendOnceLedger, TicketStore } from '../../functions/ports/ticket-store';
import type { TicketMessage } from '../../functions/tickets/model';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
let s3: S3Client;
let store: DynamoTicketStore;
let roster: DynamoRosterStore;
let realSender: SesMailSender;
let settings: InboundSettings;

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
  roster = new DynamoRosterStore(
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
  return { store, roster, rawMail: new S3RawMailStore(s3, stack.rawMailBucket), mailSender: realSender, settings, ...overrides };
}

/** The store with the acknowledgement's ledger wrapped by `wrap`. */
function storeWithLedger(wrap: (ledger: SendOnceLedger) => SendOnceLedger): TicketStore {
  const wrapped = Object.create(store) as DynamoTicketStore;
  wrapped.acknowledgementLedger = (ticketId: string, message: TicketMessage, alongside?: AlongsideWrites) => wrap(store.acknowledgementLedger(ticketId, message, alongside));
  return wrapped;
}

async function acknowledgementOf(ticketId: string) {
  const ticket = await store.getTicket(ticketId);
  const messages = await store.listMessages(ticketId);
  return { ack: ticket?.ack, message: messages.find((message) => message.purpose === 'acknowledgement') };
}

describe('acknowledgement exactly once, or never twice', () => {
  it('a send that failed is retried by the redelivery, and sent once', async () => {
    // Prepare: SES is unreachable for the first attempt
    const delivery = await stored('retry@customer.example');
    const before = outboxCount();
    const failingOnce = { send: async (_mail: OutboundMail): Promise<{ sesMessageId: string }> => Promise.reject(Object.assign(new Error('Maximum sending rate exceeded'), { name: 'Throttling' })) };

    // Act
    await expect(receiveMessage(delivery, deps({ mailSender: failingOnce }))).rejects.toThrow('Maximum sending rate exceeded');
    const storedByFailedAttempt = await store.listMessages((await store.listTicketsByCustomer('retry@customer.example', 1)).items[0]!.id);
    const retried = await receiveMessage(delivery, deps());

    // Assess: the failed attempt stored the first message already
    expect(storedByFailedAttempt.map((message) => message.direction)).toEqual(['inbound']);
    expect(retried).toMatchObject({ outcome: 'duplicate', acknowledgement: 'sent' });
    expect(outboxCount() - before).toBe(1);
    const ticketId = retried.outcome === 'duplicate' ? retried.ticketId! : '';
    expect((await store.listMessages(ticketId)).map((message) => message.direction)).toEqual(['inbound', 'outbound']);
    const { message } = await acknowledgementOf(ticketId);
    expect(message).toMatchObject({ sendState: 'sent', messageId: expect.stringMatching(/@email\.amazonses\.com>$/) });
  });

  it('records what SES accepted even when the first write after the send fails', async () => {
    // Prepare: the first attempt to record the send fails (a throttled or dropped write), later ones land
    const delivery = await stored('flaky-record@customer.example');
    const before = outboxCount();
    let failures = 0;
    const flakyStore = storeWithLedger((ledger) => ({
      claim: ledger.claim.bind(ledger),
      release: ledger.release.bind(ledger),
      reject: ledger.reject.bind(ledger),
      suppress: ledger.suppress.bind(ledger),
      settleUnknown: ledger.settleUnknown.bind(ledger),
      withhold: ledger.withhold.bind(ledger),
      recordSent: async (holder, sent) => {
        if (failures === 0) {
          failures += 1;
          throw Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
        }
        return ledger.recordSent(holder, sent);
      },
    }));

    // Act
    const result = await receiveMessage(delivery, deps({ store: flakyStore }));
    const redelivered = await receiveMessage(delivery, deps({ now: () => new Date(Date.now() + ACK_CLAIM_LEASE_MS + 1_000) }));

    // Assess: recorded as sent, so a redelivery even after the lease neither sends nor calls it unknown
    expect(failures).toBe(1);
    expect(result).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'sent' });
    expect(redelivered).toMatchObject({ outcome: 'duplicate', acknowledgement: 'sent' });
    expect(outboxCount() - before).toBe(1);
    const { message } = await acknowledgementOf(result.outcome === 'ticket-created' ? result.ticketId : '');
    expect(message?.sendState).toBe('sent');
  });

  it('after SES accepted the send but the function died before recording it, no redelivery sends again, and the redelivery stores the first message', async () => {
    // Prepare: every write after the send fails, as a Lambda dying right after the send would leave it
    const delivery = await stored('crash@customer.example');
    const before = outboxCount();
    const crashingStore = storeWithLedger((ledger) => ({
      claim: ledger.claim.bind(ledger),
      release: ledger.release.bind(ledger),
      reject: ledger.reject.bind(ledger),
      suppress: ledger.suppress.bind(ledger),
      settleUnknown: ledger.settleUnknown.bind(ledger),
      withhold: ledger.withhold.bind(ledger),
      recordSent: async () => Promise.reject(new Error('function timed out')),
    }));
    crashingStore.putMessages = async () => Promise.reject(new Error('function timed out'));

    // Act: the crashed attempt, a redelivery inside the lease, and one after it
    await expect(receiveMessage(delivery, deps({ store: crashingStore }))).rejects.toThrow('function timed out');
    const ticketId = (await store.listTicketsByCustomer('crash@customer.example', 1)).items[0]!.id;
    const storedByCrashedAttempt = await store.listMessages(ticketId);
    const insideLease = await receiveMessage(delivery, deps());
    const afterLease = await receiveMessage(delivery, deps({ now: () => new Date(Date.now() + ACK_CLAIM_LEASE_MS + 1_000) }));

    // Assess
    expect(outboxCount() - before).toBe(1);
    expect(storedByCrashedAttempt).toEqual([]);
    expect(insideLease).toMatchObject({ outcome: 'duplicate', ticketId, acknowledgement: 'claimed-elsewhere' });
    expect(afterLease).toMatchObject({ outcome: 'duplicate', ticketId, acknowledgement: 'unknown' });
    expect((await store.getTicket(ticketId))?.ack.state).toBe('unknown');
    expect((await store.listMessages(ticketId)).map((message) => [message.direction, message.key])).toEqual([['inbound', delivery.sesMessageId]]);
  }, 30_000);

  it('a send that may have reached SES (time-out, reset) is never sent again', async () => {
    // Prepare: SES's answer is lost after the request went out
    const delivery = await stored('lost-answer@customer.example');
    const before = outboxCount();
    const timingOut = { send: async (): Promise<{ sesMessageId: string }> => Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' })) };

    // Act
    const first = await receiveMessage(delivery, deps({ mailSender: timingOut }));
    const redelivered = await receiveMessage(delivery, deps({ now: () => new Date(Date.now() + ACK_CLAIM_LEASE_MS + 1_000) }));

    // Assess
    expect(first).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'unknown' });
    expect(redelivered).toMatchObject({ outcome: 'duplicate', acknowledgement: 'unknown' });
    expect(outboxCount() - before).toBe(0);
  });

  it('when counting the acknowledgement fails before the send, the retry of the delivery still acknowledges, once', async () => {
    // Prepare: the hourly count cannot be reached on the first attempt
    const delivery = await stored('count-fails@customer.example');
    const before = outboxCount();
    const failingCount = Object.create(store) as DynamoTicketStore;
    failingCount.takeAckAllowance = async () => Promise.reject(Object.assign(new Error('Internal server error'), { name: 'InternalServerError' }));

    // Act: the failed attempt, then Lambda's retry a minute later, inside the claim's lease
    await expect(receiveMessage(delivery, deps({ store: failingCount }))).rejects.toThrow('Internal server error');
    const ticketId = (await store.listTicketsByCustomer('count-fails@customer.example', 1)).items[0]!.id;
    const afterFailure = await store.getTicket(ticketId);
    const retried = await receiveMessage(delivery, deps({ now: () => new Date(Date.now() + 60_000) }));

    // Assess: the failed attempt let go of its claim and stored the first message; the retry sent once
    expect(afterFailure?.ack.state).toBe('pending');
    expect(retried).toMatchObject({ outcome: 'duplicate', ticketId, acknowledgement: 'sent' });
    expect(outboxCount() - before).toBe(1);
    expect((await store.listMessages(ticketId)).map((message) => message.direction)).toEqual(['inbound', 'outbound']);
  });

  it('stores the first message in the same write as the record of the send', async () => {
    // Prepare: count the store's writes of messages outside the send's record
    const delivery = await stored('one-write@customer.example');
    const separateWrites: number[] = [];
    const counting = Object.create(store) as DynamoTicketStore;
    counting.putMessages = async (messages, messageIds) => {
      separateWrites.push(messages.length + messageIds.length);
      return store.putMessages(messages, messageIds);
    };

    // Act
    const result = await receiveMessage(delivery, deps({ store: counting }));

    // Assess
    expect(result).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'sent' });
    expect(separateWrites).toEqual([]);
    const messages = await store.listMessages(result.outcome === 'ticket-created' ? result.ticketId : '');
    expect(messages.map((message) => [message.direction, message.sendState ?? 'received'])).toEqual([
      ['inbound', 'received'],
      ['outbound', 'sent'],
    ]);
    expect(await store.lookupMessageIds([messageIdKey(messages[0]!.messageId)])).toEqual(new Map([[messageIdKey(messages[0]!.messageId), expect.objectContaining({ sesMessageId: delivery.sesMessageId })]]));
  });

  it('a claim is released only by its holder', async () => {
    // Prepare: a ticket whose acknowledgement a first holder claimed and whose lease ran out
    const delivery = await stored('two-holders@customer.example');
    const failing = { send: async (): Promise<{ sesMessageId: string }> => Promise.reject(Object.assign(new Error('throttled'), { name: 'Throttling' })) };
    await expect(receiveMessage(delivery, deps({ mailSender: failing }))).rejects.toThrow('throttled');
    const ticketId = (await store.listTicketsByCustomer('two-holders@customer.example', 1)).items[0]!.id;
    const { message } = await acknowledgementOf(ticketId);
    const ledger = store.acknowledgementLedger(ticketId, message!);
    const now = Date.now();
    expect(await ledger.claim('holder-b', now, now + ACK_CLAIM_LEASE_MS)).toEqual({ status: 'claimed' });

    // Act: a stale holder tries to give the claim back and to refuse it
    await ledger.release('holder-a');
    await ledger.reject('holder-a', 'stale');

    // Assess: the claim is still holder-b's
    expect((await store.getTicket(ticketId))?.ack).toMatchObject({ state: 'sending', holder: 'holder-b' });
    await ledger.release('holder-b');
    expect((await store.getTicket(ticketId))?.ack.state).toBe('pending');
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

  it('the sixth new ticket in an hour from one sender opens unacknowledged for good, with its first message', async () => {
    // Prepare: five acknowledged tickets from one sender in one clock hour
    const sender = 'frequent@customer.example';
    const before = outboxCount();
    const inOneHour = new Date();
    for (let i = 0; i < 5; i += 1) expect(await receiveMessage(await stored(sender), deps({ now: () => inOneHour }))).toMatchObject({ acknowledgement: 'sent' });
    const sixth = await stored(sender);

    // Act: the sixth, and a redelivery of it after the claim's lease
    const result = await receiveMessage(sixth, deps({ now: () => inOneHour }));
    const redelivered = await receiveMessage(sixth, deps({ now: () => new Date(inOneHour.getTime() + ACK_CLAIM_LEASE_MS + 1_000) }));

    // Assess
    expect(result).toMatchObject({ outcome: 'ticket-created', acknowledgement: 'rate-limited' });
    expect(redelivered).toMatchObject({ outcome: 'duplicate' });
    expect(outboxCount() - before).toBe(5);
    const ticketId = result.outcome === 'ticket-created' ? result.ticketId : '';
    expect((await store.getTicket(ticketId))?.ack).toEqual({ state: 'rate-limited' });
    expect((await store.listMessages(ticketId)).map((message) => message.direction)).toEqual(['inbound']);
  });
});

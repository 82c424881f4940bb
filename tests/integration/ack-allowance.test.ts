/**
 * The hourly acknowledgement count against DynamoDB Local: one item per clock hour holds the desk's total and
 * each sender's count, and one conditional update checks and counts both caps.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ackCountKey, senderCountAttribute } from '../../functions/adapters/dynamodb/keys';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import type { AckAllowance } from '../../functions/ports/ticket-store';
import { itemSize, WRITE_UNIT_BYTES } from '../../scripts/bench/billing';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
let raw: DynamoDBClient;
let store: DynamoTicketStore;

beforeAll(async () => {
  stack = await startTestStack();
  raw = new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoEndpoint, credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } });
  store = new DynamoTicketStore(DynamoDBDocumentClient.from(raw), stack.tableName);
});

afterAll(async () => {
  raw?.destroy();
  await stack?.teardown();
});

const allowanceFor = (hour: string, sender: string, limits: { deskLimit: number; perSenderLimit: number }): AckAllowance => ({ sender, hour, ...limits });

async function countItem(hour: string) {
  const key = ackCountKey(hour);
  return (await raw.send(new GetItemCommand({ TableName: stack.tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }))).Item;
}

describe('the hourly acknowledgement count', () => {
  it('grants up to the desk cap across distinct senders, in an item of about 3 KB at the default cap, and writes nothing past it', async () => {
    // Prepare: the default desk cap of 200, each acknowledgement to a new sender
    const hour = '2030-01-01T00';
    const limits = { deskLimit: 200, perSenderLimit: 5 };

    // Act
    const answers: string[] = [];
    for (let start = 0; start < 200; start += 25) {
      answers.push(...(await Promise.all(Array.from({ length: 25 }, (_, i) => store.takeAckAllowance(allowanceFor(hour, `sender.${start + i}@customer.example`, limits))))));
    }
    const atCap = await countItem(hour);
    const past = await store.takeAckAllowance(allowanceFor(hour, 'one.more@customer.example', limits));
    const afterRefusal = await countItem(hour);

    // Assess
    expect(answers.every((answer) => answer === 'granted')).toBe(true);
    expect(past).toBe('over-ack-limit');
    expect(afterRefusal).toEqual(atCap);
    expect(atCap?.total).toEqual({ N: '200' });
    expect(Object.keys(atCap ?? {})).toHaveLength(200 + 4);
    expect(atCap?.[senderCountAttribute('one.more@customer.example')]).toBeUndefined();
    expect(itemSize(atCap)).toBeGreaterThan(2 * WRITE_UNIT_BYTES);
    expect(itemSize(atCap)).toBeLessThanOrEqual(3 * WRITE_UNIT_BYTES);
  });

  it('refuses a sender at its own cap while others go on, and counts only what it grants', async () => {
    // Prepare
    const hour = '2030-01-01T01';
    const limits = { deskLimit: 200, perSenderLimit: 5 };
    const busy = allowanceFor(hour, 'Busy@Customer.example', limits);

    // Act
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push(await store.takeAckAllowance(busy));
    const other = await store.takeAckAllowance(allowanceFor(hour, 'other@customer.example', limits));
    const sameAddressOtherCase = await store.takeAckAllowance(allowanceFor(hour, 'busy@customer.example', limits));

    // Assess
    expect(answers).toEqual(['granted', 'granted', 'granted', 'granted', 'granted', 'over-ack-limit']);
    expect(other).toBe('granted');
    expect(sameAddressOtherCase).toBe('over-ack-limit');
    const item = await countItem(hour);
    expect(item?.total).toEqual({ N: '6' });
    expect(item?.[senderCountAttribute('busy@customer.example')]).toEqual({ N: '5' });
  });

  it('never passes the desk cap under concurrent takes', async () => {
    // Act: twenty deliveries at once against a cap of seven
    const hour = '2030-01-01T02';
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => store.takeAckAllowance(allowanceFor(hour, `burst.${i}@customer.example`, { deskLimit: 7, perSenderLimit: 5 }))));

    // Assess
    expect(answers.filter((answer) => answer === 'granted')).toHaveLength(7);
    expect((await countItem(hour))?.total).toEqual({ N: '7' });
  });

  it('takes a given-back count off the total, and a sender whose count is back to zero off the item', async () => {
    // Prepare
    const hour = '2030-01-01T03';
    const limits = { deskLimit: 200, perSenderLimit: 5 };
    const kept = allowanceFor(hour, 'kept@customer.example', limits);
    const returned = allowanceFor(hour, 'returned@customer.example', limits);
    await store.takeAckAllowance(kept);
    await store.takeAckAllowance(returned);

    // Act: one give-back, then one too many
    await store.returnAckAllowance(returned);
    await store.returnAckAllowance(returned);

    // Assess
    const item = await countItem(hour);
    expect(item?.total).toEqual({ N: '1' });
    expect(item?.[senderCountAttribute('kept@customer.example')]).toEqual({ N: '1' });
    expect(item?.[senderCountAttribute('returned@customer.example')]).toBeUndefined();
  });
});

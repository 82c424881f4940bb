/**
 * Messages per second through the real `inbound` handler on the local stack: each delivery stores the raw
 * message in the local S3 (the SES S3 action's part) and invokes the handler with an SES event, as
 * `tests/helpers/local-stack.ts` `deliver` does.
 */
import { DeleteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InboundResult } from '../../functions/inbound/receive-message';
import { composeMessage, type TestStack } from '../../tests/helpers/local-stack';
import type { CorpusItem, FollowUpTarget, Kind } from './corpus';
import { median, percentile } from './stats';

export function outcomeLabel(result: InboundResult): string {
  switch (result.outcome) {
    case 'ticket-created':
      return `ticket-created, ack ${result.acknowledgement}`;
    case 'quarantined':
      return `quarantined (${result.reason.split(':')[0] ?? result.reason})`;
    case 'discarded':
      return `discarded (${result.reason.split(':')[0] ?? result.reason})`;
    default:
      return result.outcome;
  }
}

export interface RunResult {
  messages: number;
  elapsedMs: number;
  perSecond: number;
  latencyMedianMs: number;
  latencyP90Ms: number;
  outcomes: Map<string, number>;
  /** Outcome counts per kind of input. */
  byKind: Map<Kind, Map<string, number>>;
  failures: string[];
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** Runs `work` over `items` with at most `concurrency` in flight, timing the whole and each item. */
export async function runPool(
  items: readonly CorpusItem[],
  concurrency: number,
  work: (item: CorpusItem) => Promise<string>,
  onProgress?: (done: number) => void,
): Promise<RunResult> {
  const outcomes = new Map<string, number>();
  const byKind = new Map<Kind, Map<string, number>>();
  const latencies: number[] = [];
  const failures: string[] = [];
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) {
      const item = items[index]!;
      const itemStarted = performance.now();
      let label: string;
      try {
        label = await work(item);
      } catch (error) {
        label = 'failed (thrown or dead-lettered)';
        failures.push(`${item.label}: ${error instanceof Error ? error.message : String(error)}`);
      }
      latencies.push(performance.now() - itemStarted);
      bump(outcomes, label);
      const kindMap = byKind.get(item.kind) ?? new Map<string, number>();
      bump(kindMap, label);
      byKind.set(item.kind, kindMap);
      done += 1;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  const elapsedMs = performance.now() - started;
  return {
    messages: items.length,
    elapsedMs,
    perSecond: items.length / (elapsedMs / 1000),
    latencyMedianMs: median(latencies),
    latencyP90Ms: percentile(latencies, 90),
    outcomes,
    byKind,
    failures,
  };
}

export async function deliverAll(stack: TestStack, items: readonly CorpusItem[], concurrency: number, onProgress?: (done: number) => void): Promise<RunResult> {
  return runPool(items, concurrency, async (item) => outcomeLabel(await stack.deliver(item.raw, { source: item.source })), onProgress);
}

/** Over SMTP: the receiver stamps SES's headers, stores the raw message and invokes `inbound`; `sendSmtp` waits for it. */
export async function sendAllSmtp(stack: TestStack, items: readonly CorpusItem[], onProgress?: (done: number) => void): Promise<RunResult> {
  return runPool(
    items,
    1,
    async (item) => {
      await stack.sendSmtp(item.raw, { from: item.source });
      return 'processed (outcome not reported over SMTP)';
    },
    onProgress,
  );
}

/**
 * Opens `count` tickets (untimed) and reads back each acknowledgement as the customer would see it: the
 * Message-ID SES assigned and the subject, so the follow-ups thread the way a real reply does.
 */
export async function openTicketsForFollowUps(
  count: number,
  tag: string,
  open: (raw: string, sender: string) => Promise<InboundResult>,
  acknowledgementOf: (ticketId: string) => Promise<{ messageId: string; subject: string } | undefined>,
  concurrency = 4,
): Promise<FollowUpTarget[]> {
  const targets: FollowUpTarget[] = new Array<FollowUpTarget>(count);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) {
      const customer = `seed.${tag}.${index}@customer.example`;
      const customerMessageId = `<seed.${tag}.${index}@client.example>`;
      const raw = composeMessage({ from: customer, subject: `Order ${10_000 + index} not filled`, text: 'My limit order was not filled although the price was reached.', messageId: customerMessageId });
      const result = await open(raw, customer);
      if (result.outcome !== 'ticket-created' || result.acknowledgement !== 'sent') {
        throw new Error(`seeding ticket for ${customer} gave ${JSON.stringify(result)}`);
      }
      const ack = await acknowledgementOf(result.ticketId);
      if (!ack) throw new Error(`no acknowledgement recorded on ticket ${result.ticketId}`);
      targets[index] = { customer, customerMessageId, ackMessageId: ack.messageId, ackSubject: ack.subject };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return targets;
}

/**
 * Deletes every per-sender acknowledgement counter (`ACKRATE#…` items), so each timed phase starts with the
 * same sender history: corpus files re-use their senders across phases, and without this a later phase
 * would find their hourly allowance spent and skip sending acknowledgements, doing less work.
 */
export async function clearAcknowledgementQuotas(client: DynamoDBDocumentClient, tableName: string): Promise<number> {
  let deleted = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': 'ACKRATE#' },
        ProjectionExpression: 'pk, sk',
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk } }));
      deleted += 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}

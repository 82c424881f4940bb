import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  ackRateKey,
  customerIndexKey,
  customerPartition,
  inboundKey,
  MESSAGE_SK_PREFIX,
  messageIdIndexKey,
  messageKey,
  originKey,
  quarantineMonthPartition,
  recentIndexKey,
  refKey,
  ticketKey,
  ticketMonthPartition,
} from './keys';
import type { InboundReceipt, Ticket, TicketMessage } from './model';

/** How long idempotency records live: far longer than any SES or Lambda redelivery. */
export const IDEMPOTENCY_RECORD_DAYS = 30;

/** Index names and key attributes: the CDK stack and the local stack create the table from this. */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  customerIndex: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  recentIndex: { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
} as const;

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { customerIndex, recentIndex } = TABLE_SCHEMA;
  const attributes = ['pk', 'sk', customerIndex.partitionKey, customerIndex.sortKey, recentIndex.partitionKey, recentIndex.sortKey];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [customerIndex, recentIndex].map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

/** What a write of a new delivery came to. */
export type RecordResult =
  | { status: 'recorded' }
  | { status: 'duplicate-delivery' }
  | { status: 'duplicate-origin' }
  | { status: 'ref-taken' }
  /** DynamoDB refused an item over 400 KB; the caller quarantines rather than retrying forever. */
  | { status: 'too-large' };

export interface NewMessageWrite {
  receipt: InboundReceipt;
  message: TicketMessage;
  /** Normalised Message-ID of the message, to index for threading; omitted when it is already indexed. */
  indexMessageId?: string;
  /** Sender + normalised Message-ID, for detecting re-delivery under another SES id. */
  origin?: { sender: string; messageIdKey: string };
}

export interface IndexedMessageId {
  ticketId: string;
  /** True for ids of mail Concierge sent (its own id and the one SES assigned). */
  outbound: boolean;
}

export interface CapacityListener {
  (units: { read: number; write: number }): void;
}

const epochSeconds = (days: number, now = Date.now()) => Math.floor(now / 1000) + days * 86_400;

/** Tickets, messages and delivery records in one DynamoDB table. */
export class DynamoTicketStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly onCapacity?: CapacityListener,
  ) {}

  private track(consumed: { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number } | Array<{ CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number }> | undefined, kind: 'read' | 'write'): void {
    if (!this.onCapacity || !consumed) return;
    const list = Array.isArray(consumed) ? consumed : [consumed];
    let read = 0;
    let write = 0;
    for (const entry of list) {
      read += entry.ReadCapacityUnits ?? (kind === 'read' ? (entry.CapacityUnits ?? 0) : 0);
      write += entry.WriteCapacityUnits ?? (kind === 'write' ? (entry.CapacityUnits ?? 0) : 0);
    }
    this.onCapacity({ read, write });
  }

  private get capacity() {
    return this.onCapacity ? ('TOTAL' as const) : undefined;
  }

  async getReceipt(sesMessageId: string): Promise<InboundReceipt | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: inboundKey(sesMessageId), ConsistentRead: true, ReturnConsumedCapacity: this.capacity }),
    );
    this.track(result.ConsumedCapacity, 'read');
    return result.Item ? (fromItem<InboundReceipt>(result.Item)) : undefined;
  }

  async getTicket(ticketId: string): Promise<Ticket | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: ticketKey(ticketId), ReturnConsumedCapacity: this.capacity }),
    );
    this.track(result.ConsumedCapacity, 'read');
    return result.Item ? (fromItem<Ticket>(result.Item)) : undefined;
  }

  async getTicketByRef(ref: string): Promise<Ticket | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: refKey(ref), ReturnConsumedCapacity: this.capacity }),
    );
    this.track(result.ConsumedCapacity, 'read');
    const ticketId = result.Item?.ticketId as string | undefined;
    return ticketId ? this.getTicket(ticketId) : undefined;
  }

  /** The ticket (and whether the id is one of our outbound messages) for each normalised Message-ID known. */
  async ticketIdsForMessageIds(messageIdKeys: string[]): Promise<Map<string, IndexedMessageId>> {
    const found = new Map<string, IndexedMessageId>();
    const unique = [...new Set(messageIdKeys)];
    for (let start = 0; start < unique.length; start += 100) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(start, start + 100).map(messageIdIndexKey);
      while (keys && keys.length > 0) {
        const result: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } }, ReturnConsumedCapacity: this.capacity }),
        );
        this.track(result.ConsumedCapacity, 'read');
        for (const item of result.Responses?.[this.tableName] ?? []) {
          found.set(String(item.messageIdKey), { ticketId: String(item.ticketId), outbound: item.direction === 'outbound' });
        }
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  /** Opens a ticket with its first message, atomically with the delivery's receipt. */
  async createTicket(ticket: Ticket, write: NewMessageWrite): Promise<RecordResult> {
    const now = Date.now();
    const items = [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...ticketKey(ticket.id),
            ...customerIndexKey(ticket.customer, ticket.createdAt, ticket.id),
            ...recentIndexKey(ticket.createdAt, ticket.id),
            type: 'ticket',
            ...ticket,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...refKey(ticket.ref), type: 'ref', ticketId: ticket.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...this.deliveryItems(write, now),
    ];
    return this.transact(items, { ref: 1 });
  }

  /** Adds a message to an existing ticket, atomically with the delivery's receipt. */
  async appendMessage(ticketId: string, write: NewMessageWrite, options: { reopen: boolean }): Promise<RecordResult> {
    const now = Date.now();
    const update = {
      Update: {
        TableName: this.tableName,
        Key: ticketKey(ticketId),
        UpdateExpression: options.reopen
          ? 'SET updatedAt = :now, messageCount = messageCount + :one, #status = :open'
          : 'SET updatedAt = :now, messageCount = messageCount + :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': write.receipt.receivedAt, ':one': 1, ...(options.reopen ? { ':open': 'open' } : {}) },
        ...(options.reopen ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
      },
    };
    return this.transact([...this.deliveryItems(write, now), update], {});
  }

  private deliveryItems(write: NewMessageWrite, now: number): Record<string, unknown>[] {
    const { receipt, message } = write;
    const items: Record<string, unknown>[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...inboundKey(receipt.sesMessageId), type: 'inbound', ...receipt, expiresAt: epochSeconds(IDEMPOTENCY_RECORD_DAYS, now) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...messageKey(message.ticketId, message.receivedAt, message.key), type: 'message', ...message },
        },
      },
    ];
    if (write.origin) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: {
            ...originKey(write.origin.sender, write.origin.messageIdKey),
            type: 'origin',
            sesMessageId: receipt.sesMessageId,
            expiresAt: epochSeconds(IDEMPOTENCY_RECORD_DAYS, now),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    if (write.indexMessageId) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: {
            ...messageIdIndexKey(write.indexMessageId),
            type: 'message-id',
            messageIdKey: write.indexMessageId,
            ticketId: message.ticketId,
            direction: 'inbound',
          },
        },
      });
    }
    return items;
  }

  private async transact(items: Record<string, unknown>[], positions: { ref?: number }): Promise<RecordResult> {
    try {
      const result = await this.client.send(
        new TransactWriteCommand({
          TransactItems: items as never,
          ReturnConsumedCapacity: this.capacity,
        }),
      );
      this.track(result.ConsumedCapacity, 'write');
      return { status: 'recorded' };
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationException' && /item size/i.test(error.message)) {
        return { status: 'too-large' };
      }
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';
      const receiptIndex = items.findIndex((item) => String(((item.Put as { Item?: { pk?: string } } | undefined)?.Item?.pk) ?? '').startsWith('INBOUND#'));
      const originIndex = items.findIndex((item) => String(((item.Put as { Item?: { pk?: string } } | undefined)?.Item?.pk) ?? '').startsWith('ORIGIN#'));
      if (receiptIndex !== -1 && failed(receiptIndex)) return { status: 'duplicate-delivery' };
      if (originIndex !== -1 && failed(originIndex)) return { status: 'duplicate-origin' };
      if (positions.ref !== undefined && failed(positions.ref)) return { status: 'ref-taken' };
      throw error;
    }
  }

  /**
   * Records a delivery that made no ticket message (quarantined, discarded machine mail, duplicate).
   * Returns false when the delivery was already recorded.
   */
  async recordReceiptOnly(receipt: InboundReceipt): Promise<boolean> {
    const quarantined = receipt.outcome === 'quarantined';
    try {
      const result = await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...inboundKey(receipt.sesMessageId),
            type: 'inbound',
            ...receipt,
            ...(quarantined
              ? { gsi2pk: quarantineMonthPartition(receipt.receivedAt), gsi2sk: `${receipt.receivedAt}#${receipt.sesMessageId}` }
              : { expiresAt: epochSeconds(IDEMPOTENCY_RECORD_DAYS) }),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnConsumedCapacity: this.capacity,
        }),
      );
      this.track(result.ConsumedCapacity, 'write');
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Takes the right to send this delivery's acknowledgement for `leaseMs`. Only one concurrent invocation
   * wins; a crashed one's lease runs out so a retry can send.
   */
  async claimAcknowledgement(sesMessageId: string, now: number, leaseMs: number): Promise<boolean> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: inboundKey(sesMessageId),
          UpdateExpression: 'SET ackClaimedUntil = :until, ackState = :sending',
          ConditionExpression: 'ackState = :pending',
          ExpressionAttributeValues: { ':until': now + leaseMs, ':pending': 'pending', ':sending': 'sending' },
          ReturnConsumedCapacity: this.capacity,
        }),
      );
      this.track(result.ConsumedCapacity, 'write');
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Gives the claim back after a send that certainly failed, so a retry may send. */
  async releaseAcknowledgement(sesMessageId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: inboundKey(sesMessageId),
        UpdateExpression: 'SET ackState = :pending REMOVE ackClaimedUntil',
        ExpressionAttributeValues: { ':pending': 'pending' },
      }),
    );
  }

  /**
   * A claim whose holder vanished mid-send: whether SES took the message is unknowable, so it is recorded
   * as `unknown` and never sent again. Returns false while the lease still runs.
   */
  async abandonStaleAcknowledgement(sesMessageId: string, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: inboundKey(sesMessageId),
          UpdateExpression: 'SET ackState = :unknown REMOVE ackClaimedUntil',
          ConditionExpression: 'ackState = :sending AND ackClaimedUntil < :now',
          ExpressionAttributeValues: { ':unknown': 'unknown', ':sending': 'sending', ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async setAckState(sesMessageId: string, state: 'rate-limited' | 'rejected', error?: string): Promise<void> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: inboundKey(sesMessageId),
        UpdateExpression: error ? 'SET ackState = :state, ackError = :error REMOVE ackClaimedUntil' : 'SET ackState = :state REMOVE ackClaimedUntil',
        ExpressionAttributeValues: { ':state': state, ...(error ? { ':error': error.slice(0, 500) } : {}) },
        ReturnConsumedCapacity: this.capacity,
      }),
    );
    this.track(result.ConsumedCapacity, 'write');
  }

  /**
   * Counts one acknowledgement to `sender` against a sliding one-hour window; false when `limit` were
   * already sent in the past hour. Optimistic concurrency keeps concurrent deliveries from overrunning it.
   */
  async reserveAcknowledgementQuota(sender: string, now: number, limit: number, windowMs = 3_600_000): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const current = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: ackRateKey(sender), ConsistentRead: true, ReturnConsumedCapacity: this.capacity }),
      );
      this.track(current.ConsumedCapacity, 'read');
      const sentAt = ((current.Item?.sentAt as number[] | undefined) ?? []).filter((time) => time > now - windowMs);
      if (sentAt.length >= limit) return false;
      const version = (current.Item?.version as number | undefined) ?? 0;
      try {
        const result = await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...ackRateKey(sender), type: 'ack-rate', sentAt: [...sentAt, now], version: version + 1, expiresAt: epochSeconds(1, now) },
            ConditionExpression: current.Item ? 'version = :version' : 'attribute_not_exists(pk)',
            ...(current.Item ? { ExpressionAttributeValues: { ':version': version } } : {}),
            ReturnConsumedCapacity: this.capacity,
          }),
        );
        this.track(result.ConsumedCapacity, 'write');
        return true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    // Persistent contention on one sender's counter is itself a flood.
    return false;
  }

  /** Gives back the slot taken at `at` when the send it was for certainly failed (best effort). */
  async returnAcknowledgementQuota(sender: string, at: number): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const current = await this.client.send(new GetCommand({ TableName: this.tableName, Key: ackRateKey(sender), ConsistentRead: true }));
      const sentAt = (current.Item?.sentAt as number[] | undefined) ?? [];
      const index = sentAt.indexOf(at);
      if (!current.Item || index === -1) return;
      const version = (current.Item.version as number | undefined) ?? 0;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...current.Item, sentAt: sentAt.filter((_, i) => i !== index), version: version + 1 },
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: { ':version': version },
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
  }

  /** Records the acknowledgement SES accepted: the outbound message, its ids for threading, the receipt. */
  async recordAcknowledgementSent(sesMessageId: string, message: TicketMessage, messageIdKeys: string[]): Promise<void> {
    const result = await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: inboundKey(sesMessageId),
              UpdateExpression: 'SET ackState = :sent, ackSesMessageId = :id REMOVE ackClaimedUntil',
              ExpressionAttributeValues: { ':sent': 'sent', ':id': message.key },
            },
          },
          { Put: { TableName: this.tableName, Item: { ...messageKey(message.ticketId, message.receivedAt, message.key), type: 'message', ...message } } },
          ...messageIdKeys.map((key) => ({
            Put: {
              TableName: this.tableName,
              Item: { ...messageIdIndexKey(key), type: 'message-id', messageIdKey: key, ticketId: message.ticketId, direction: 'outbound' },
            },
          })),
        ],
        ReturnConsumedCapacity: this.capacity,
      }),
    );
    this.track(result.ConsumedCapacity, 'write');
  }

  /**
   * Up to `limit` items of one partition (of the table or an index), walking on past DynamoDB's 1 MB pages.
   * `startKey` is built by this store's key functions from a validated position, never taken as given.
   */
  private async queryPartition(
    partition: { index?: string; partitionKey: string; value: string; sortKeyPrefix?: string },
    limit: number,
    options: { newestFirst: boolean; startKey?: Record<string, unknown> },
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey = options.startKey;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...(partition.index ? { IndexName: partition.index } : {}),
          KeyConditionExpression: partition.sortKeyPrefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
          ExpressionAttributeNames: { '#pk': partition.partitionKey, ...(partition.sortKeyPrefix ? { '#sk': TABLE_SCHEMA.sortKey } : {}) },
          ExpressionAttributeValues: { ':pk': partition.value, ...(partition.sortKeyPrefix ? { ':prefix': partition.sortKeyPrefix } : {}) },
          ScanIndexForward: !options.newestFirst,
          Limit: limit - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          ReturnConsumedCapacity: this.capacity,
        }),
      );
      this.track(result.ConsumedCapacity, 'read');
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
    } while (startKey && items.length < limit);
    return items;
  }

  /** One page of a GSI partition, newest first. */
  private async queryIndexNewestFirst(
    index: { name: string; partitionKey: string },
    partition: string,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<Record<string, unknown>[]> {
    return this.queryPartition({ index: index.name, partitionKey: index.partitionKey, value: partition }, limit, {
      newestFirst: true,
      ...(startKey ? { startKey } : {}),
    });
  }

  /** A customer's tickets, newest first: `limit` of them after `after`, and whether more follow. */
  async listTicketsByCustomer(customer: string, limit: number, after?: TicketPosition): Promise<Page<Ticket>> {
    const startKey = after && {
      ...ticketKey(after.id),
      ...customerIndexKey(customer, after.createdAt, after.id),
    };
    // One more than asked, so the last page is known to be the last.
    const items = await this.queryIndexNewestFirst(TABLE_SCHEMA.customerIndex, customerPartition(customer), limit + 1, startKey);
    return pageOf(items.map((item) => fromItem<Ticket>(item)), limit);
  }

  /**
   * Newest tickets across customers, `limit` of them after `after`, walking back month by month through the
   * `months` months up to `now`.
   */
  async listRecentTickets(limit: number, options: { after?: TicketPosition; now?: Date; months?: number } = {}): Promise<Page<Ticket>> {
    const now = options.now ?? new Date();
    const months = options.months ?? RECENT_TICKET_MONTHS;
    const oldest = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1);
    const after = options.after;
    const month = after ? new Date(`${after.createdAt.slice(0, 7)}-01T00:00:00Z`) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const tickets: Ticket[] = [];
    let startKey: Record<string, unknown> | undefined = after && { ...ticketKey(after.id), ...recentIndexKey(after.createdAt, after.id) };
    while (month.getTime() >= oldest && tickets.length <= limit) {
      const items = await this.queryIndexNewestFirst(
        TABLE_SCHEMA.recentIndex,
        ticketMonthPartition(month.toISOString()),
        limit + 1 - tickets.length,
        startKey,
      );
      tickets.push(...items.map((item) => fromItem<Ticket>(item)));
      startKey = undefined;
      month.setUTCMonth(month.getUTCMonth() - 1);
    }
    return pageOf(tickets, limit);
  }

  async listQuarantined(monthIso: string, limit: number): Promise<InboundReceipt[]> {
    const items = await this.queryIndexNewestFirst(TABLE_SCHEMA.recentIndex, quarantineMonthPartition(monthIso), limit);
    return items.map((item) => fromItem<InboundReceipt>(item));
  }

  /** A ticket's messages in the order they arrived: `limit` of them after `after`, and whether more follow. */
  async listMessagesPage(ticketId: string, limit: number, after?: MessagePosition): Promise<Page<TicketMessage>> {
    const startKey = after && messageKey(ticketId, after.receivedAt, after.key);
    const items = await this.queryPartition(
      { partitionKey: TABLE_SCHEMA.partitionKey, value: ticketKey(ticketId).pk, sortKeyPrefix: MESSAGE_SK_PREFIX },
      limit + 1,
      { newestFirst: false, ...(startKey ? { startKey } : {}) },
    );
    return pageOf(items.map((item) => fromItem<TicketMessage>(item)), limit);
  }

  /** All of a ticket's messages in the order they arrived. */
  async listMessages(ticketId: string): Promise<TicketMessage[]> {
    const messages: TicketMessage[] = [];
    for (;;) {
      const last = messages.at(-1);
      const page = await this.listMessagesPage(ticketId, 100, last && { receivedAt: last.receivedAt, key: last.key });
      messages.push(...page.items);
      if (!page.more) return messages;
    }
  }
}

/** How far back `GET /tickets` without a customer looks. */
export const RECENT_TICKET_MONTHS = 12;

/** Where a listing of tickets stopped: the last ticket returned. */
export interface TicketPosition {
  createdAt: string;
  id: string;
}

/** Where a listing of messages stopped: the last message returned. */
export interface MessagePosition {
  receivedAt: string;
  key: string;
}

export interface Page<T> {
  items: T[];
  /** True when items follow the last one returned. */
  more: boolean;
}

function pageOf<T>(items: T[], limit: number): Page<T> {
  return { items: items.slice(0, limit), more: items.length > limit };
}

const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'type', 'expiresAt']);

/** An entity as stored, minus the key attributes. The store wrote it, so its shape is trusted here. */
function fromItem<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !KEY_ATTRIBUTES.has(key))) as T;
}

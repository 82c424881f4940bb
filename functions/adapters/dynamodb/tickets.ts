/** Ticket items, and the acknowledgement's send-once record that lives on them. */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { messageIdKey } from '../../tickets/references';
import { messageIdItem, messageItem, putItems } from './messages';
import type { AckAllowance, ClaimResult, OpenTicketResult, SendOnceLedger } from '../../ports/ticket-store';
import type { OutboundSendRecord, Ticket, TicketMessage } from '../../tickets/model';
import { writeCountingAllowance, type CountedWriteResult } from './ack-allowance';
import { fromItem, isConditionFailure, isItemTooLarge } from './items';
import { customerIndexKey, messageKey, recentIndexKey, ticketKey } from './keys';

export function ticketItem(ticket: Ticket): Record<string, unknown> {
  return {
    ...ticketKey(ticket.id),
    ...customerIndexKey(ticket.customer, ticket.createdAt, ticket.id),
    ...recentIndexKey(ticket.createdAt, ticket.id),
    type: 'ticket',
    ...ticket,
  };
}

export async function getTicket(client: DynamoDBDocumentClient, tableName: string, ticketId: string, consistent = false): Promise<Ticket | undefined> {
  const result = await client.send(new GetCommand({ TableName: tableName, Key: ticketKey(ticketId), ...(consistent ? { ConsistentRead: true } : {}) }));
  return result.Item ? fromItem<Ticket>(result.Item) : undefined;
}

export async function openTicket(client: DynamoDBDocumentClient, tableName: string, ticket: Ticket, allowance: AckAllowance | undefined, nowMs: number): Promise<OpenTicketResult> {
  const put = { TableName: tableName, Item: ticketItem(ticket), ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' };
  let result: CountedWriteResult;
  try {
    result = await writeCountingAllowance(client, tableName, { Put: put }, allowance, nowMs);
  } catch (error) {
    if (isItemTooLarge(error)) return { status: 'too-large' };
    throw error;
  }
  if (result.status === 'written') return { status: 'opened' };
  if (result.status === 'over-ack-limit') return result;
  if (!result.old) throw new Error('a ticket with this reference exists but DynamoDB returned no item');
  return { status: 'exists', existing: fromItem<Ticket>(result.old) };
}

/**
 * The acknowledgement as a SendOnceLedger. The claim is the ticket's `ack` (written with the ticket, so only
 * the ticket's creator can hold the first claim); the outcome SES gave is recorded on the acknowledgement's
 * message and in the Message-ID index, in one unconditional batch: its keys depend only on the ticket, so
 * writing it again is harmless, and only a holder ever has an outcome to write. Every change of the claim
 * after it is taken is conditional on the holder.
 */
export class TicketAckLedger implements SendOnceLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ticketId: string,
    private readonly message: TicketMessage,
  ) {}

  async claim(holder: string, nowMs: number, leaseUntil: number, allowance?: AckAllowance): Promise<ClaimResult> {
    const update = {
      TableName: this.tableName,
      Key: ticketKey(this.ticketId),
      UpdateExpression: 'SET ack.#state = :sending, ack.holder = :holder, ack.leaseUntil = :until',
      ConditionExpression: 'ack.#state = :pending',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':sending': 'sending', ':pending': 'pending', ':holder': holder, ':until': leaseUntil },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
    const result = await writeCountingAllowance(this.client, this.tableName, { Update: update }, allowance, nowMs);
    if (result.status !== 'condition-failed') return result.status === 'written' ? { status: 'claimed' } : result;
    const record = (result.old?.ack ?? { state: 'not-needed' }) as OutboundSendRecord;
    if (record.state !== 'sending' && record.state !== 'unknown') return { status: 'settled', record };
    // The outcome is on the message: a holder that recorded its send leaves the claim itself untouched.
    const outcome = await this.recordedOutcome();
    if (outcome) return { status: 'settled', record: outcome };
    if (record.state === 'unknown') return { status: 'settled', record };
    if ((record.leaseUntil ?? 0) >= nowMs) return { status: 'busy' };
    return (await this.abandon(record.holder ?? '', nowMs)) ? { status: 'abandoned' } : { status: 'busy' };
  }

  /** What the acknowledgement's message says SES accepted, if anything. */
  async recordedOutcome(): Promise<OutboundSendRecord | undefined> {
    const key = messageKey(this.message.ticketId, this.message.receivedAt, this.message.key);
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    const item = result.Item as Partial<TicketMessage> | undefined;
    if (item?.sendState !== 'sent') return undefined;
    return {
      state: 'sent',
      ...(item.sesMessageId ? { sesMessageId: item.sesMessageId } : {}),
      ...(item.messageId ? { messageId: item.messageId } : {}),
      ...(item.originalMessageId ? { ownMessageId: item.originalMessageId } : {}),
      ...(item.sentAt ? { sentAt: item.sentAt } : {}),
    };
  }

  /** A claim whose lease ran out while `sending`: SES may or may not have taken the mail, so never again. */
  private async abandon(holder: string, nowMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ticketKey(this.ticketId),
          UpdateExpression: 'SET ack.#state = :unknown REMOVE ack.holder, ack.leaseUntil',
          ConditionExpression: 'ack.#state = :sending AND ack.holder = :holder AND ack.leaseUntil < :now',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':unknown': 'unknown', ':sending': 'sending', ':holder': holder, ':now': nowMs },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** The holder records what SES accepted: the message as sent, and the id SES gave it for threading. */
  async recordSent(_holder: string, sent: { sesMessageId: string; messageId: string; ownMessageId: string; sentAt: string }): Promise<void> {
    const message: TicketMessage = { ...this.message, sendState: 'sent', sesMessageId: sent.sesMessageId, messageId: sent.messageId, originalMessageId: sent.ownMessageId, sentAt: sent.sentAt };
    const index = { key: messageIdKey(sent.messageId), ticketId: this.ticketId, sender: this.message.from, sesMessageId: sent.sesMessageId, proven: true, outbound: true };
    const result = await putItems(this.client, this.tableName, [messageItem(message), messageIdItem(index)]);
    if (result !== 'recorded') throw new Error('the acknowledgement record was refused as too large');
  }

  async release(holder: string): Promise<void> {
    await this.holderUpdate(holder, 'SET ack.#state = :pending REMOVE ack.holder, ack.leaseUntil', { ':pending': 'pending' });
  }

  async reject(holder: string, error: string): Promise<void> {
    await this.holderUpdate(holder, 'SET ack.#state = :rejected, ack.#error = :error REMOVE ack.holder, ack.leaseUntil', { ':rejected': 'rejected', ':error': error.slice(0, 500) });
  }

  async settleUnknown(holder: string, error: string): Promise<void> {
    await this.holderUpdate(holder, 'SET ack.#state = :unknown, ack.#error = :error REMOVE ack.holder, ack.leaseUntil', { ':unknown': 'unknown', ':error': error.slice(0, 500) });
  }

  /** An update only the holder may make; a claim that is no longer theirs is left alone. */
  private async holderUpdate(holder: string, expression: string, values: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ticketKey(this.ticketId),
          UpdateExpression: expression,
          ConditionExpression: 'ack.#state = :sendingState AND ack.holder = :holder',
          ExpressionAttributeNames: { '#state': 'state', ...(expression.includes('#error') ? { '#error': 'error' } : {}) },
          ExpressionAttributeValues: { ...values, ':holder': holder, ':sendingState': 'sending' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}

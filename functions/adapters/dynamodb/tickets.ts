/** Ticket items, and the acknowledgement's send-once record that lives on them. */
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { messageIdKey } from '../../tickets/references';
import { messageIdItem, messageItem, putItems } from './messages';
import type { AckAllowance, AlongsideWrites, ClaimResult, OpenTicketResult, RecordedSend, SendOnceLedger } from '../../ports/ticket-store';
import type { OutboundSendRecord, Ticket, TicketMessage, TicketSlaState } from '../../tickets/model';
import { decodeSlaState, encodeSlaState } from './sla-codec';
import { updateCountingAllowance, type CountedWriteResult } from './ack-allowance';
import { eventItem, openTicketCounterUpdate } from './assignment';
import { ClaimUpdates, TICKET_ACK_CLAIM } from './claim-updates';
import { cancellationReasons, failedCondition, fromItem, isConditionFailure, isItemTooLarge, oldItemOf, retryOnConflict } from './items';
import { assigneeIndexKey, customerIndexKey, messageKey, recentIndexKey, slaDueIndexKey, ticketKey } from './keys';

export function ticketItem(ticket: Ticket): Record<string, unknown> {
  const { slaState, ...rest } = ticket;
  return {
    ...ticketKey(ticket.id),
    ...customerIndexKey(ticket.customer, ticket.createdAt, ticket.id),
    ...recentIndexKey(ticket.createdAt, ticket.id),
    ...(ticket.assignee ? assigneeIndexKey(ticket.assignee, ticket.createdAt, ticket.id) : {}),
    ...(slaState?.checkAt ? slaDueIndexKey(slaState.checkAt, ticket.id) : {}),
    type: 'ticket',
    ...rest,
    ...(slaState ? slaAttributes(slaState) : {}),
  };
}

/** The stored SLA's attributes: the compact state and the version the writes' conditions compare. */
export function slaAttributes(state: TicketSlaState): { sla: string; slaVersion: number } {
  return { sla: encodeSlaState(state), slaVersion: state.version };
}

/** A ticket as the store returns it, from its item (the SLA state decoded). */
export function ticketFromItem(item: Record<string, unknown>): Ticket {
  const { sla, slaVersion, ...rest } = fromItem<Ticket & { sla?: string; slaVersion?: number }>(item);
  return { ...rest, ...(typeof sla === 'string' ? { slaState: decodeSlaState(sla, Number(slaVersion)) } : {}) };
}

export async function getTicket(client: DynamoDBDocumentClient, tableName: string, ticketId: string, consistent = false): Promise<Ticket | undefined> {
  const result = await client.send(new GetCommand({ TableName: tableName, Key: ticketKey(ticketId), ...(consistent ? { ConsistentRead: true } : {}) }));
  return result.Item ? ticketFromItem(result.Item) : undefined;
}

/**
 * One conditional put: the ticket's reference is its key, so a ticket that exists is returned, not replaced.
 * An assigned ticket counts against its assignee's open tickets in the same transaction, so a redelivery
 * never counts it twice.
 */
export async function openTicket(client: DynamoDBDocumentClient, tableName: string, ticket: Ticket): Promise<OpenTicketResult> {
  const put = { TableName: tableName, Item: ticketItem(ticket), ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' };
  try {
    if (ticket.assignee) {
      await retryOnConflict(() => client.send(new TransactWriteCommand({ TransactItems: [{ Put: put }, openTicketCounterUpdate(tableName, ticket.assignee!, 1, ticket.createdAt)] as never })));
    } else {
      await client.send(new PutCommand(put as never));
    }
    return { status: 'opened' };
  } catch (error) {
    if (isItemTooLarge(error)) return { status: 'too-large' };
    const reasons = cancellationReasons(error);
    if (reasons && !failedCondition(reasons, 0)) {
      if (failedCondition(reasons, 1)) throw new Error(`the assignee ${ticket.assignee} has no staff record`);
      throw error;
    }
    if (!reasons && !isConditionFailure(error)) throw error;
    const old = oldItemOf(reasons ? reasons[0]?.Item : (error as { Item?: unknown }).Item);
    if (!old) throw new Error('a ticket with this reference exists but DynamoDB returned no item');
    return { status: 'exists', existing: ticketFromItem(old) };
  }
}

/** A conditional update that returns the item as it stood when its condition failed. */
async function conditionalUpdate(client: DynamoDBDocumentClient, update: Record<string, unknown>): Promise<CountedWriteResult> {
  try {
    await client.send(new UpdateCommand(update as never));
    return { status: 'written' };
  } catch (error) {
    if (isConditionFailure(error)) return { status: 'condition-failed', old: oldItemOf(error.Item) };
    throw error;
  }
}

/**
 * The acknowledgement as a SendOnceLedger. The claim is the ticket's `ack` (written with the ticket, so only
 * the ticket's creator can hold the first claim); the outcome SES gave is recorded on the acknowledgement's
 * message and in the Message-ID index, in one unconditional batch: its keys depend only on the ticket, so
 * writing it again is harmless, and only a holder ever has an outcome to write. The batch also carries the
 * `alongside` writes it was given (the ticket's first message, written after the send to save a request).
 * Every change of the claim after it is taken is conditional on the holder.
 */
export class TicketAckLedger implements SendOnceLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ticketId: string,
    private readonly message: TicketMessage,
    private readonly alongside?: AlongsideWrites,
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
    const result = allowance ? await updateCountingAllowance(this.client, this.tableName, update, allowance, nowMs) : await conditionalUpdate(this.client, update);
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
  private abandon(holder: string, nowMs: number): Promise<boolean> {
    return this.claimUpdates().abandon(holder, nowMs);
  }

  /** The holder records what SES accepted: the message as sent, and the id SES gave it for threading. */
  async recordSent(_holder: string, sent: { sesMessageId: string; messageId: string; ownMessageId: string; sentAt: string }): Promise<RecordedSend> {
    const message: TicketMessage = { ...this.message, sendState: 'sent', sesMessageId: sent.sesMessageId, messageId: sent.messageId, originalMessageId: sent.ownMessageId, sentAt: sent.sentAt };
    const index = { key: messageIdKey(sent.messageId), ticketId: this.ticketId, sender: this.message.from, sesMessageId: sent.sesMessageId, proven: true, outbound: true };
    const record = [messageItem(message), messageIdItem(index)];
    const alongside = [...(this.alongside?.messages ?? []).map(messageItem), ...(this.alongside?.messageIds ?? []).map(messageIdItem), ...(this.alongside?.events ?? []).map(eventItem)];
    if (alongside.length > 0 && (await putItems(this.client, this.tableName, [...record, ...alongside])) === 'recorded') return { alongside: 'stored' };
    // DynamoDB refuses the whole batch when one item is too large: the record of the send must land anyway.
    if ((await putItems(this.client, this.tableName, record)) !== 'recorded') throw new Error('the acknowledgement record was refused as too large');
    return { alongside: alongside.length > 0 ? 'too-large' : 'stored' };
  }

  async release(holder: string): Promise<void> {
    await this.claimUpdates().settle(holder, 'pending');
  }

  async reject(holder: string, error: string): Promise<void> {
    await this.claimUpdates().settle(holder, 'rejected', error);
  }

  async withhold(holder: string): Promise<void> {
    await this.claimUpdates().settle(holder, 'rate-limited');
  }

  async suppress(holder: string, error: string): Promise<void> {
    await this.claimUpdates().settle(holder, 'suppressed', error);
  }

  async settleUnknown(holder: string, error: string): Promise<void> {
    await this.claimUpdates().settle(holder, 'unknown', error);
  }

  private claimUpdates(): ClaimUpdates {
    return new ClaimUpdates(this.client, this.tableName, ticketKey(this.ticketId), TICKET_ACK_CLAIM);
  }
}

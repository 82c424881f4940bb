/**
 * The send-once record of a message the desk sends that is its own item: a staff notification, a relayed
 * staff answer, a notice to staff. The message item is the claim (its `sendState`, `holder` and `leaseUntil`)
 * and the record, so the ticket lists the message whatever became of it. An acknowledgement's first claim
 * lives on its ticket instead (tickets.ts), because the ticket's creation is the only write that may take it.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClaimResult, RecordedSend, SendOnceLedger } from '../../ports/ticket-store';
import type { OutboundSendRecord, TicketMessage } from '../../tickets/model';
import { messageIdKey } from '../../tickets/references';
import { isConditionFailure, oldItemOf } from './items';
import { messageKey } from './keys';
import { ClaimUpdates, MESSAGE_CLAIM } from './claim-updates';
import { messageIdItem, messageItem, putItems } from './messages';

export class OutboundMessageLedger implements SendOnceLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The message as it will be listed; its `key` and `receivedAt` fix its item. */
    private readonly message: TicketMessage,
  ) {}

  /**
   * The conditional Put that claims the message for `holder`, for a caller that folds the claim into a
   * transaction of its own (a follow-up's). It fails when the message was claimed before.
   */
  claimPut(holder: string, leaseUntil: number): Record<string, unknown> {
    return {
      TableName: this.tableName,
      Item: messageItem({ ...this.message, sendState: 'sending', holder, leaseUntil }),
      ConditionExpression: 'attribute_not_exists(pk) OR sendState = :pending',
      ExpressionAttributeValues: { ':pending': 'pending' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  async claim(holder: string, nowMs: number, leaseUntil: number): Promise<ClaimResult> {
    try {
      await this.client.send(new PutCommand(this.claimPut(holder, leaseUntil) as never));
      return { status: 'claimed' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return this.afterLostClaim(oldItemOf(error.Item), nowMs);
    }
  }

  /** What a claim that found the message already claimed comes to. */
  async afterLostClaim(old: Record<string, unknown> | undefined, nowMs: number): Promise<ClaimResult> {
    const record = recordOf(old);
    if (record.state !== 'sending') return { status: 'settled', record };
    if ((record.leaseUntil ?? 0) >= nowMs) return { status: 'busy' };
    return (await this.abandon(record.holder ?? '', nowMs)) ? { status: 'abandoned' } : { status: 'busy' };
  }

  /** A claim whose lease ran out while `sending`: SES may or may not have taken the mail, so never again. */
  private abandon(holder: string, nowMs: number): Promise<boolean> {
    return this.claimUpdates().abandon(holder, nowMs);
  }

  /**
   * The message as sent, and the id SES gave it in the Message-ID index (a bounce or a reply citing it finds
   * the ticket). One unconditional batch: its keys depend only on the message, and only a holder has ids to
   * write.
   */
  async recordSent(_holder: string, sent: { sesMessageId: string; messageId: string; ownMessageId: string; sentAt: string }): Promise<RecordedSend> {
    const { holder: _claimHolder, leaseUntil: _lease, sendError: _error, ...message } = this.message;
    const recorded: TicketMessage = { ...message, sendState: 'sent', sesMessageId: sent.sesMessageId, messageId: sent.messageId, originalMessageId: sent.ownMessageId, sentAt: sent.sentAt };
    const index = { key: messageIdKey(sent.messageId), ticketId: this.message.ticketId, sender: this.message.from, sesMessageId: sent.sesMessageId, proven: true, outbound: true };
    const result = await putItems(this.client, this.tableName, [messageItem(recorded), messageIdItem(index)]);
    if (result !== 'recorded') throw new Error(`the record of the sent ${this.message.purpose ?? 'message'} was refused as too large`);
    return { alongside: 'stored' };
  }

  async release(holder: string): Promise<void> {
    await this.claimUpdates().settle(holder, 'pending');
  }

  /** Nothing caps these messages today; a withheld one is settled like a refusal so no retry sends it. */
  async withhold(holder: string): Promise<void> {
    await this.claimUpdates().settle(holder, 'rate-limited');
  }

  async reject(holder: string, error: string): Promise<void> {
    await this.claimUpdates().settle(holder, 'rejected', error);
  }

  async suppress(holder: string, error: string): Promise<void> {
    await this.claimUpdates().settle(holder, 'suppressed', error);
  }

  async settleUnknown(holder: string, error: string): Promise<void> {
    await this.claimUpdates().settle(holder, 'unknown', error);
  }

  private claimUpdates(): ClaimUpdates {
    return new ClaimUpdates(this.client, this.tableName, messageKey(this.message.ticketId, this.message.receivedAt, this.message.key), MESSAGE_CLAIM);
  }
}

function recordOf(item: Record<string, unknown> | undefined): OutboundSendRecord {
  if (!item) return { state: 'unknown' };
  const text = (name: string) => (typeof item[name] === 'string' ? { [name]: item[name] as string } : {});
  return {
    state: (item.sendState as OutboundSendRecord['state'] | undefined) ?? 'unknown',
    ...text('holder'),
    ...(typeof item.leaseUntil === 'number' ? { leaseUntil: item.leaseUntil } : {}),
    ...text('sesMessageId'),
    ...text('messageId'),
    ...(typeof item.originalMessageId === 'string' ? { ownMessageId: item.originalMessageId } : {}),
    ...text('sentAt'),
    ...(typeof item.sendError === 'string' ? { error: item.sendError } : {}),
  };
}

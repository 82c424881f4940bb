/** The TicketStore port on one DynamoDB table: each entity's reads and writes live in its own module. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  AckAllowance,
  AlongsideWrites,
  AssignmentChangeResult,
  DeliveryLookup,
  FollowUpOptions,
  FollowUpResult,
  IndexedMessageId,
  MessageIdClaim,
  MessagePosition,
  OpenTicketResult,
  Page,
  SendOnceLedger,
  SlaDueEntry,
  SlaFieldsChange,
  SlaPolicyMark,
  TicketPosition,
  TicketsOpenedResult,
  TicketStore,
} from '../../ports/ticket-store';
import type { InboundReceipt, Ticket, TicketEvent, TicketMessage, TicketSlaState, TicketStatus } from '../../tickets/model';
import { assignTicket, changeStatus, eventItem, listEvents } from './assignment';
import { OutboundMessageLedger } from './outbound-ledger';
import { returnAckAllowance, takeAckAllowance } from './ack-allowance';
import { lookupDelivery } from './delivery-lookup';
import * as listings from './listings';
import { appendFollowUp, lookupMessageIds, messageIdItem, messageItem, putItems } from './messages';
import { getReceipt, recordReceipt } from './receipts';
import { getSlaPolicyMark, getTicketsConsistent, listSlaDue, putSlaPolicyMark, writeTicketSla } from './sla';
import { getTicket, openTicket, TicketAckLedger } from './tickets';

export class DynamoTicketStore implements TicketStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  lookupMessageIds(keys: readonly string[]): Promise<Map<string, IndexedMessageId>> {
    return keys.length === 0 ? Promise.resolve(new Map()) : lookupMessageIds(this.client, this.tableName, keys);
  }

  lookupDelivery(keys: readonly string[], sender: string): Promise<DeliveryLookup> {
    return lookupDelivery(this.client, this.tableName, keys, sender);
  }

  getTicket(ticketId: string): Promise<Ticket | undefined> {
    return getTicket(this.client, this.tableName, ticketId);
  }

  openTicket(ticket: Ticket): Promise<OpenTicketResult> {
    return openTicket(this.client, this.tableName, ticket);
  }

  putMessages(messages: readonly TicketMessage[], messageIds: readonly MessageIdClaim[], events: readonly TicketEvent[] = []): Promise<'recorded' | 'too-large'> {
    return putItems(this.client, this.tableName, [...messages.map(messageItem), ...messageIds.map(messageIdItem), ...events.map(eventItem)]);
  }

  appendFollowUp(message: TicketMessage, ownMessageId: MessageIdClaim | undefined, options: FollowUpOptions): Promise<FollowUpResult> {
    return appendFollowUp(this.client, this.tableName, message, ownMessageId, options);
  }

  recordReceipt(receipt: InboundReceipt): Promise<boolean> {
    return recordReceipt(this.client, this.tableName, receipt);
  }

  getReceipt(sesMessageId: string): Promise<InboundReceipt | undefined> {
    return getReceipt(this.client, this.tableName, sesMessageId);
  }

  acknowledgementLedger(ticketId: string, message: TicketMessage, alongside?: AlongsideWrites): SendOnceLedger {
    return new TicketAckLedger(this.client, this.tableName, ticketId, message, alongside);
  }

  takeAckAllowance(allowance: AckAllowance): Promise<'granted' | 'over-ack-limit'> {
    return takeAckAllowance(this.client, this.tableName, allowance, this.now());
  }

  returnAckAllowance(allowance: AckAllowance): Promise<void> {
    return returnAckAllowance(this.client, this.tableName, allowance);
  }

  outboundLedger(message: TicketMessage): OutboundMessageLedger {
    return new OutboundMessageLedger(this.client, this.tableName, message);
  }

  assignTicket(ticket: Ticket, to: string | undefined, event: TicketEvent): Promise<AssignmentChangeResult> {
    return assignTicket(this.client, this.tableName, ticket, to, event);
  }

  changeStatus(ticket: Ticket, to: TicketStatus, event: TicketEvent, extra?: { firstRespondedAt?: string; sla?: TicketSlaState }): Promise<AssignmentChangeResult> {
    return changeStatus(this.client, this.tableName, ticket, to, event, extra);
  }

  writeTicketSla(ticket: Ticket, change: SlaFieldsChange, next: TicketSlaState | undefined, events: readonly TicketEvent[]): Promise<'changed' | 'changed-meanwhile'> {
    return writeTicketSla(this.client, this.tableName, ticket, change, next, events);
  }

  listSlaDue(until: string, limit: number, after?: SlaDueEntry): Promise<Page<SlaDueEntry>> {
    return listSlaDue(this.client, this.tableName, until, limit, after);
  }

  getSlaPolicyMark(): Promise<SlaPolicyMark | undefined> {
    return getSlaPolicyMark(this.client, this.tableName);
  }

  putSlaPolicyMark(mark: SlaPolicyMark): Promise<void> {
    return putSlaPolicyMark(this.client, this.tableName, mark);
  }

  readTicketsNow(ids: readonly string[]): Promise<Ticket[]> {
    return getTicketsConsistent(this.client, this.tableName, ids);
  }

  async recordEvent(event: TicketEvent): Promise<void> {
    const result = await putItems(this.client, this.tableName, [eventItem(event)]);
    if (result !== 'recorded') throw new Error('the event was refused as too large');
  }

  listEvents(ticketId: string): Promise<TicketEvent[]> {
    return listEvents(this.client, this.tableName, ticketId);
  }

  listTicketsByAssignee(staffId: string, limit: number, after?: TicketPosition): Promise<Page<Ticket>> {
    return listings.listTicketsByAssignee(this.client, this.tableName, staffId, limit, after);
  }

  listTicketsByCustomer(customer: string, limit: number, after?: TicketPosition): Promise<Page<Ticket>> {
    return listings.listTicketsByCustomer(this.client, this.tableName, customer, limit, after);
  }

  listRecentTickets(limit: number, options?: { after?: TicketPosition; now?: Date; months?: number }): Promise<Page<Ticket>> {
    return listings.listRecentTickets(this.client, this.tableName, limit, options);
  }

  listTicketsOpenedBetween(from: Date, to: Date, limit: number): Promise<TicketsOpenedResult> {
    return listings.listTicketsOpenedBetween(this.client, this.tableName, from, to, limit);
  }

  listMessagesPage(ticketId: string, limit: number, after?: MessagePosition): Promise<Page<TicketMessage>> {
    return listings.listMessagesPage(this.client, this.tableName, ticketId, limit, after);
  }

  listMessages(ticketId: string): Promise<TicketMessage[]> {
    return listings.listMessages(this.client, this.tableName, ticketId);
  }

  listQuarantined(monthIso: string, limit: number): Promise<InboundReceipt[]> {
    return listings.listQuarantined(this.client, this.tableName, monthIso, limit);
  }
}

/**
 * The SLA scan: every minute (EventBridge on AWS, `SLA_SCAN_INTERVAL` locally) it reads the due index up to
 * now, and for each ticket found sends what is owed (sla/schedule.ts): a warning to the assignee at `warnAt`,
 * and at breach an escalation to the assignee's backup and every active lead (the leads alone for an
 * unassigned ticket), with an event on the ticket and a metric.
 *
 * Exactly once, even when scans overlap, repeat or crash halfway:
 * - each mail is its own outbound message keyed by ticket, target, run, kind and recipient, sent through the
 *   send-once ledger (outbound/send-once.ts): a second scan finds it claimed or sent, never sends it again;
 * - only when every mail of an action is settled does the scan mark the action done on the ticket, in one
 *   write conditional on the SLA version it read, with the event (keyed by the action, so a repeat rewrites
 *   it) and the ticket's next due-index time; the metric is emitted by the scan whose mark landed;
 * - a scan that dies between the mails and the mark leaves the ticket due: the next scan finds the mails
 *   sent and writes the mark.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { MetricSink } from '../commons/metrics';
import { SLA_METRICS } from '../commons/metrics';
import { buildSlaMail } from '../outbound/sla-mail';
import type { SendOnceOutcome } from '../outbound/send-once';
import type { MailSender } from '../ports/mail-sender';
import type { RosterStore } from '../ports/roster-store';
import type { SlaDueEntry, TicketStore } from '../ports/ticket-store';
import type { Staff } from '../roster/model';
import type { Ticket, TicketEvent } from '../tickets/model';
import { outboundMessage, sendOutboundMessage } from '../tickets/outbound-messages';
import { ownMessageDiscriminator, ownMessageIdFor } from '../tickets/references';
import { markSla } from '../tickets/sla-state';
import { staffReplyAddressFor } from '../tickets/staff-reply-address';
import type { DeskSettings } from '../tickets/staff-replies';
import { slaPolicyFingerprint, type SlaPolicy } from './policy';
import { slaActionsDue, type SlaAction } from './schedule';

/** Due-index entries read per page (one query), and tickets read per batch. */
export const SLA_SCAN_PAGE = 100;
/**
 * At most this many tickets per run: a run must end well inside a minute, before the next one starts. What is
 * left stays due, and the next run takes it first (the index is read earliest first).
 */
export const MAX_TICKETS_PER_SCAN = 1_000;
/** Tickets handled at once within a page: each sends its mail and writes its mark independently. */
const TICKET_CONCURRENCY = 8;
/** A ticket whose SLA keeps changing under the scan is left for the next run after this many reads. */
const MAX_MARK_RETRIES = 3;

export interface SlaScanDependencies {
  store: Pick<TicketStore, 'listSlaDue' | 'readTicketsNow' | 'writeTicketSla' | 'outboundLedger' | 'getSlaPolicyMark' | 'putSlaPolicyMark' | 'listRecentTickets'>;
  roster: Pick<RosterStore, 'listStaff'>;
  mailSender: MailSender;
  settings: DeskSettings & { slaPolicy: SlaPolicy };
  metrics: MetricSink;
  now?: () => Date;
  newClaimHolder?: () => string;
  log?: (message: string, fields: Record<string, unknown>) => void;
  /** Milliseconds before the run is cut off (Lambda's `getRemainingTimeInMillis`); unbounded without it. */
  timeLeftMs?: () => number;
}

/**
 * A run stops taking tickets with less time than this left: a ticket's mail is sent one recipient after
 * another, and a run cut off mid-send leaves a claim that can only lapse to `unknown`, never be resent.
 */
export const SCAN_STOP_MARGIN_MS = 15_000;

export interface SlaScanSummary {
  /** Due-index entries read. */
  due: number;
  warnings: number;
  breaches: number;
  /** Mails sent by this run (a mail another run sent is not counted). */
  mailsSent: number;
  /** Tickets left for the next run: a mail not settled yet, or a race lost too often. */
  deferred: number;
  /** True when more was due than one run takes. */
  more: boolean;
  /** Open tickets whose next check moved because the policy changed (see reindexForPolicy). */
  reindexed: number;
}

type TicketOutcome = { warnings: number; breaches: number; mailsSent: number; deferred: boolean };

export async function runSlaScan(deps: SlaScanDependencies): Promise<SlaScanSummary> {
  const now = (deps.now ?? (() => new Date()))();
  const summary: SlaScanSummary = { due: 0, warnings: 0, breaches: 0, mailsSent: 0, deferred: 0, more: false, reindexed: 0 };
  // What is due now comes first: a re-index that fails is logged, and the next run tries again.
  summary.reindexed = await reindexForPolicy(now, deps).catch((error: unknown) => {
    deps.log?.('sla scan: re-index for a new policy failed; retried by the next run', { error: (error as Error).message });
    return 0;
  });
  let staff: Promise<Staff[]> | undefined;
  const roster = () => (staff ??= deps.roster.listStaff());
  let after: SlaDueEntry | undefined;
  while (summary.due < MAX_TICKETS_PER_SCAN) {
    if (deps.timeLeftMs && deps.timeLeftMs() < SCAN_STOP_MARGIN_MS) {
      summary.more = true;
      return summary;
    }
    const page = await deps.store.listSlaDue(now.toISOString(), Math.min(SLA_SCAN_PAGE, MAX_TICKETS_PER_SCAN - summary.due), after);
    summary.due += page.items.length;
    if (page.items.length > 0) {
      const tickets = await readTickets(page.items.map((entry) => entry.ticketId), deps);
      const outcomes = await inBatches(tickets, TICKET_CONCURRENCY, deps, (ticket) => scanTicketSafely(ticket, now, roster, deps));
      for (const outcome of outcomes) {
        summary.warnings += outcome.warnings;
        summary.breaches += outcome.breaches;
        summary.mailsSent += outcome.mailsSent;
        if (outcome.deferred) summary.deferred += 1;
      }
      if (outcomes.length < tickets.length) {
        summary.deferred += tickets.length - outcomes.length;
        summary.more = true;
        return summary;
      }
    }
    after = page.items.at(-1);
    if (!page.more) return summary;
  }
  summary.more = true;
  return summary;
}

/** Open tickets re-indexed per page of the month index while a new policy is taken up. */
const REINDEX_PAGE = 100;

/**
 * A deploy with another policy moves due times of tickets already open, but their due-index entries were
 * written under the old one: a tightened target would be found late. The first runs under a new policy walk
 * the open tickets (the month index, newest first, over the months listings cover) and move each entry that
 * the new policy moves, a page at a time, keeping their place in the policy mark so that a run cut short
 * resumes where it stopped. Once done, a run costs one read of the mark.
 */
async function reindexForPolicy(now: Date, deps: SlaScanDependencies): Promise<number> {
  const fingerprint = slaPolicyFingerprint(deps.settings.slaPolicy);
  const mark = await deps.store.getSlaPolicyMark();
  if (mark?.fingerprint === fingerprint) return 0;
  let after = mark?.reindexing?.fingerprint === fingerprint ? mark.reindexing.after : undefined;
  let moved = 0;
  for (;;) {
    if (deps.timeLeftMs && deps.timeLeftMs() < SCAN_STOP_MARGIN_MS * 2) {
      await deps.store.putSlaPolicyMark({ ...(mark?.fingerprint ? { fingerprint: mark.fingerprint } : {}), reindexing: { fingerprint, ...(after ? { after } : {}) } });
      return moved;
    }
    const page = await deps.store.listRecentTickets(REINDEX_PAGE, { ...(after ? { after } : {}), now });
    for (const ticket of page.items) {
      const state = ticket.slaState;
      if (!state || ticket.status === 'closed') continue;
      const next = markSla(state, [], now, deps.settings.slaPolicy);
      if (next.checkAt === state.checkAt) continue;
      // A ticket written meanwhile was written under the policy in force: nothing left to move.
      try {
        if ((await deps.store.writeTicketSla(ticket, {}, next, [])) === 'changed') moved += 1;
      } catch (error) {
        deps.log?.('sla scan: ticket not re-indexed', { ticketId: ticket.id, error: (error as Error).message });
      }
    }
    const last = page.items.at(-1);
    if (!page.more || !last) break;
    after = { createdAt: last.createdAt, id: last.id };
  }
  await deps.store.putSlaPolicyMark({ fingerprint });
  if (moved > 0) deps.log?.('sla scan: open tickets re-indexed for a new policy', { moved, fingerprint });
  return moved;
}

/**
 * The due tickets of a page. One ticket that cannot be read (an item this version cannot decode) must not stop
 * every run: the page is read again ticket by ticket, and what fails is logged and left.
 */
async function readTickets(ids: readonly string[], deps: SlaScanDependencies): Promise<Ticket[]> {
  try {
    return await deps.store.readTicketsNow(ids);
  } catch (pageError) {
    deps.log?.('sla scan: a page of tickets could not be read; reading them one by one', { error: (pageError as Error).message });
    const tickets: Ticket[] = [];
    for (const id of ids) {
      try {
        tickets.push(...(await deps.store.readTicketsNow([id])));
      } catch (error) {
        deps.log?.('sla scan: ticket left unread', { ticketId: id, error: (error as Error).message });
      }
    }
    return tickets;
  }
}

/** One ticket's failure (a calendar with no open time, a store error) is logged and left for the next run. */
async function scanTicketSafely(ticket: Ticket, now: Date, roster: () => Promise<Staff[]>, deps: SlaScanDependencies): Promise<TicketOutcome> {
  // Filled in as the work goes, so that what was sent before a failure is still counted.
  const outcome: TicketOutcome = { warnings: 0, breaches: 0, mailsSent: 0, deferred: false };
  try {
    return await scanTicket(ticket, now, roster, deps, outcome);
  } catch (error) {
    deps.log?.('sla scan: ticket left for the next run', { ticketId: ticket.id, error: (error as Error).message });
    return { ...outcome, deferred: true };
  }
}

/** Whatever `ticket` is owed now, sent and marked; its due-index entry moved to its next check. */
async function scanTicket(first: Ticket, now: Date, roster: () => Promise<Staff[]>, deps: SlaScanDependencies, outcome: TicketOutcome): Promise<TicketOutcome> {
  let ticket: Ticket | undefined = first;
  for (let attempt = 0; ticket?.slaState; attempt += 1) {
    const state = ticket.slaState;
    const actions = slaActionsDue(state.track, state.marks, now, deps.settings.slaPolicy);
    const settled: SlaAction[] = [];
    for (const action of actions) {
      const sent = await sendAction(ticket, action, now, await roster(), deps);
      outcome.mailsSent += sent.sent;
      if (sent.settled) settled.push(action);
      else outcome.deferred = true;
    }
    const next = markSla(state, settled, now, deps.settings.slaPolicy);
    // Nothing done and nothing to move: an entry written early (a writer that could not know better) or a
    // repeat of a run that already moved it.
    if (settled.length === 0 && next.checkAt === state.checkAt) return outcome;
    const events = settled.map((action) => slaEvent(ticket!, action, now));
    const result = await deps.store.writeTicketSla(ticket, {}, next, events);
    if (result === 'changed') {
      for (const action of settled) {
        if (action.kind === 'warning') outcome.warnings += 1;
        else outcome.breaches += 1;
        deps.metrics({
          name: action.kind === 'warning' ? SLA_METRICS.warnings : SLA_METRICS.breaches,
          unit: 'Count',
          value: 1,
          dimensions: { Tier: ticket.tier, Priority: ticket.priority },
          properties: { target: action.target, ticketId: ticket.id },
        });
      }
      deps.log?.('sla scan acted', { ticketId: ticket.id, actions: settled.map((a) => `${a.kind}:${a.target}`), nextCheckAt: next.checkAt ?? null });
      return outcome;
    }
    if (attempt >= MAX_MARK_RETRIES) {
      outcome.deferred = true;
      return outcome;
    }
    // The ticket changed since it was read (an answer, another scan): read it again and decide again.
    [ticket] = await deps.store.readTicketsNow([ticket.id]);
  }
  return outcome;
}

/**
 * Who hears of `action`: the assignee is warned (the leads when nobody is assigned); a breach goes to the
 * assignee's active backup and every active lead (the leads alone when nobody is assigned). A breach found
 * after its clock stopped is recorded, not escalated.
 */
export function slaRecipients(ticket: Pick<Ticket, 'assignee'>, action: SlaAction, staff: readonly Staff[]): Array<{ member: Staff; reason: string }> {
  if (action.stopped) return [];
  const byId = new Map(staff.map((member) => [member.id, member]));
  const assignee = ticket.assignee ? byId.get(ticket.assignee) : undefined;
  const leads = staff.filter((member) => member.role === 'lead' && member.status === 'active').map((member) => ({ member, reason: ticket.assignee ? 'you lead the desk' : 'the ticket is unassigned and you lead the desk' }));
  const recipients: Array<{ member: Staff; reason: string }> = [];
  if (action.kind === 'warning') {
    if (assignee) recipients.push({ member: assignee, reason: 'the ticket is assigned to you' });
    else recipients.push(...leads);
  } else {
    const backup = assignee?.backupId ? byId.get(assignee.backupId) : undefined;
    if (backup && backup.status === 'active') recipients.push({ member: backup, reason: `you are the backup of ${assignee!.name}, whose ticket it is` });
    recipients.push(...leads);
  }
  const seen = new Set<string>();
  return recipients.filter(({ member }) => (seen.has(member.id) ? false : (seen.add(member.id), true)));
}

/** Sends every mail of `action`, once; settled when each one is sent or will never be (refused, unknown). */
async function sendAction(ticket: Ticket, action: SlaAction, now: Date, staff: Staff[], deps: SlaScanDependencies): Promise<{ settled: boolean; sent: number }> {
  let settled = true;
  let sent = 0;
  for (const { member, reason } of slaRecipients(ticket, action, staff)) {
    try {
      const outcome = await sendSlaMail(ticket, action, member, reason, now, staff, deps);
      if (outcome.status === 'sent') sent += 1;
      if (outcome.status === 'unknown' || outcome.status === 'rejected') {
        deps.log?.('sla mail not delivered', { ticketId: ticket.id, staffId: member.id, target: action.target, kind: action.kind, outcome: outcome.status, error: outcome.error });
      }
      // Another run holds the claim: it finishes the mail, and the next run marks the action.
      if (outcome.status === 'busy') settled = false;
    } catch (error) {
      // A send that certainly failed (throttled, no connection) was released: the next run sends it.
      deps.log?.('sla mail not sent; retried by the next scan', { ticketId: ticket.id, staffId: member.id, error: (error as Error).message });
      settled = false;
    }
  }
  return { settled, sent };
}

function sendSlaMail(ticket: Ticket, action: SlaAction, recipient: Staff, reason: string, now: Date, staff: Staff[], deps: SlaScanDependencies): Promise<SendOnceOutcome> {
  const { settings } = deps;
  const discriminator = ownMessageDiscriminator(`sla\n${action.kind}\n${action.target}\n${action.cycle}\n${recipient.id}`);
  const assignee = ticket.assignee ? staff.find((member) => member.id === ticket.assignee) : undefined;
  const mail = buildSlaMail({
    ticket,
    kind: action.kind,
    target: action.target,
    dueAt: action.dueAt,
    now,
    recipient,
    ...(assignee ? { assignee } : {}),
    reason,
    support: { name: settings.supportDisplayName, address: settings.supportAddress },
    replyAddress: staffReplyAddressFor(settings.supportAddress, ticket, recipient.id, settings.replyTokenSecret),
    messageId: ownMessageIdFor('sla', ticket.id, settings.supportAddress, settings.replyTokenSecret, discriminator),
  });
  const message = outboundMessage(mail, {
    ticketId: ticket.id,
    key: `~sla:${discriminator}`,
    purpose: action.kind === 'warning' ? 'sla-warning' : 'sla-escalation',
    staffId: recipient.id,
    text: `${action.kind === 'warning' ? 'SLA warning' : 'SLA escalation'} (${action.target}, due ${action.dueAt}) to ${recipient.name} <${recipient.email}>: ${reason}`,
    classification: { kind: 'auto-reply', reason: 'SLA mail sent by Concierge' },
    language: 'en',
    // Keyed by the run of the clock alone, never by its due time (a pause or a priority change moves that
    // within one run): every scan, before or after such a change, claims the same item.
    receivedAt: action.cycle,
  });
  // Claims and leases run on the real clock, not the instant the scan reads the index for.
  return sendOutboundMessage(message, mail, { ...deps, now: () => new Date() });
}

function slaEvent(ticket: Ticket, action: SlaAction, now: Date): TicketEvent {
  const key = `sla:${action.kind}:${action.target}:${createHash('sha256').update(action.cycle).digest('base64url').slice(0, 16)}`;
  return {
    ticketId: ticket.id,
    at: now.toISOString(),
    key,
    type: action.kind === 'warning' ? 'sla-warning' : 'sla-breach',
    actor: 'sla-scan',
    detail: {
      target: action.target,
      dueAt: action.dueAt,
      ...(action.kind === 'breach' ? { lateSeconds: String(Math.max(0, Math.round((now.getTime() - Date.parse(action.dueAt)) / 1000))) } : {}),
      ...(action.stopped ? { found: 'after the clock stopped' } : {}),
    },
  };
}

/** `work` over `items`, `size` at a time, until the run's time is nearly up (the rest is left undone). */
async function inBatches<T, R>(items: readonly T[], size: number, deps: Pick<SlaScanDependencies, 'timeLeftMs'>, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    if (deps.timeLeftMs && deps.timeLeftMs() < SCAN_STOP_MARGIN_MS) break;
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  }
  return results;
}

export const newScanHolder = () => `sla-scan:${randomUUID()}`;

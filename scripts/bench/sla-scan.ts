/**
 * What one SLA scan reads when many tickets are open and few are due: the same scan (sla/scan.ts
 * `runSlaScan`, with the stores the scan handler builds) over tables that differ only in how many open
 * tickets are not due yet. Its cost should follow what is due, not what is open.
 *
 * Each table of its own on DynamoDB Local, seeded unmetered: tickets as a customer's first message opens
 * them (tickets/new-ticket.ts `newTicket`, so their SLA clocks are the real ones), stored as the store
 * stores them (`ticketItem`) in BatchWriteItem requests. The due tickets are the same in every table (same
 * references, texts and opening times), so every scan has the same work to do; the others were opened
 * recently enough that their first check lies ahead. A lead is on the roster, so each warning and breach
 * is mailed; the mail sender accepts everything (the figure is DynamoDB's, not SES's).
 *
 * The scan's document client carries the meter (`meter.ts`), which bills by AWS's rules (`billing.ts`).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { putItems } from '../../functions/adapters/dynamodb/messages';
import { DynamoRosterStore } from '../../functions/adapters/dynamodb/roster';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import { ticketItem } from '../../functions/adapters/dynamodb/tickets';
import type { MetricPoint } from '../../functions/commons/metrics';
import type { OutboundMail } from '../../functions/outbound/acknowledgement';
import type { MailSender } from '../../functions/ports/mail-sender';
import { categorize } from '../../functions/sla/categorize';
import { DEFAULT_SLA_POLICY, slaPolicyFingerprint, type SlaPolicy } from '../../functions/sla/policy';
import { newScanHolder, runSlaScan, type SlaScanSummary } from '../../functions/sla/scan';
import type { Ticket } from '../../functions/tickets/model';
import { newTicket } from '../../functions/tickets/new-ticket';
import { ticketRefFor } from '../../functions/tickets/references';
import { dropTable, ensureTable } from '../local/dynamodb-local';
import { LOCAL_ACCESS_KEY } from '../local/stack';
import { AwsMeter, type MeteredCall } from './meter';

/** The issue's comparison: one scan with this many open tickets, and one with that many. */
export const SLA_SCAN_OPEN_TICKETS = [10_000, 100] as const;
/** Tickets due at the scan in each table. */
export const SLA_SCAN_DUE_TICKETS = 20;

const SUPPORT_ADDRESS = 'support@concierge.test';
const REF_SECRET = 'sla-scan-bench';
/** Seeding: items per putItems call (25 per BatchWriteItem request inside it), and calls in flight. */
const SEED_SLICE = 500;
const SEED_CONCURRENCY = 4;

/** Support mail of several kinds, so the due tickets run on several priorities' targets. */
const OPENING_MESSAGES: ReadonlyArray<{ subject: string; text: string }> = [
  { subject: 'Withdrawal still pending', text: 'My USDT withdrawal has been pending for hours. Order 88213, network TRC20.' },
  { subject: 'KYC documents rejected', text: 'My passport photo was rejected twice, please check what is wrong with it.' },
  { subject: 'Question about trading fees', text: 'What is the maker fee for the VIP 1 level, and is it charged in BNB?' },
  { subject: 'Cannot log in', text: 'I forgot my password and the reset email does not arrive. Please help.' },
  { subject: 'Someone withdrew from my account', text: 'I did not make this withdrawal, my account was hacked this morning.' },
  { subject: 'P2P seller not releasing coins', text: 'I paid the seller an hour ago but the order is still open and the coins are held.' },
];

export interface SlaScanOperation {
  /** `DynamoDB.Query`, `DynamoDB.BatchGetItem`, … */
  name: string;
  calls: number;
  readUnits: number;
  writeUnits: number;
}

export interface SlaScanRun {
  openTickets: number;
  /** Tickets seeded with their SLA check at or before the scan's time. */
  dueTickets: number;
  seedMs: number;
  summary: SlaScanSummary;
  /** Distinct tickets the scan marked an action on (from its metrics: one point per action whose mark landed). */
  actedOn: number;
  mailsAccepted: number;
  /** Due-index entries at or before the scan's time once it finished, read unmetered. */
  dueAfter: number;
  /** The scan's AWS requests and billed DynamoDB units. */
  requests: number;
  readUnits: number;
  writeUnits: number;
  operations: SlaScanOperation[];
}

export interface SlaScanBenchOptions {
  dynamoEndpoint: string;
  /** One table and one scan per entry, in this order. */
  openTickets: readonly number[];
  dueTickets: number;
  policy?: SlaPolicy;
  /** The scan's time; tickets are opened relative to it. */
  now?: Date;
  progress?: (line: string) => void;
}

/**
 * `open` tickets, of which the first `due` are due at `now` (a warning or a breach of their first response
 * owed) and the rest opened recently enough that nothing is owed yet. Built by `newTicket` at their opening
 * time, so their SLA is what a real opening computes. The due tickets depend only on their index: every
 * call makes the same ones.
 */
export function slaBenchTickets(open: number, due: number, now: Date, policy: SlaPolicy): Ticket[] {
  if (due > open) throw new Error(`${due} due tickets cannot be among ${open} open ones`);
  const taken = new Set<string>();
  const refFor = (origin: string) => {
    for (let attempt = 0; ; attempt += 1) {
      const ref = ticketRefFor(origin, attempt, REF_SECRET);
      if (taken.has(ref)) continue;
      taken.add(ref);
      return ref;
    }
  };
  const tickets: Ticket[] = [];
  for (let index = 0; index < open; index += 1) {
    const isDue = index < due;
    const kind = isDue ? 'due' : 'open';
    const message = OPENING_MESSAGES[index % OPENING_MESSAGES.length]!;
    const sender = `${kind}.${index}@customer.example`;
    const messageId = `<${kind}.${index}@client.example>`;
    const firstResponse = policy.targets.standard[categorize(message.subject, message.text).priority].firstResponse * 1000;
    // Due: alternately past the warning point and past the due time. Not due: opened within the last part
    // of the time before the warning, spread so their checks fall at many times ahead.
    const age = isDue ? (index % 2 === 0 ? (policy.warnAt + 1) / 2 : 1.5) * firstResponse : ((index % 97) / 97) * policy.warnAt * 0.9 * firstResponse;
    const createdAt = new Date(now.getTime() - Math.round(age));
    tickets.push(
      newTicket({
        ref: refFor(`${sender}\n${messageId}`),
        mail: { subject: message.subject, cc: [] },
        sender,
        visibleText: message.text,
        language: 'en',
        decision: { kind: 'new' },
        trust: 'aligned',
        ownAddresses: [SUPPORT_ADDRESS],
        slaPolicy: policy,
        openedBy: { sesMessageId: `${kind}${String(index).padStart(8, '0')}`.padEnd(40, '0'), origin: `${sender}\n${messageId}`, receivedAt: createdAt.toISOString() },
        ack: { state: 'sent', sesMessageId: `ack-${kind}-${index}`, messageId: `<ack-${kind}-${index}@email.amazonses.com>`, sentAt: createdAt.toISOString() },
        now: createdAt,
      }),
    );
  }
  return tickets;
}

/** Accepts every mail, with an id of fixed length, and counts them. */
class AcceptingMailSender implements MailSender {
  accepted = 0;
  async send(_mail: OutboundMail): Promise<{ sesMessageId: string }> {
    this.accepted += 1;
    return { sesMessageId: `sla-bench-${String(this.accepted).padStart(10, '0')}` };
  }
}

/** Seeds a table per entry of `openTickets`, runs one metered scan on each, and drops the tables. */
export async function measureSlaScans(options: SlaScanBenchOptions): Promise<SlaScanRun[]> {
  const policy = options.policy ?? DEFAULT_SLA_POLICY;
  const now = options.now ?? new Date();
  const progress = options.progress ?? (() => undefined);
  const clientOptions = { region: 'us-east-1', endpoint: options.dynamoEndpoint, credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } };
  const reference = new DynamoDBClient(clientOptions);
  const base = new DynamoDBClient(clientOptions);
  // As createDocumentClient() builds the scan handler's, with the endpoint spelled out.
  const documentClient = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
  const seedClient = DynamoDBDocumentClient.from(reference, { marshallOptions: { removeUndefinedValues: true } });
  const meter = new AwsMeter(reference);
  meter.attach(documentClient);
  const tables: string[] = [];
  try {
    const runs: SlaScanRun[] = [];
    const suffix = randomBytes(4).toString('hex');
    for (const open of options.openTickets) {
      const tableName = `concierge-sla-scan-${open}-${suffix}`;
      tables.push(tableName);
      await ensureTable(options.dynamoEndpoint, tableName);

      const seedStarted = performance.now();
      const tickets = slaBenchTickets(open, options.dueTickets, now, policy);
      const dueTickets = tickets.filter((ticket) => ticket.slaState?.checkAt && ticket.slaState.checkAt <= now.toISOString()).length;
      await seed(seedClient, tableName, tickets.map(ticketItem), (written) => progress(`sla scan: seeding ${open} open tickets: ${written}/${open}`));
      const roster = new DynamoRosterStore(seedClient, tableName);
      await roster.createStaff({ name: 'Desk Lead', email: 'lead@staff.example', role: 'lead', status: 'active' });
      // A desk in its steady state: the due index was computed under the policy in force, so the scan does
      // not first re-index every open ticket (a one-off after a policy change, not part of a minute's cost).
      await new DynamoTicketStore(seedClient, tableName).putSlaPolicyMark({ fingerprint: slaPolicyFingerprint(policy) });
      const seedMs = performance.now() - seedStarted;

      const store = new DynamoTicketStore(documentClient, tableName);
      const mailSender = new AcceptingMailSender();
      const marked = new Set<string>();
      progress(`sla scan: scanning ${open} open tickets, ${dueTickets} due`);
      meter.take();
      meter.recording = true;
      let summary: SlaScanSummary;
      let calls: MeteredCall[];
      try {
        summary = await runSlaScan({
          store,
          roster: new DynamoRosterStore(documentClient, tableName),
          mailSender,
          settings: { supportAddress: SUPPORT_ADDRESS, supportDisplayName: 'Concierge Support', replyTokenSecret: REF_SECRET, region: 'us-east-1', slaPolicy: policy },
          metrics: (point: MetricPoint) => {
            const ticketId = point.properties?.ticketId;
            if (typeof ticketId === 'string') marked.add(ticketId);
          },
          now: () => now,
          newClaimHolder: newScanHolder,
        });
      } finally {
        meter.recording = false;
        calls = meter.take();
      }
      const dueAfter = (await new DynamoTicketStore(seedClient, tableName).listSlaDue(now.toISOString(), 1_000)).items.length;
      runs.push({
        openTickets: open,
        dueTickets,
        seedMs,
        summary,
        actedOn: marked.size,
        mailsAccepted: mailSender.accepted,
        dueAfter,
        requests: calls.length,
        readUnits: sum(calls, (call) => call.readUnits),
        writeUnits: sum(calls, (call) => call.writeUnits),
        operations: operationsOf(calls),
      });
      // Frees DynamoDB Local's memory before the next table is seeded.
      await dropTable(options.dynamoEndpoint, tableName);
      tables.pop();
    }
    return runs;
  } finally {
    for (const tableName of tables) await dropTable(options.dynamoEndpoint, tableName).catch(() => undefined);
    documentClient.destroy();
    base.destroy();
    reference.destroy();
  }
}

async function seed(client: DynamoDBDocumentClient, tableName: string, items: Record<string, unknown>[], onProgress: (written: number) => void): Promise<void> {
  let next = 0;
  let written = 0;
  let reported = 0;
  const worker = async () => {
    while (next < items.length) {
      const slice = items.slice(next, next + SEED_SLICE);
      next += slice.length;
      if ((await putItems(client, tableName, slice)) !== 'recorded') throw new Error('a seeded ticket was refused as too large');
      written += slice.length;
      if (written - reported >= 1_000 || written === items.length) {
        reported = written;
        onProgress(written);
      }
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
}

const sum = (calls: readonly MeteredCall[], pick: (call: MeteredCall) => number) => calls.reduce((total, call) => total + pick(call), 0);

function operationsOf(calls: readonly MeteredCall[]): SlaScanOperation[] {
  const operations = new Map<string, SlaScanOperation>();
  for (const call of calls) {
    const name = `${call.service}.${call.operation}${call.failed ? ` (${call.failed})` : ''}`;
    const entry = operations.get(name) ?? { name, calls: 0, readUnits: 0, writeUnits: 0 };
    entry.calls += 1;
    entry.readUnits += call.readUnits;
    entry.writeUnits += call.writeUnits;
    operations.set(name, entry);
  }
  return [...operations.values()];
}

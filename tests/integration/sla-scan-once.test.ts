/**
 * The SLA scan against DynamoDB Local and the local SES endpoint, its clock moved by hand: each warning and
 * each escalation goes out once per ticket and target, whether scans overlap, repeat, or die halfway.
 */
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRosterStore } from '../../functions/adapters/dynamodb/roster';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import { createDocumentClient } from '../../functions/commons/clients/dynamodb';
import { createSesClient } from '../../functions/commons/clients/ses';
import type { MetricPoint } from '../../functions/commons/metrics';
import { SesMailSender } from '../../functions/outbound/ses-mail-sender';
import { DEFAULT_SLA_POLICY } from '../../functions/sla/policy';
import { runSlaScan, type SlaScanDependencies } from '../../functions/sla/scan';
import { relayStaffReply } from '../../functions/tickets/staff-replies';
import { emfDocument } from '../../functions/commons/metrics';
import type { Ticket } from '../../functions/tickets/model';
import { apiOk, composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
const staff: Record<string, { id: string; email: string }> = {};

const api = <T>(path: string, method = 'GET', body?: unknown) => apiOk<T>(stack, path, method, body);

const addressesOf = (field: ParsedMail['to']) => (field ? (Array.isArray(field) ? field : [field]).flatMap((f) => f.value.map((a) => a.address?.toLowerCase() ?? '')) : []);

async function slaMailAbout(ref: string): Promise<string[]> {
  return (await stack.outbox()).filter(({ mail }) => mail.subject?.startsWith(`[#${ref}] SLA`)).flatMap(({ mail }) => addressesOf(mail.to).map((to) => `${to}: ${mail.subject?.replace(/(first response|next response|resolution) .*$/, '$1')}`)).sort();
}

/** Opens an unanswered VIP security ticket assigned to Mia; returns it as stored. */
async function openIncident(store: DynamoTicketStore): Promise<Ticket> {
  const customer = `vip-${randomBytes(3).toString('hex')}@client.example`;
  await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id, language: 'en' });
  await stack.sendSmtp(composeMessage({ from: customer, subject: 'Account hacked', text: 'Someone made an unauthorized withdrawal from my account.' }));
  const { tickets } = await api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
  return (await store.getTicket(tickets[0]!.id))!;
}

function scanDependencies(at: Date, overrides: Partial<SlaScanDependencies> = {}): SlaScanDependencies & { points: MetricPoint[] } {
  const client = createDocumentClient();
  const points: MetricPoint[] = [];
  return {
    store: new DynamoTicketStore(client, stack.tableName),
    roster: new DynamoRosterStore(client, stack.tableName),
    mailSender: new SesMailSender(createSesClient(), undefined),
    settings: { supportAddress: stack.supportAddress, supportDisplayName: 'Support', replyTokenSecret: process.env.REPLY_TOKEN_SECRET!, region: 'us-east-1', slaPolicy: DEFAULT_SLA_POLICY },
    metrics: (point) => points.push(point),
    now: () => at,
    points,
    ...overrides,
  };
}

/** The scan's view of `base`, with some of its methods replaced (to make a run fail at a chosen step). */
function storeWith(base: DynamoTicketStore, overrides: Partial<SlaScanDependencies['store']>): SlaScanDependencies['store'] {
  return {
    listSlaDue: base.listSlaDue.bind(base),
    readTicketsNow: base.readTicketsNow.bind(base),
    outboundLedger: base.outboundLedger.bind(base),
    writeTicketSla: base.writeTicketSla.bind(base),
    getSlaPolicyMark: base.getSlaPolicyMark.bind(base),
    putSlaPolicyMark: base.putSlaPolicyMark.bind(base),
    listRecentTickets: base.listRecentTickets.bind(base),
    ...overrides,
  };
}

const minutesAfter = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000);

beforeAll(async () => {
  stack = await startTestStack();
  const add = async (key: string, fields: Record<string, unknown>) => {
    staff[key] = await api('/staff', 'POST', { status: 'active', ...fields });
  };
  await add('ben', { name: 'Ben Backup', email: 'ben@staff.example', role: 'manager', capacity: 50 });
  await add('mia', { name: 'Mia Manager', email: 'mia@staff.example', role: 'manager', capacity: 50, backupId: staff.ben!.id });
  await add('lea', { name: 'Lea Lead', email: 'lea@staff.example', role: 'lead' });
});

afterAll(async () => {
  await stack?.teardown();
});

describe('the SLA scan', () => {
  it('sends each warning and escalation once when five scans run at the same moment, and counts each once', async () => {
    // Prepare: VIP urgent, first response due 15 minutes after opening
    const store = new DynamoTicketStore(createDocumentClient(), stack.tableName);
    const ticket = await openIncident(store);
    const atWarning = scanDependencies(minutesAfter(ticket.createdAt, 12));
    const atBreach = scanDependencies(minutesAfter(ticket.createdAt, 16));
    const muchLater = scanDependencies(minutesAfter(ticket.createdAt, 60));

    // Act: five at the warning, five at the breach, one long after. Which of the five sends which mail, and
    // which marks the action, is up to the race (a run that found any mail of an action claimed by another
    // leaves the mark to a later run); what is sent and counted is not.
    const runs = [
      ...(await Promise.all(Array.from({ length: 5 }, () => runSlaScan(atWarning)))),
      ...(await Promise.all(Array.from({ length: 5 }, () => runSlaScan(atBreach)))),
      await runSlaScan(muchLater),
    ];

    // Assess
    expect(await slaMailAbout(ticket.ref)).toEqual([
      `ben@staff.example: [#${ticket.ref}] SLA breached: first response`,
      `lea@staff.example: [#${ticket.ref}] SLA breached: first response`,
      `mia@staff.example: [#${ticket.ref}] SLA warning: first response`,
    ]);
    expect(runs.reduce((sum, run) => sum + run.warnings, 0)).toBe(1);
    expect(runs.reduce((sum, run) => sum + run.breaches, 0)).toBe(1);
    expect(runs.reduce((sum, run) => sum + run.mailsSent, 0)).toBe(3);
    const breachPoints = [...atWarning.points, ...atBreach.points, ...muchLater.points].filter((point) => point.name === 'SlaBreaches');
    expect(breachPoints).toEqual([
      expect.objectContaining({ value: 1, dimensions: { Tier: 'vip', Priority: 'urgent' }, properties: expect.objectContaining({ target: 'firstResponse', ticketId: ticket.id }) }),
    ]);
    const events = await store.listEvents(ticket.id);
    expect(events.filter((event) => event.type.startsWith('sla-')).map((event) => `${event.type}:${event.detail.target}`)).toEqual(['sla-warning:firstResponse', 'sla-breach:firstResponse']);
    // Nothing left to watch until resolution's warning (3 of its 4 hours).
    const after = await store.getTicket(ticket.id);
    expect(after?.slaState?.checkAt).toBe(minutesAfter(ticket.createdAt, 180).toISOString());
  });

  it('finishes what a scan that died halfway began, without sending anything twice', async () => {
    // Prepare
    const store = new DynamoTicketStore(createDocumentClient(), stack.tableName);
    const ticket = await openIncident(store);
    const at = minutesAfter(ticket.createdAt, 16);
    // A scan whose mail to the lead fails as if no connection was made, and which dies before writing its mark
    const failing = scanDependencies(at);
    const realSender = failing.mailSender;
    const dying = scanDependencies(at, {
      mailSender: {
        send: (mail) => (mail.to === 'lea@staff.example' ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error', code: 'ECONNREFUSED' })) : realSender.send(mail)),
      },
    });
    const crashingStore = scanDependencies(at);
    crashingStore.store = storeWith(crashingStore.store as DynamoTicketStore, { writeTicketSla: () => Promise.reject(new Error('the process died here')) });

    // Act: the first scan sends to the backup but not to the lead, so marks nothing; the second sends to the
    // lead and dies before its mark; the third finds both mails sent and writes the mark.
    const first = await runSlaScan(dying);
    const second = await runSlaScan(crashingStore);
    const third = await runSlaScan(scanDependencies(at));
    const fourth = await runSlaScan(scanDependencies(minutesAfter(ticket.createdAt, 20)));

    // Assess
    expect(first).toMatchObject({ breaches: 0, deferred: 1 });
    expect(second).toMatchObject({ breaches: 0, mailsSent: 1, deferred: 1 });
    expect(third).toMatchObject({ breaches: 1, mailsSent: 0, deferred: 0 });
    expect(fourth).toMatchObject({ due: 0 });
    expect(await slaMailAbout(ticket.ref)).toEqual([`ben@staff.example: [#${ticket.ref}] SLA breached: first response`, `lea@staff.example: [#${ticket.ref}] SLA breached: first response`]);
    const events = await store.listEvents(ticket.id);
    expect(events.filter((event) => event.type === 'sla-breach')).toHaveLength(1);
  });

  it('is told by an answer that the first response is met, and the answer counts its response time once', async () => {
    // Prepare
    const store = new DynamoTicketStore(createDocumentClient(), stack.tableName);
    const ticket = await openIncident(store);
    const deps = scanDependencies(minutesAfter(ticket.createdAt, 5));
    const answerAt = minutesAfter(ticket.createdAt, 5).toISOString();
    const answer = { ticketId: ticket.id, staffId: staff.mia!.id, text: 'We have frozen the account and are on it.', at: answerAt, via: 'api' as const };

    // Act: the same answer twice (a retried request), then scans long after every first-response time
    const replyDeps = { ...deps, store, roster: new DynamoRosterStore(createDocumentClient(), stack.tableName) };
    await relayStaffReply({ ...answer, cause: 'api:first-response-metric' }, replyDeps);
    await relayStaffReply({ ...answer, cause: 'api:first-response-metric' }, replyDeps);
    const later = await runSlaScan(scanDependencies(minutesAfter(ticket.createdAt, 30)));

    // Assess
    expect(deps.points.filter((point) => point.name === 'FirstResponseSeconds')).toEqual([expect.objectContaining({ unit: 'Seconds', value: 300, dimensions: { Tier: 'vip', Priority: 'urgent' } })]);
    expect(emfDocument(deps.points[0]!, 0)).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Concierge', Dimensions: [['Tier', 'Priority']], Metrics: [{ Name: 'FirstResponseSeconds', Unit: 'Seconds' }] }] },
      Tier: 'vip',
      Priority: 'urgent',
      FirstResponseSeconds: 300,
    });
    expect(later.deferred).toBe(0);
    expect((await store.listEvents(ticket.id)).filter((event) => event.type.startsWith('sla-'))).toEqual([]);
    expect(await slaMailAbout(ticket.ref)).toEqual([]);
    const answered = await store.getTicket(ticket.id);
    // Waiting on the customer: resolution is paused, so the due index holds nothing for this ticket.
    expect(answered?.slaState?.checkAt).toBeUndefined();
  });

  it('does not mail an action again when its due time moved between the mail and the mark', async () => {
    // Prepare: the breach mails go out, and the scan dies before its mark
    const store = new DynamoTicketStore(createDocumentClient(), stack.tableName);
    const ticket = await openIncident(store);
    const dying = scanDependencies(minutesAfter(ticket.createdAt, 16));
    dying.store = storeWith(dying.store as DynamoTicketStore, { writeTicketSla: () => Promise.reject(new Error('the process died here')) });
    expect(await runSlaScan(dying)).toMatchObject({ mailsSent: 2, deferred: 1, breaches: 0 });

    // Act: staff lower the priority (a later due time for the same run, still past), then scans run again
    await api(`/tickets/${ticket.id}`, 'PATCH', { category: 'deposit-withdrawal', priority: 'high' });
    const again = await runSlaScan(scanDependencies(minutesAfter(ticket.createdAt, 45)));

    // Assess: the same run of the first response, so the same mails: nothing went out twice
    expect(again.mailsSent).toBe(0);
    expect(await slaMailAbout(ticket.ref)).toEqual([`ben@staff.example: [#${ticket.ref}] SLA breached: first response`, `lea@staff.example: [#${ticket.ref}] SLA breached: first response`]);
  });

  it('leaves a ticket it cannot handle for the next run and handles the others, and stops taking tickets near its deadline', async () => {
    // Prepare
    const store = new DynamoTicketStore(createDocumentClient(), stack.tableName);
    const broken = await openIncident(store);
    const fine = await openIncident(store);
    const at = minutesAfter(fine.createdAt, 12);
    const deps = scanDependencies(at);
    const base = deps.store as DynamoTicketStore;
    deps.store = storeWith(base, {
      writeTicketSla: (ticket, change, next, events) => (ticket.id === broken.id ? Promise.reject(new Error('this ticket cannot be written')) : base.writeTicketSla(ticket, change, next, events)),
    });

    // Act
    const outOfTime = await runSlaScan(scanDependencies(at, { timeLeftMs: () => 5_000 }));
    const run = await runSlaScan(deps);

    // Assess
    expect(outOfTime).toMatchObject({ due: 0, warnings: 0, more: true });
    expect(run.warnings).toBeGreaterThanOrEqual(1);
    expect(run.deferred).toBeGreaterThanOrEqual(1);
    expect((await store.getTicket(fine.id))?.slaState?.marks.firstResponse?.warnedAt).toBeDefined();
    expect((await store.getTicket(broken.id))?.slaState?.marks.firstResponse).toBeUndefined();
  });

  it('keeps a ticket open when an answer is recorded after the customer wrote again, and owes that message a response', async () => {
    // Prepare: the answer is written, the customer writes again, and only then is the answer recorded
    const store = new DynamoTicketStore(createDocumentClient(), stack.tableName);
    const ticket = await openIncident(store);
    const writtenAt = new Date().toISOString();
    await stack.sendSmtp(composeMessage({ from: ticket.customer, subject: `Re: [#${ticket.ref}] Account hacked`, text: 'They are still logged in!' }));
    const deps = scanDependencies(new Date());
    const replyDeps = { ...deps, store, roster: new DynamoRosterStore(createDocumentClient(), stack.tableName) };

    // Act
    await relayStaffReply({ ticketId: ticket.id, staffId: staff.mia!.id, text: 'We froze the account.', cause: 'api:late-record', at: writtenAt, via: 'api' }, replyDeps);

    // Assess
    const after = (await store.getTicket(ticket.id))!;
    expect(after.status).toBe('open');
    expect(after.firstRespondedAt).toBe(writtenAt);
    expect(after.slaState?.track.firstResponse?.stopped).toBeDefined();
    expect(after.slaState?.track.nextResponse?.stopped).toBeUndefined();
    expect(after.slaState?.checkAt).toBeDefined();
  });

  it('re-indexes open tickets when a new policy tightens their targets, so the scan finds them due in time', async () => {
    // Prepare: a VIP question of no urgency (first response in 1 h by default); the due index as the defaults set it
    const store = new DynamoTicketStore(createDocumentClient(), stack.tableName);
    const customer = `vip-${randomBytes(3).toString('hex')}@client.example`;
    await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id, language: 'en' });
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'A question', text: 'Hello, a general question about my account statement layout.' }));
    const { tickets } = await api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
    const ticket = (await store.getTicket(tickets[0]!.id))!;
    expect([ticket.priority, ticket.slaState?.checkAt]).toEqual([ticket.priority, minutesAfter(ticket.createdAt, DEFAULT_SLA_POLICY.targets.vip[ticket.priority].firstResponse * 0.75 / 60).toISOString()]);
    await runSlaScan(scanDependencies(minutesAfter(ticket.createdAt, 1)));
    const tightened = structuredClone(DEFAULT_SLA_POLICY);
    tightened.targets.vip[ticket.priority].firstResponse = 10 * 60;
    const underNewPolicy = (at: Date) => scanDependencies(at, { settings: { ...scanDependencies(at).settings, slaPolicy: tightened } });

    // Act: the first run under the new policy, 20 minutes in (past the new 10-minute target)
    const first = await runSlaScan(underNewPolicy(minutesAfter(ticket.createdAt, 20)));
    const second = await runSlaScan(underNewPolicy(minutesAfter(ticket.createdAt, 21)));

    // Assess: moved, found due and escalated by that same run; the next run re-indexes nothing
    expect(first.reindexed).toBeGreaterThanOrEqual(1);
    expect(second.reindexed).toBe(0);
    const events = await store.listEvents(ticket.id);
    expect(events.filter((event) => event.type === 'sla-breach').map((event) => event.detail.target)).toEqual(['firstResponse']);
  });
});

/**
 * The SLA report end to end: `GET /reports/sla` over tickets opened by mail and tickets stored with a known
 * history, its 400s, the limit on the tickets one report reads, and `npx concierge sla report`; then a
 * ticket's priority and category changed with `tickets update` and its SLA shown by `tickets show`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketItem } from '../../functions/adapters/dynamodb/tickets';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import { BadRequestError } from '../../functions/api/errors';
import { slaReport } from '../../functions/api/reports-api';
import { DEFAULT_SLA_POLICY } from '../../functions/sla/policy';
import type { SlaReport } from '../../functions/sla/report';
import type { SlaEvent } from '../../functions/sla/track';
import type { Ticket } from '../../functions/tickets/model';
import { advanceSla, openingSlaState } from '../../functions/tickets/sla-state';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { runCli } from '../helpers/cli';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
let client: DynamoDBDocumentClient;
const mailTickets: string[] = [];

/** A ticket stored as the desk would have stored it, its SLA folded from `events` after its first message. */
async function putTicket(id: string, fields: Partial<Ticket> & { createdAt: string; events?: SlaEvent[]; legacy?: boolean }): Promise<void> {
  const { events, legacy, ...overrides } = fields;
  const tier = overrides.tier ?? 'standard';
  const priority = overrides.priority ?? 'normal';
  const opening = openingSlaState(tier, priority, fields.createdAt, DEFAULT_SLA_POLICY);
  const slaState = events ? advanceSla({ slaState: opening }, events, new Date(events.at(-1)?.at ?? fields.createdAt), DEFAULT_SLA_POLICY) : opening;
  const ticket: Ticket = {
    id,
    ref: id,
    subject: 'Withdrawal pending',
    category: 'deposit-withdrawal',
    status: 'open',
    customer: `${id.toLowerCase()}@example.com`,
    parties: [`${id.toLowerCase()}@example.com`],
    flags: [],
    language: 'en',
    tier,
    priority,
    updatedAt: fields.createdAt,
    firstResponseDueAt: fields.createdAt,
    messageCount: 1,
    openedBy: { sesMessageId: id, origin: id },
    ack: { state: 'not-needed' },
    ...(legacy ? {} : { slaState }),
    ...overrides,
  };
  await client.send(new PutCommand({ TableName: stack.tableName, Item: ticketItem(ticket) }));
}

beforeAll(async () => {
  stack = await startTestStack();
  const credentials = { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY };
  client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoEndpoint, credentials }), { marshallOptions: { removeUndefinedValues: true } });

  for (const [from, subject, text] of [
    ['alice@example.com', 'Withdrawal pending for 3 hours', 'My BTC withdrawal (order 8812734) has been pending since 07:00 UTC.'],
    ['bob@example.com', 'Question about trading fees', 'What is the maker fee for the BTC/USDT pair at my VIP level?'],
  ] as const) {
    const result = await stack.deliver(composeMessage({ from, subject, text }));
    if (result.outcome !== 'ticket-created') throw new Error(`expected a ticket, got ${result.outcome}`);
    mailTickets.push(result.ticketId);
  }

  // March 2025 (default policy, 24x7: VIP urgent first response 15 min).
  const answer = (at: string): SlaEvent => ({ type: 'staff-answer', at });
  const close = (at: string): SlaEvent => ({ type: 'status', at, status: 'closed' });
  // Answered after 20 min (1,200 s): breached.
  await putTicket('PPPPPP', {
    tier: 'vip',
    priority: 'urgent',
    assignee: 'st-aaaaaaaa',
    status: 'closed',
    createdAt: '2025-03-10T10:00:00.000Z',
    firstRespondedAt: '2025-03-10T10:20:00.000Z',
    events: [answer('2025-03-10T10:20:00.000Z'), close('2025-03-10T11:00:00.000Z')],
  });
  // Answered after 5 min (300 s): met.
  await putTicket('QQQQQQ', {
    tier: 'vip',
    priority: 'urgent',
    assignee: 'st-aaaaaaaa',
    status: 'closed',
    createdAt: '2025-03-11T10:00:00.000Z',
    firstRespondedAt: '2025-03-11T10:05:00.000Z',
    events: [answer('2025-03-11T10:05:00.000Z'), close('2025-03-11T10:30:00.000Z')],
  });
  // Stored before the SLA engine, the last millisecond of March: no clocks, no breach.
  await putTicket('RRRRRR', { createdAt: '2025-03-31T23:59:59.999Z', legacy: true });
  // The first instant of April: outside.
  await putTicket('SSSSSS', { tier: 'vip', priority: 'urgent', createdAt: '2025-04-01T00:00:00.000Z' });
});

afterAll(async () => {
  client?.destroy();
  await stack?.teardown();
});

const MARCH_ROWS = [
  { group: 'tier-priority', tier: 'vip', priority: 'urgent', tickets: 2, breaches: 1, breachRate: 0.5, firstResponseP50Seconds: 300, firstResponseP90Seconds: 1200, atRisk: 0 },
  { group: 'tier-priority', tier: 'standard', priority: 'normal', tickets: 1, breaches: 0, breachRate: 0, firstResponseP50Seconds: null, firstResponseP90Seconds: null, atRisk: 0 },
  { group: 'assignee', assignee: 'st-aaaaaaaa', tickets: 2, breaches: 1, breachRate: 0.5, firstResponseP50Seconds: 300, firstResponseP90Seconds: 1200, atRisk: 0 },
  { group: 'assignee', assignee: 'unassigned', tickets: 1, breaches: 0, breachRate: 0, firstResponseP50Seconds: null, firstResponseP90Seconds: null, atRisk: 0 },
];

describe('GET /reports/sla', () => {
  it('reports the tickets opened in [from, to) per tier and priority and per assignee', async () => {
    // Act: the same range as dates, and as date-times in another offset.
    const byDate = await stack.api<SlaReport>('/reports/sla?from=2025-03-01&to=2025-04-01');
    const byOffset = await stack.api<SlaReport>(`/reports/sla?${new URLSearchParams({ from: '2025-03-01T08:00:00+08:00', to: '2025-04-01T08:00+08:00' })}`);

    // Assess
    expect(byDate.status).toBe(200);
    expect(byDate.body).toMatchObject({ from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z', tickets: 3 });
    expect(byDate.body.rows).toEqual(MARCH_ROWS);
    expect(byOffset.body).toMatchObject({ from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z', tickets: 3, rows: MARCH_ROWS });
  });

  it('covers the 30 days up to now by default: the tickets mail just opened, unanswered and not yet at risk', async () => {
    // Act
    const { status, body } = await stack.api<SlaReport>('/reports/sla');

    // Assess
    expect(status).toBe(200);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(30 * 86_400_000);
    expect(body.tickets).toBe(2);
    const tickets = await Promise.all(mailTickets.map(async (id) => (await stack.api<{ tier: string; priority: string }>(`/tickets/${id}`)).body));
    const tierPriorityRows = body.rows.filter((row) => row.group === 'tier-priority');
    expect(tierPriorityRows.reduce((sum, row) => sum + row.tickets, 0)).toBe(2);
    for (const ticket of tickets) expect(tierPriorityRows.some((row) => row.tier === ticket.tier && row.priority === ticket.priority)).toBe(true);
    expect(body.rows.filter((row) => row.group === 'assignee')).toEqual([
      { group: 'assignee', assignee: 'unassigned', tickets: 2, breaches: 0, breachRate: 0, firstResponseP50Seconds: null, firstResponseP90Seconds: null, atRisk: 0 },
    ]);
  });

  it('answers 400 naming the parameter for a bad range, and 405 for another method', async () => {
    const cases: Array<[string, RegExp]> = [
      ['from=yesterday', /^from: expected an ISO-8601 date/],
      ['from=2026-02-30', /^from: expected an ISO-8601 date/],
      ['to=2025-03-01T10:00', /^to: expected an ISO-8601 date .* with its offset/],
      ['from=2025-03-01&to=2025-03-01', /^from: must be before to/],
      ['from=2025-04-01&to=2025-03-01', /^from: must be before to/],
      ['from=2024-01-01&to=2025-03-01', /^from, to: a report covers at most 366 days/],
      ['since=2025-03-01', /^unknown query parameter 'since'; \/reports\/sla accepts from, to/],
    ];
    for (const [query, error] of cases) {
      const { status, body } = await stack.api<{ error: string }>(`/reports/sla?${query}`);
      expect([query, status]).toEqual([query, 400]);
      expect(body.error).toMatch(error);
    }
    expect((await stack.api('/reports/sla?from=2024-03-01&to=2025-03-01')).status).toBe(200);
    expect((await stack.api('/reports/sla', { method: 'POST', body: {} })).status).toBe(405);
  });

  it('refuses a range holding more tickets than a report reads, saying how to narrow it', async () => {
    // Prepare: the store the API uses, with a limit of 2 (March holds 3).
    const store = new DynamoTicketStore(client, stack.tableName);

    // Act
    const refused = slaReport(store, { from: '2025-03-01', to: '2025-04-01' }, { slaPolicy: DEFAULT_SLA_POLICY, maxTickets: 2 });

    // Assess
    await expect(refused).rejects.toThrow(BadRequestError);
    await expect(refused).rejects.toThrow(/more than 2 tickets were opened from 2025-03-01T00:00:00.000Z to 2025-04-01T00:00:00.000Z; narrow the range with from and to/);
    await expect(slaReport(store, { from: '2025-03-01', to: '2025-04-01' }, { slaPolicy: DEFAULT_SLA_POLICY, maxTickets: 3 })).resolves.toMatchObject({ tickets: 3 });
  });
});

describe('npx concierge sla report', () => {
  it('prints the tier and priority rows, then the assignee rows, with percentages and readable durations', async () => {
    // Act
    const run = await runCli(stack.apiUrl, ['sla', 'report', '--from', '2025-03-01', '--to', '2025-04-01']);

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^SLA report: 3 tickets opened from 2025-03-01T00:00:00.000Z to 2025-04-01T00:00:00.000Z \(as of /);
    const rows = lines.filter((line) => line.trim() !== '').slice(1).map((line) => line.split(/\s{2,}/));
    expect(rows).toEqual([
      ['TIER', 'PRIORITY', 'TICKETS', 'BREACHED', 'BREACH RATE', 'FIRST RESPONSE P50', 'P90', 'AT RISK'],
      ['vip', 'urgent', '2', '1', '50%', '5m', '20m', '0'],
      ['standard', 'normal', '1', '0', '0%', '-', '-', '0'],
      ['ASSIGNEE', 'TICKETS', 'BREACHED', 'BREACH RATE', 'FIRST RESPONSE P50', 'P90', 'AT RISK'],
      ['st-aaaaaaaa', '2', '1', '50%', '5m', '20m', '0'],
      ['unassigned', '1', '0', '0%', '-', '-', '0'],
    ]);
  });

  it('prints the API response with --json, and the API refusal of a bad date', async () => {
    const json = await runCli(stack.apiUrl, ['sla', 'report', '--from', '2025-03-01', '--to', '2025-04-01', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z', tickets: 3, rows: MARCH_ROWS });

    const bad = await runCli(stack.apiUrl, ['sla', 'report', '--from', 'last-week']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^concierge: 400: from: expected an ISO-8601 date/);
  });
});

describe('a ticket’s priority, category and SLA from the CLI', () => {
  it('`tickets update --priority --category` moves the due times, and `tickets show` prints the category and the SLA', async () => {
    // Prepare
    const id = mailTickets[0]!;

    // Act
    const update = await runCli(stack.apiUrl, ['tickets', 'update', id, '--priority', 'urgent', '--category', 'security']);
    const shown = await runCli(stack.apiUrl, ['tickets', 'show', id]);

    // Assess: standard urgent, first response 1 hour after the ticket opened.
    const ticket = (await stack.api<{ createdAt: string; priority: string; category: string; sla: { firstResponse: { state: string; dueAt: string } } }>(`/tickets/${id}`)).body;
    expect([ticket.priority, ticket.category]).toEqual(['urgent', 'security']);
    expect(ticket.sla.firstResponse).toMatchObject({ state: 'running', dueAt: new Date(Date.parse(ticket.createdAt) + 3600_000).toISOString() });
    expect(update.code).toBe(0);
    expect(update.stdout.split('\n').slice(0, 2)).toEqual([`[#${id}] open · urgent · security · unassigned`, `  first response: running, due ${ticket.sla.firstResponse.dueAt}`]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(` · urgent · security · customer alice@example.com`);
    expect(shown.stdout).toContain(`\nSLA first response: running, due ${ticket.sla.firstResponse.dueAt}\n`);
  });

  it('refuses a priority or category the desk does not have before calling the API, and an update that changes nothing', async () => {
    const badPriority = await runCli(stack.apiUrl, ['tickets', 'update', mailTickets[1]!, '--priority', 'critical']);
    expect(badPriority.code).toBe(2);
    expect(badPriority.stderr).toMatch(/argument 'critical' is invalid. Allowed choices are urgent, high, normal, low/);
    const nothing = await runCli(stack.apiUrl, ['tickets', 'update', mailTickets[1]!]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('give --status, --assignee, --priority and/or --category');
  });
});

/**
 * The SLA engine end to end on the local stack, with a policy in seconds: customers write over SMTP, staff
 * answer through the HTTP API, the scan runs on its own schedule (every second here) and what staff receive
 * is read from the SES stand-in's outbox. The tests wait for real time to pass a due time; they never assert
 * how long anything took. The scenarios run side by side, each with its own customer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOk, composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

interface StaffView {
  id: string;
  email: string;
}
interface SlaTargetView {
  state: string;
  dueAt?: string;
  warnedAt?: string;
  breachedAt?: string;
}
interface TicketView {
  id: string;
  ref: string;
  status: string;
  tier: string;
  priority: string;
  category: string;
  flags: string[];
  assignee?: string;
  sla: { firstResponse?: SlaTargetView; nextResponse?: SlaTargetView; resolution?: SlaTargetView };
  events: Array<{ type: string; actor: string; detail: Record<string, string> }>;
}

/**
 * VIP urgent: a first response within 16 s, warned at half of it. The window between the warning and the
 * breach is eight scans wide, so no scan needs to run at a particular moment. The other targets are long.
 */
const POLICY = {
  warnAt: 0.5,
  targets: {
    vip: {
      urgent: { firstResponse: 'PT16S', nextResponse: 'PT40S', resolution: 'PT1H' },
      high: { firstResponse: 'PT20S', nextResponse: 'PT40S', resolution: 'PT1H' },
    },
  },
  calendars: { vip: '24x7', standard: '24x7' },
};

let stack: TestStack;
const staff: Record<string, StaffView> = {};

const api = <T>(path: string, method = 'GET', body?: unknown, expected = method === 'POST' ? [200, 201] : [200]) => apiOk<T>(stack, path, method, body, expected);

const tag = () => randomBytes(3).toString('hex');
const addressesOf = (field: ParsedMail['to']) => (field ? (Array.isArray(field) ? field : [field]).flatMap((f) => f.value.map((a) => a.address?.toLowerCase())) : []);
const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

/** SLA mail about `ref` in the outbox, by recipient. */
async function slaMailAbout(ref: string): Promise<Map<string, string[]>> {
  const byRecipient = new Map<string, string[]>();
  for (const { mail } of await stack.outbox()) {
    if (!mail.subject?.startsWith(`[#${ref}] SLA`)) continue;
    for (const address of addressesOf(mail.to)) byRecipient.set(address!, [...(byRecipient.get(address!) ?? []), mail.subject]);
  }
  return byRecipient;
}

async function ticketOf(customer: string): Promise<TicketView> {
  const { tickets } = await api<{ tickets: Array<{ id: string }> }>(`/tickets?customer=${encodeURIComponent(customer)}`);
  expect(tickets.length).toBeGreaterThan(0);
  return api<TicketView>(`/tickets/${tickets[0]!.id}`);
}

/** Waits until `check` holds, polling; fails with what it last saw after `limitMs` of waiting for real time. */
async function until<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, limitMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() - started > limitMs) throw new Error(`still waiting for ${what}: ${JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v))}`);
    await sleep(250);
  }
}

/** Lets real time pass `iso` plus a margin of several scans. */
async function pastInstant(iso: string, marginMs: number): Promise<void> {
  const wait = Date.parse(iso) + marginMs - Date.now();
  if (wait > 0) await sleep(wait);
}

beforeAll(async () => {
  const folder = mkdtempSync(join(tmpdir(), 'sla-e2e-'));
  const policyFile = join(folder, 'sla-policy.json');
  writeFileSync(policyFile, JSON.stringify(POLICY));
  stack = await startTestStack({ handlerEnv: { SLA_POLICY_FILE: policyFile }, slaScanIntervalSeconds: 1 });
  const add = async (key: string, fields: Record<string, unknown>) => {
    staff[key] = await api<StaffView>('/staff', 'POST', { status: 'active', ...fields });
  };
  await add('ben', { name: 'Ben Backup', email: 'ben@staff.example', role: 'manager', capacity: 50 });
  await add('mia', { name: 'Mia Manager', email: 'mia@staff.example', role: 'manager', capacity: 50, backupId: staff.ben!.id });
  await add('lea', { name: 'Lea Lead', email: 'lea@staff.example', role: 'lead' });
  await add('leo', { name: 'Leo Lead', email: 'leo@staff.example', role: 'lead' });
  await add('off', { name: 'Olga Away', email: 'olga@staff.example', role: 'lead', status: 'away' });
});

afterAll(async () => {
  await stack?.teardown();
});

describe.concurrent('an unanswered VIP security incident', () => {
  it('warns the manager once, then escalates once to her backup and once to each active lead, and no more however long it waits', async () => {
    // Prepare
    const customer = `vip-${tag()}@client.example`;
    await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id, language: 'en' });

    // Act
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'My account was hacked', text: 'Someone made an unauthorized withdrawal of 3 BTC from my account an hour ago.' }));

    // Assess: an urgent security ticket, assigned to the manager, its first response due in 16 s
    const opened = await ticketOf(customer);
    expect([opened.tier, opened.priority, opened.category, opened.assignee]).toEqual(['vip', 'urgent', 'security', staff.mia!.id]);
    expect(opened.sla.firstResponse).toMatchObject({ state: 'running' });
    expect(opened.sla.resolution).toMatchObject({ state: 'running' });
    expect(opened.sla.nextResponse).toBeUndefined();

    // The warning, then the escalation, as the scan finds them due
    await until('the warning to the manager', () => slaMailAbout(opened.ref), (mail) => (mail.get('mia@staff.example')?.length ?? 0) > 0);
    await until('the escalations', () => slaMailAbout(opened.ref), (mail) => ['ben@staff.example', 'lea@staff.example', 'leo@staff.example'].every((address) => mail.has(address)));

    // However long it waits (and a few more scans run beside the schedule's, overlapping it), nothing more
    await pastInstant(opened.sla.firstResponse!.dueAt!, 4_000);
    await Promise.all([stack.scanSla(), stack.scanSla(), stack.scanSla()]);
    await sleep(3_000);
    const mail = await slaMailAbout(opened.ref);
    expect(Object.fromEntries(mail)).toEqual({
      'mia@staff.example': [expect.stringMatching(/^\[#[A-Z2-9]{6}\] SLA warning: first response due in \d+s$/)],
      'ben@staff.example': [expect.stringMatching(/^\[#[A-Z2-9]{6}\] SLA breached: first response (\d+m )?\d+s late$/)],
      'lea@staff.example': [expect.stringMatching(/SLA breached: first response/)],
      'leo@staff.example': [expect.stringMatching(/SLA breached: first response/)],
    });
    const after = await ticketOf(customer);
    expect(after.sla.firstResponse).toMatchObject({ state: 'breached', breachedAt: opened.sla.firstResponse!.dueAt });
    expect(after.sla.firstResponse!.warnedAt).toBeDefined();
    expect(after.events.filter((event) => event.type === 'sla-warning').map((event) => event.detail.target)).toEqual(['firstResponse']);
    expect(after.events.filter((event) => event.type === 'sla-breach').map((event) => event.detail.target)).toEqual(['firstResponse']);
  });
});

describe.concurrent('a VIP message answered in time', () => {
  it('sends neither a warning nor an escalation, and the customer’s follow-up after the answer starts the next response', async () => {
    // Prepare
    const customer = `vip-${tag()}@client.example`;
    await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id, language: 'en' });
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Withdrawal on hold', text: 'My withdrawal of 2 ETH has been on hold since this morning.' }));
    const opened = await ticketOf(customer);
    expect([opened.priority, opened.category]).toEqual(['high', 'deposit-withdrawal']);

    // Act: the manager answers at once
    await api(`/tickets/${opened.id}/replies`, 'POST', { staffId: staff.mia!.id, text: 'We are looking into it now.' });

    // Assess: the first response is met and resolution pauses while the ticket waits on the customer
    const answered = await ticketOf(customer);
    expect(answered.status).toBe('waiting-on-customer');
    expect(answered.sla.firstResponse).toMatchObject({ state: 'met', dueAt: opened.sla.firstResponse!.dueAt });
    expect(answered.sla.resolution).toMatchObject({ state: 'paused' });
    expect(answered.sla.nextResponse).toBeUndefined();

    // Act: the customer writes again
    await stack.sendSmtp(composeMessage({ from: customer, subject: `Re: [#${opened.ref}] Withdrawal on hold`, text: 'Thanks, here is the transaction id: 0xabc.' }));

    // Assess: the next response runs, due 40 s after the follow-up; resolution runs again
    const followedUp = await ticketOf(customer);
    expect(followedUp.status).toBe('open');
    expect(followedUp.sla.nextResponse).toMatchObject({ state: 'running' });
    expect(Date.parse(followedUp.sla.nextResponse!.dueAt!) - Date.now()).toBeGreaterThan(0);
    expect(followedUp.sla.resolution).toMatchObject({ state: 'running' });

    // Answered again before it is due: met. Past the first response's due time, no SLA mail went out.
    await api(`/tickets/${opened.id}/replies`, 'POST', { staffId: staff.mia!.id, text: 'Found it; it is released.' });
    await pastInstant(opened.sla.firstResponse!.dueAt!, 3_000);
    const done = await ticketOf(customer);
    expect(done.sla.nextResponse).toMatchObject({ state: 'met' });
    expect(Object.fromEntries(await slaMailAbout(opened.ref))).toEqual({});
    expect(done.events.some((event) => event.type === 'sla-warning' || event.type === 'sla-breach')).toBe(false);
  });
});

describe.concurrent('staff changing the priority', () => {
  it('recomputes the due time from the clock’s start', async () => {
    // Prepare
    const customer = `vip-${tag()}@client.example`;
    await api('/customers', 'POST', { email: customer, tier: 'vip', managerId: staff.mia!.id, language: 'en' });
    await stack.sendSmtp(composeMessage({ from: customer, subject: 'Withdrawal on hold', text: 'My withdrawal of 2 ETH has been on hold since this morning.' }));
    const opened = await ticketOf(customer);

    // Act
    const patched = await api<TicketView>(`/tickets/${opened.id}`, 'PATCH', { priority: 'urgent', category: 'security' });

    // Assess: 16 s from the same start instead of 20 s
    expect([patched.priority, patched.category]).toEqual(['urgent', 'security']);
    expect(Date.parse(opened.sla.firstResponse!.dueAt!) - Date.parse(patched.sla.firstResponse!.dueAt!)).toBe(4_000);
    const shown = await ticketOf(customer);
    expect(shown.events.map((event) => event.type)).toEqual(expect.arrayContaining(['priority-changed', 'category-changed']));
    // A security ticket stays urgent, whether the change names the category or not.
    for (const body of [{ priority: 'low', category: 'security' }, { priority: 'low' }]) {
      const refused = await stack.api(`/tickets/${opened.id}`, { method: 'PATCH', body });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).toContain('priority');
    }
    expect((await ticketOf(customer)).priority).toBe('urgent');
  });
});

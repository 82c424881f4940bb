/**
 * The roster over HTTP, through the local API server in front of the deployed handler: bodies validated
 * field by field, references to other records checked, conflicts answered 409, imports all or nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.teardown();
});

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

interface StaffView {
  id: string;
  email: string;
  role: string;
  status: string;
  vipBook: number;
  openTickets: number;
  backupId?: string;
  capacity?: number;
}

describe('staff', () => {
  it('creates with 201 and an id, lists, shows with the book and open tickets, updates', async () => {
    const created = await call<StaffView>('POST', '/staff', { name: 'Mia Manager', email: 'Mia@Desk.example', role: 'manager', capacity: 2 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'mia@desk.example', role: 'manager', status: 'active', vipBook: 0, openTickets: 0, capacity: 2 });
    expect(created.body.id).toMatch(/^st-[a-z2-7]{8}$/);

    const listed = await call<{ staff: StaffView[] }>('GET', '/staff');
    expect(listed.body.staff.map((s) => s.id)).toContain(created.body.id);
    const shown = await call<StaffView>('GET', `/staff/${created.body.id}`);
    expect(shown.body).toMatchObject({ id: created.body.id, vipBook: 0, openTickets: 0 });

    const updated = await call<StaffView>('PATCH', `/staff/${created.body.id}`, { status: 'away', capacity: null });
    expect(updated.status).toBe(200);
    expect(updated.body.status).toBe('away');
    expect(updated.body.capacity).toBeUndefined();
  });

  it('answers 400 naming the field, 409 for a taken address, 404 for an unknown id', async () => {
    const badRole = await call('POST', '/staff', { name: 'X', email: 'x@desk.example', role: 'boss' });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error).toMatch(/^role: /);
    expect((await call('POST', '/staff', { name: 'X', email: 'not-an-address', role: 'agent' })).body.error).toMatch(/^email: /);
    expect((await call('POST', '/staff', { name: 'X', email: 'x@desk.example', role: 'manager', capacity: -1 })).body.error).toMatch(/^capacity: /);
    expect((await call('POST', '/staff', { name: 'X', email: 'x@desk.example', role: 'agent', colour: 'red' })).body.error).toMatch(/colour/);
    expect((await call('POST', '/staff', { name: 'X', email: 'x@desk.example', role: 'agent', backupId: 'st-aaaaaaaa' })).body.error).toMatch(/^backupId: no staff member/);
    expect((await call('POST', '/staff', '{not json')).status).toBe(400);

    await call('POST', '/staff', { name: 'Taken', email: 'taken@desk.example', role: 'agent' });
    const taken = await call('POST', '/staff', { name: 'Again', email: 'TAKEN@desk.example', role: 'lead' });
    expect(taken.status).toBe(409);

    expect((await call('GET', '/staff/st-zzzzzzzz')).status).toBe(404);
    expect((await call('PATCH', '/staff/st-zzzzzzzz', { name: 'Nobody' })).status).toBe(404);
    expect((await call('GET', '/staff/nonsense')).status).toBe(400);
  });

  it('refuses a staff member as their own backup, and a capacity below the current book', async () => {
    const manager = (await call<StaffView>('POST', '/staff', { name: 'Full', email: 'full@desk.example', role: 'manager', capacity: 5 })).body;
    const self = await call('PATCH', `/staff/${manager.id}`, { backupId: manager.id });
    expect(self.status).toBe(400);
    expect(self.body.error).toMatch(/^backupId: /);
    for (const n of [1, 2]) await call('POST', '/customers', { email: `full${n}@client.example`, tier: 'vip', managerId: manager.id });
    const below = await call('PATCH', `/staff/${manager.id}`, { capacity: 1 });
    expect(below.status).toBe(409);
    expect(below.body.error).toMatch(/below .* 2 clients/);
    expect((await call<StaffView>('GET', `/staff/${manager.id}`)).body.vipBook).toBe(2);
  });

  it('answers 405 with Allow for a wrong method and 400 for an unknown query parameter', async () => {
    const wrong = await call('DELETE', '/staff');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, GET');
    expect((await call('GET', '/staff?role=agent')).status).toBe(400);
    expect((await call('GET', '/customers/import')).status).toBeGreaterThanOrEqual(400);
  });
});

describe('customers', () => {
  it('creates with 201, updates with 200, shows the manager history and resolves an alias', async () => {
    const manager = (await call<StaffView>('POST', '/staff', { name: 'Lu', email: 'lu@desk.example', role: 'manager' })).body;
    const body = { email: 'Client@Vip.example', tier: 'vip', language: 'zh', antiPhishingCode: 'Tiger_88', aliases: ['client.other@vip.example'] };
    const created = await call('POST', '/customers', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'client@vip.example', tier: 'vip', changed: true });
    const same = await call('POST', '/customers', body);
    expect(same.status).toBe(200);
    expect(same.body.changed).toBe(false);

    const patched = await call('PATCH', `/customers/${encodeURIComponent('client@vip.example')}`, { managerId: manager.id });
    expect(patched.status).toBe(200);
    const shown = await call<{ email: string; managerId: string; matchedAlias?: string; managerHistory: Array<{ to: string; by: string }> }>('GET', '/customers/client.other@vip.example');
    expect(shown.body).toMatchObject({ email: 'client@vip.example', managerId: manager.id, matchedAlias: 'client.other@vip.example' });
    expect(shown.body.managerHistory).toEqual([expect.objectContaining({ to: manager.id, by: 'api' })]);
    expect((await call<StaffView>('GET', `/staff/${manager.id}`)).body.vipBook).toBe(1);
  });

  it('answers 400 naming the field, 404 for an unknown customer', async () => {
    const agent = (await call<StaffView>('POST', '/staff', { name: 'Al', email: 'al@desk.example', role: 'agent' })).body;
    expect((await call('POST', '/customers', { email: 'c@x.example', antiPhishingCode: 'no' })).body.error).toMatch(/^antiPhishingCode: /);
    expect((await call('POST', '/customers', { email: 'c@x.example', tier: 'gold' })).body.error).toMatch(/^tier: /);
    expect((await call('POST', '/customers', { email: 'c@x.example', managerId: agent.id })).body.error).toMatch(/^managerId: .* not a manager/);
    expect((await call('POST', '/customers', { tier: 'vip' })).body.error).toMatch(/^email: /);
    expect((await call('GET', '/customers/nobody@x.example')).status).toBe(404);
    expect((await call('PATCH', '/customers/nobody@x.example', { tier: 'vip' })).status).toBe(404);
  });
});

describe('import', () => {
  it('reports every bad line and writes nothing, then imports, then changes nothing the second time', async () => {
    const manager = (await call<StaffView>('POST', '/staff', { name: 'Imp', email: 'imp@desk.example', role: 'manager', capacity: 2 })).body;
    const bad = [
      { line: 2, email: 'ok1@imp.example', tier: 'vip', manager: 'imp@desk.example' },
      { line: 3, email: 'not an address', tier: 'vip' },
      { line: 4, email: 'ok1@imp.example' },
      { line: 5, email: 'ok2@imp.example', manager: 'stranger@desk.example' },
      { line: 6, email: 'ok3@imp.example', antiPhishingCode: 'x' },
    ];
    const refused = await call<{ error: string; details: { lines: Array<{ line: number; errors: string[] }> } }>('POST', '/customers/import', { source: 'bad.csv', lines: bad });
    expect(refused.status).toBe(400);
    expect(refused.body.details.lines.map((l) => l.line)).toEqual([3, 4, 5, 6]);
    expect(refused.body.details.lines[2]?.errors[0]).toMatch(/stranger@desk.example is not a staff member/);
    expect((await call('GET', '/customers/ok1@imp.example')).status).toBe(404);

    const overCapacity = await call<{ valid: boolean; errors: Array<{ line: number }> }>('POST', '/customers/import', {
      dryRun: true,
      lines: [1, 2, 3].map((n) => ({ line: n + 1, email: `cap${n}@imp.example`, tier: 'vip', manager: 'imp@desk.example' })),
    });
    expect(overCapacity.body.valid).toBe(false);
    expect(overCapacity.body.errors.map((e) => e.line)).toEqual([2, 3, 4]);

    const good = [
      { line: 2, email: 'ok1@imp.example', tier: 'vip', manager: 'IMP@desk.example', language: 'en', antiPhishingCode: 'Code_1' },
      { line: 3, email: 'ok2@imp.example', tier: 'standard', manager: '', language: '', antiPhishingCode: '' },
    ];
    expect((await call('POST', '/customers/import', { source: 'good.csv', lines: good })).body).toEqual({ created: 2, updated: 0, unchanged: 0 });
    expect((await call('POST', '/customers/import', { source: 'good.csv', lines: good })).body).toEqual({ created: 0, updated: 0, unchanged: 2 });
    const client = await call<{ managerHistory: Array<{ by: string }> }>('GET', '/customers/ok1@imp.example');
    expect(client.body.managerHistory[0]?.by).toBe('import:good.csv');
    expect((await call<StaffView>('GET', `/staff/${manager.id}`)).body.vipBook).toBe(1);
  });
});

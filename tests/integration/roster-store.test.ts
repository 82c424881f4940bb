/**
 * The roster on DynamoDB Local: unique staff addresses, customers with aliases and manager history, books
 * kept with each client's manager, and concurrent claims that never push a manager past capacity.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRosterStore } from '../../functions/adapters/dynamodb/roster';
import { AddressTakenError, CapacityBelowBookError, ManagerAtCapacityError, ManagerWithBookError, StaffEmailTakenError } from '../../functions/roster/errors';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
let store: DynamoRosterStore;

beforeAll(async () => {
  stack = await startTestStack();
  const credentials = { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY };
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoEndpoint, credentials }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  store = new DynamoRosterStore(client, stack.tableName);
});
afterAll(async () => {
  await stack?.teardown();
});

const manager = (email: string, capacity?: number) => store.createStaff({ name: email.split('@')[0] ?? email, email, role: 'manager', status: 'active', ...(capacity !== undefined ? { capacity } : {}) });

describe('staff', () => {
  it('creates a record with a short lower-case id and zeroed counters, found by id, address and listing', async () => {
    const created = await store.createStaff({ name: 'Ann Agent', email: 'Ann@Desk.example', role: 'agent', status: 'active' });

    expect(created.id).toMatch(/^st-[a-z2-7]{8}$/);
    expect(created).toMatchObject({ email: 'ann@desk.example', vipBook: 0, openTickets: 0 });
    expect(await store.getStaff(created.id)).toEqual(created);
    expect(await store.findStaffByEmail('ANN@desk.example')).toEqual(created);
    expect((await store.listStaff()).map((s) => s.id)).toContain(created.id);
  });

  it('refuses a second staff member with the same address, and a change of address to a taken one', async () => {
    const first = await store.createStaff({ name: 'Bo', email: 'bo@desk.example', role: 'agent', status: 'active' });
    await expect(store.createStaff({ name: 'Bo again', email: 'BO@desk.example', role: 'lead', status: 'active' })).rejects.toBeInstanceOf(StaffEmailTakenError);
    const other = await store.createStaff({ name: 'Cy', email: 'cy@desk.example', role: 'agent', status: 'active' });
    await expect(store.updateStaff(other.id, { email: first.email })).rejects.toBeInstanceOf(StaffEmailTakenError);

    // Moving to a free address frees the old one.
    const moved = await store.updateStaff(other.id, { email: 'cy.new@desk.example' });
    expect(moved?.email).toBe('cy.new@desk.example');
    expect(await store.findStaffByEmail('cy@desk.example')).toBeUndefined();
    expect((await store.findStaffByEmail('cy.new@desk.example'))?.id).toBe(other.id);
    await store.createStaff({ name: 'Cy two', email: 'cy@desk.example', role: 'agent', status: 'active' });
  });

  it('updates only the fields given, clears optional ones, and answers undefined for an unknown id', async () => {
    const person = await store.createStaff({ name: 'Di', email: 'di@desk.example', role: 'agent', status: 'active', backupId: 'st-aaaaaaaa' });
    const updated = await store.updateStaff(person.id, { status: 'away', backupId: undefined });
    expect(updated).toMatchObject({ id: person.id, name: 'Di', status: 'away', vipBook: 0, openTickets: 0 });
    expect(updated?.backupId).toBeUndefined();
    expect(await store.updateStaff('st-zzzzzzzz', { name: 'nobody' })).toBeUndefined();
  });

  it('keeps a capacity from going below the book, and a manager with clients from changing role', async () => {
    const m = await manager('full.book@desk.example', 5);
    for (const n of [1, 2, 3]) await store.putCustomer(`book${n}@client.example`, { tier: 'vip', managerId: m.id }, 'test');

    await expect(store.updateStaff(m.id, { capacity: 2 })).rejects.toBeInstanceOf(CapacityBelowBookError);
    await expect(store.updateStaff(m.id, { role: 'agent' })).rejects.toBeInstanceOf(ManagerWithBookError);
    expect((await store.updateStaff(m.id, { capacity: 3 }))?.capacity).toBe(3);
  });
});

describe('customers', () => {
  it('creates, then reports nothing changed for the same fields, and records each change of manager', async () => {
    const a = await manager('mgr.a@desk.example');
    const b = await manager('mgr.b@desk.example');

    const created = await store.putCustomer('Vip.One@Client.example', { tier: 'vip', managerId: a.id, language: 'zh', antiPhishingCode: 'Moon_42' }, 'api');
    expect(created).toMatchObject({ created: true, changed: true, customer: { email: 'vip.one@client.example', tier: 'vip', managerId: a.id } });
    const again = await store.putCustomer('vip.one@client.example', { tier: 'vip', managerId: a.id, language: 'zh', antiPhishingCode: 'Moon_42' }, 'api');
    expect(again).toMatchObject({ created: false, changed: false });

    await store.putCustomer('vip.one@client.example', { managerId: b.id }, 'cli');
    await store.putCustomer('vip.one@client.example', { managerId: undefined, language: undefined }, 'api');

    const customer = await store.findCustomer('vip.one@client.example');
    expect(customer?.managerId).toBeUndefined();
    expect(customer?.language).toBeUndefined();
    expect(customer?.antiPhishingCode).toBe('Moon_42');
    const history = await store.managerHistory('vip.one@client.example');
    expect(history.map(({ from, to, by }) => ({ from, to, by }))).toEqual([
      { from: undefined, to: a.id, by: 'api' },
      { from: a.id, to: b.id, by: 'cli' },
      { from: b.id, to: undefined, by: 'api' },
    ]);
    expect((await store.getStaff(a.id))?.vipBook).toBe(0);
    expect((await store.getStaff(b.id))?.vipBook).toBe(0);
  });

  it('resolves an alias to its client and refuses an address that belongs to another client', async () => {
    await store.putCustomer('main@client.example', { aliases: ['Other@Client.example'] }, 'api');
    expect((await store.findCustomer('other@client.example'))?.email).toBe('main@client.example');
    await store.putCustomer('second@client.example', {}, 'api');

    await expect(store.putCustomer('second@client.example', { aliases: ['other@client.example'] }, 'api')).rejects.toBeInstanceOf(AddressTakenError);
    await expect(store.putCustomer('second@client.example', { aliases: ['main@client.example'] }, 'api')).rejects.toBeInstanceOf(AddressTakenError);
    await expect(store.putCustomer('other@client.example', { tier: 'vip' }, 'api')).rejects.toBeInstanceOf(AddressTakenError);

    // Dropping an alias frees the address.
    await store.putCustomer('main@client.example', { aliases: [] }, 'api');
    expect(await store.findCustomer('other@client.example')).toBeUndefined();
    await store.putCustomer('second@client.example', { aliases: ['other@client.example'] }, 'api');
    expect((await store.findCustomer('other@client.example'))?.email).toBe('second@client.example');
  });

  it('keys an address of 2,500 characters like any other', async () => {
    const long = `${'x'.repeat(2500)}@client.example`;
    await store.putCustomer(long, { tier: 'vip', antiPhishingCode: 'Long_1' }, 'api');
    expect((await store.findCustomer(long))?.antiPhishingCode).toBe('Long_1');
  });

  it('refuses a manager past capacity', async () => {
    const small = await manager('small@desk.example', 1);
    await store.putCustomer('cap1@client.example', { tier: 'vip', managerId: small.id }, 'api');
    await expect(store.putCustomer('cap2@client.example', { tier: 'vip', managerId: small.id }, 'api')).rejects.toBeInstanceOf(ManagerAtCapacityError);
    expect(await store.findCustomer('cap2@client.example')).toBeUndefined();
    expect((await store.getStaff(small.id))?.vipBook).toBe(1);
  });

  it('imports many at once with the same effect as one by one, books included', async () => {
    const m1 = await manager('bulk1@desk.example', 200);
    const m2 = await manager('bulk2@desk.example');
    const entries = Array.from({ length: 250 }, (_, i) => ({
      email: `bulk${i}@client.example`,
      fields: i % 5 === 0 ? { tier: 'standard' as const } : { tier: 'vip' as const, managerId: i % 2 === 0 ? m1.id : m2.id, language: 'en' as const },
    }));
    const first = await store.putCustomers(entries, 'import:test.csv');
    expect(first.filter((r) => r.created)).toHaveLength(250);
    expect((await store.getStaff(m1.id))?.vipBook).toBe(100);
    expect((await store.getStaff(m2.id))?.vipBook).toBe(100);

    const second = await store.putCustomers(entries, 'import:test.csv');
    expect(second.every((r) => !r.changed)).toBe(true);

    // Everyone of m2's moves to m1: both books follow, and each client's history says so.
    const moved = entries.filter((e) => e.fields.managerId === m2.id).map((e) => ({ email: e.email, fields: { managerId: m1.id } }));
    await store.putCustomers(moved, 'import:move.csv');
    expect((await store.getStaff(m1.id))?.vipBook).toBe(200);
    expect((await store.getStaff(m2.id))?.vipBook).toBe(0);
    const history = await store.managerHistory(moved[0]!.email);
    expect(history.at(-1)).toMatchObject({ from: m2.id, to: m1.id, by: 'import:move.csv' });
  });
});

describe('claiming a manager', () => {
  it('gives 20 clients arriving at once managers of capacity 7, none past 7, each client one manager', async () => {
    // Prepare
    const managers = await Promise.all([1, 2, 3].map((n) => manager(`claim${n}@desk.example`, 7)));
    const clients = Array.from({ length: 20 }, (_, i) => `claimer${i}@client.example`);
    await store.putCustomers(clients.map((email) => ({ email, fields: { tier: 'vip' } })), 'test');

    // Act: every client tries managers in turn until one takes them, all at once
    const outcomes = await Promise.all(
      clients.map(async (email, i) => {
        for (let k = 0; k < managers.length; k += 1) {
          const candidate = managers[(i + k) % managers.length]!;
          const result = await store.claimManager(email, candidate.id, 'routing');
          if (result.status === 'claimed') return candidate.id;
          if (result.status === 'has-manager') return result.managerId;
        }
        return undefined;
      }),
    );

    // Assess
    expect(outcomes.every((id) => id !== undefined)).toBe(true);
    for (const m of managers) {
      const book = (await store.getStaff(m.id))?.vipBook ?? -1;
      expect(book).toBeLessThanOrEqual(7);
      expect(book).toBe(outcomes.filter((id) => id === m.id).length);
    }
    for (const [i, email] of clients.entries()) expect((await store.findCustomer(email))?.managerId).toBe(outcomes[i]);
  });

  it('answers has-manager for a client who has one, and unavailable for a full, away or non-manager', async () => {
    const full = await manager('claim.full@desk.example', 0);
    const away = await store.createStaff({ name: 'Away', email: 'claim.away@desk.example', role: 'manager', status: 'away' });
    const agent = await store.createStaff({ name: 'Agent', email: 'claim.agent@desk.example', role: 'agent', status: 'active' });
    const open = await manager('claim.open@desk.example');
    await store.putCustomer('claim.target@client.example', { tier: 'vip' }, 'test');

    for (const candidate of [full, away, agent]) expect(await store.claimManager('claim.target@client.example', candidate.id, 'routing')).toEqual({ status: 'unavailable' });
    expect(await store.claimManager('claim.target@client.example', open.id, 'routing')).toEqual({ status: 'claimed' });
    expect(await store.claimManager('claim.target@client.example', full.id, 'routing')).toEqual({ status: 'has-manager', managerId: open.id });
    expect((await store.managerHistory('claim.target@client.example')).map((c) => c.by)).toEqual(['routing']);
  });
});

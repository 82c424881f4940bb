/** Checking a roster file before anything is written: cells, duplicates, managers, aliases, capacity. */
import { describe, expect, it } from 'vitest';
import type { AddressLookup } from '../../functions/ports/roster-store';
import { capacityErrors, checkImportLines } from '../../functions/roster/import';
import type { Customer, Staff } from '../../functions/roster/model';
import { parseImportLine } from '../../functions/roster/validation';
import { readRosterCsv, decodeRosterFile, RosterFileError } from '../../scripts/cli/roster-csv';

const at = '2026-01-01T00:00:00.000Z';
const staff = (id: string, email: string, role: Staff['role'], vipBook = 0, capacity?: number): Staff => ({
  id,
  name: id,
  email,
  role,
  status: 'active',
  vipBook,
  openTickets: 0,
  createdAt: at,
  updatedAt: at,
  ...(capacity !== undefined ? { capacity } : {}),
});
const customer = (email: string, managerId?: string): Customer => ({ email, aliases: [], tier: 'vip', createdAt: at, updatedAt: at, ...(managerId ? { managerId } : {}) });

const roster = [staff('st-aaaaaaaa', 'mia@desk.example', 'manager', 1, 2), staff('st-bbbbbbbb', 'al@desk.example', 'agent'), staff('st-cccccccc', 'bo@desk.example', 'manager')];

describe('one line of a roster file', () => {
  it('lower-cases addresses, leaves empty cells unset and names every bad cell', () => {
    expect(parseImportLine({ line: 2, email: ' Li@Client.example ', tier: 'vip', manager: 'MIA@desk.example', language: '', antiPhishingCode: '' })).toEqual({
      line: { line: 2, email: 'li@client.example', tier: 'vip', manager: 'mia@desk.example' },
    });
    const bad = parseImportLine({ line: 3, email: '', tier: 'gold', language: 'fr', antiPhishingCode: 'a-b' });
    expect('error' in bad && bad.error.errors.map((e) => e.split(':')[0])).toEqual(['email', 'tier', 'language', 'antiPhishingCode']);
  });
});

describe('a whole roster file against the roster', () => {
  it('reports duplicates, non-managers, unknown staff and aliases, each with its line', () => {
    const lookups = new Map<string, AddressLookup>([['alias@client.example', { kind: 'alias', customerEmail: 'main@client.example' }]]);
    const check = checkImportLines(
      [
        { line: 2, email: 'a@client.example', manager: 'bo@desk.example' },
        { line: 3, email: 'A@client.example' },
        { line: 4, email: 'b@client.example', manager: 'al@desk.example' },
        { line: 5, email: 'c@client.example', manager: 'ghost@desk.example' },
        { line: 6, email: 'alias@client.example' },
      ],
      roster,
      lookups,
    );
    expect(check.errors).toEqual([
      { line: 3, errors: ['email: a@client.example is already on line 2'] },
      { line: 4, errors: ['manager: al@desk.example is an agent, not a manager'] },
      { line: 5, errors: ['manager: ghost@desk.example is not a staff member'] },
      { line: 6, errors: ['email: alias@client.example is another address of the customer main@client.example'] },
    ]);
    expect(check.entries).toEqual([{ line: 2, email: 'a@client.example', fields: { managerId: 'st-cccccccc' } }]);
  });

  it('counts a manager\'s book after the file: clients already theirs are not counted again, clients moved away are', () => {
    const lookups = new Map<string, AddressLookup>([
      ['mine@client.example', { kind: 'customer', customer: customer('mine@client.example', 'st-aaaaaaaa') }],
      ['moving@client.example', { kind: 'customer', customer: customer('moving@client.example', 'st-aaaaaaaa') }],
    ]);
    const fits = checkImportLines(
      [
        { line: 2, email: 'mine@client.example', manager: 'mia@desk.example' },
        { line: 3, email: 'moving@client.example', manager: 'bo@desk.example' },
        { line: 4, email: 'new1@client.example', manager: 'mia@desk.example' },
      ],
      [...roster.slice(0, 2), staff('st-cccccccc', 'bo@desk.example', 'manager'), staff('st-aaaaaaaa', 'mia@desk.example', 'manager', 2, 2)],
      lookups,
    );
    expect(fits.errors).toEqual([]);
    const over = checkImportLines(
      [
        { line: 2, email: 'new1@client.example', manager: 'mia@desk.example' },
        { line: 3, email: 'new2@client.example', manager: 'mia@desk.example' },
      ],
      roster,
      new Map(),
    );
    expect(over.errors.map((e) => e.line)).toEqual([2, 3]);
    expect(over.errors[0]?.errors[0]).toBe('manager: mia@desk.example would have 3 clients, over their capacity of 2 (1 now)');
  });

  it('adds up the parts of a file checked separately', () => {
    const part = (line: number) => checkImportLines([{ line, email: `p${line}@client.example`, manager: 'mia@desk.example' }], roster, new Map());
    const [first, second] = [part(2), part(3)];
    expect([...first.errors, ...second.errors]).toEqual([]);
    expect(capacityErrors([...first.books, ...second.books]).map((e) => e.line)).toEqual([2, 3]);
  });
});

describe('reading a roster CSV', () => {
  it('takes a BOM, CRLF, header names in any case and order, and numbers lines as an editor does', () => {
    const text = decodeRosterFile(Buffer.from('\uFEFFTier,EMAIL\r\nvip,a@client.example\r\n\r\nstandard,b@client.example,extra\r\n"vip",c@client.example\r\n'));
    expect(readRosterCsv(text)).toEqual({
      lines: [
        { line: 2, tier: 'vip', email: 'a@client.example' },
        { line: 5, tier: 'vip', email: 'c@client.example' },
      ],
      errors: [{ line: 4, errors: ['expected 2 cells as in the header, found 3'] }],
    });
  });

  it('refuses unknown or repeated columns, a missing email column, and bytes that are not UTF-8', () => {
    expect(() => readRosterCsv('email,Email,colour\n')).toThrow(/column email appears twice; unknown column "colour"/);
    expect(() => readRosterCsv('tier\nvip\n')).toThrow(/no email column/);
    expect(() => decodeRosterFile(Buffer.from([0x65, 0xe9, 0x0a]))).toThrow(RosterFileError);
  });
});

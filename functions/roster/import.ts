/**
 * Checking an imported roster before anything is written: every line on its own, then against the rest of
 * the file (duplicates, managers' capacity) and the roster as it stands (managers are staff, addresses are
 * not another client's). Pure: the caller reads the staff and the addresses first.
 *
 *   1. each line's cells (parseImportLine);
 *   2. an address twice in the file;
 *   3. the manager: a staff member whose role is manager;
 *   4. the address: not another client's alias;
 *   5. each manager's book after the file: within capacity.
 */
import type { AddressLookup, CustomerFields } from '../ports/roster-store';
import type { Staff } from './model';
import { parseImportLine, type ImportLine, type LineError, type RawImportLine } from './validation';

export interface ImportEntry {
  line: number;
  email: string;
  fields: CustomerFields;
}

/** What a file does to one manager's book. */
export interface BookEffect {
  managerId: string;
  managerEmail: string;
  vipBook: number;
  capacity?: number;
  /** Lines that make this manager a client's manager. */
  gainLines: number[];
  /** Clients the file moves from this manager to another. */
  losses: number;
}

export interface ImportCheck {
  entries: ImportEntry[];
  errors: LineError[];
  books: BookEffect[];
}

export function checkImportLines(rawLines: readonly RawImportLine[], staff: readonly Staff[], lookups: ReadonlyMap<string, AddressLookup>): ImportCheck {
  const errors = new Map<number, string[]>();
  const fail = (line: number, message: string) => errors.set(line, [...(errors.get(line) ?? []), message]);
  const staffByEmail = new Map(staff.map((member) => [member.email, member]));
  const staffById = new Map(staff.map((member) => [member.id, member]));
  const firstLineOf = new Map<string, number>();
  const valid: Array<{ line: ImportLine; manager?: Staff }> = [];

  for (const raw of rawLines) {
    const parsed = parseImportLine(raw);
    if ('error' in parsed) for (const message of parsed.error.errors) fail(raw.line, message);
    const line = 'error' in parsed ? parsed.validCells : parsed.line;
    let ok = !('error' in parsed);
    if (line.email !== undefined) {
      const first = firstLineOf.get(line.email);
      if (first !== undefined) {
        fail(raw.line, `email: ${line.email} is already on line ${first}`);
        ok = false;
      } else firstLineOf.set(line.email, raw.line);
      const found = lookups.get(line.email);
      if (found?.kind === 'alias') {
        fail(raw.line, `email: ${line.email} is another address of the customer ${found.customerEmail}`);
        ok = false;
      }
    }
    let manager: Staff | undefined;
    if (line.manager !== undefined) {
      manager = staffByEmail.get(line.manager);
      if (!manager) fail(raw.line, `manager: ${line.manager} is not a staff member`);
      else if (manager.role !== 'manager') fail(raw.line, `manager: ${line.manager} is ${manager.role === 'agent' ? 'an agent' : `a ${manager.role}`}, not a manager`);
      if (!manager || manager.role !== 'manager') ok = false;
    }
    if (ok && !('error' in parsed)) valid.push({ line: parsed.line, ...(manager ? { manager } : {}) });
  }

  const books = new Map<string, BookEffect>();
  const bookOf = (member: Staff) => {
    let book = books.get(member.id);
    if (!book) {
      book = { managerId: member.id, managerEmail: member.email, vipBook: member.vipBook, ...(member.capacity !== undefined ? { capacity: member.capacity } : {}), gainLines: [], losses: 0 };
      books.set(member.id, book);
    }
    return book;
  };
  const entries: ImportEntry[] = [];
  for (const { line, manager } of valid) {
    const found = lookups.get(line.email);
    const currentManagerId = found?.kind === 'customer' ? found.customer.managerId : undefined;
    if (manager && manager.id !== currentManagerId) {
      bookOf(manager).gainLines.push(line.line);
      const previous = currentManagerId ? staffById.get(currentManagerId) : undefined;
      if (previous) bookOf(previous).losses += 1;
    }
    const fields: CustomerFields = {
      ...(line.tier ? { tier: line.tier } : {}),
      ...(manager ? { managerId: manager.id } : {}),
      ...(line.language ? { language: line.language } : {}),
      ...(line.antiPhishingCode ? { antiPhishingCode: line.antiPhishingCode } : {}),
    };
    entries.push({ line: line.line, email: line.email, fields });
  }

  const bookList = [...books.values()];
  for (const error of capacityErrors(bookList)) for (const message of error.errors) fail(error.line, message);
  return {
    entries,
    errors: [...errors].sort(([a], [b]) => a - b).map(([line, messages]) => ({ line, errors: messages })),
    books: bookList,
  };
}

/**
 * Lines that would take a manager past capacity. Effects from several parts of one file (checked a part at a
 * time) are added up per manager first.
 */
export function capacityErrors(effects: readonly BookEffect[]): LineError[] {
  const merged = new Map<string, BookEffect>();
  for (const effect of effects) {
    const seen = merged.get(effect.managerId);
    if (!seen) merged.set(effect.managerId, { ...effect, gainLines: [...effect.gainLines] });
    else {
      seen.gainLines.push(...effect.gainLines);
      seen.losses += effect.losses;
    }
  }
  const errors: LineError[] = [];
  for (const book of merged.values()) {
    if (book.capacity === undefined) continue;
    const after = book.vipBook + book.gainLines.length - book.losses;
    if (after <= book.capacity) continue;
    const message = `manager: ${book.managerEmail} would have ${after} clients, over their capacity of ${book.capacity} (${book.vipBook} now)`;
    for (const line of book.gainLines) errors.push({ line, errors: [message] });
  }
  return errors.sort((a, b) => a.line - b.line);
}

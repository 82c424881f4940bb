/**
 * `concierge staff …` and `concierge customers …`: the roster over the API, and a spreadsheet's roster
 * imported through `POST /customers/import` a part at a time, the whole file checked before any part is written.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { capacityErrors, type BookEffect } from '../../functions/roster/import';
import { CUSTOMER_LANGUAGES, CUSTOMER_TIERS, STAFF_ROLES, STAFF_STATUSES } from '../../functions/roster/model';
import { parseImportLine, type LineError, type RawImportLine } from '../../functions/roster/validation';
import type { RequestBody } from './api-client';
import { decodeRosterFile, readRosterCsv, RosterFileError } from './roster-csv';

/** What the roster commands borrow from the CLI's main module (passed in, so neither imports the other). */
export interface CliKit {
  getJson<T>(apiUrl: string, path: string, sign?: boolean, send?: RequestBody): Promise<T>;
  print(line?: string): void;
  table(rows: string[][]): void;
  fail(message: string, exitCode?: number): Error;
  apiUrlOption(): Option;
  signOption(): Option;
}

interface StaffView {
  id: string;
  name: string;
  email: string;
  role: string;
  status: string;
  backupId?: string;
  capacity?: number;
  vipBook: number;
  openTickets: number;
  lastAssignedAt?: string;
}

interface ManagerChangeView {
  at: string;
  from?: string;
  to?: string;
  by: string;
}

interface CustomerView {
  email: string;
  aliases: string[];
  tier: string;
  managerId?: string;
  language?: string;
  antiPhishingCode?: string;
  matchedAlias?: string;
  managerHistory?: ManagerChangeView[];
  changed?: boolean;
}

interface ApiOptions {
  api: string;
  sign?: boolean;
  json?: boolean;
}

/** Lines sent per import request: the progress step, and well inside Lambda's payload and time limits. */
export const IMPORT_CHUNK_LINES = 500;
/** Parts checked at once. */
const CHECK_CONCURRENCY = 2;
/**
 * Parts written one at a time: the API spreads a part's transactions over its managers so that no two touch
 * the same manager's counter at once, which two parts in flight together would do.
 */
const WRITE_CONCURRENCY = 1;
/** A roster of a million lines is a database migration, not a spreadsheet. */
const MAX_IMPORT_FILE_BYTES = 100 * 1024 * 1024;

function choice(values: readonly string[]) {
  return (value: string) => {
    if (!values.includes(value)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return value;
  };
}

function capacityArgument(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) throw new InvalidArgumentError('expected a whole number from 0');
  return parsed;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerRosterCommands(program: Command, kit: CliKit): void {
  const { getJson, print, table } = kit;
  const withApi = (command: Command) => command.option('--json', 'print the API response as JSON').addOption(kit.apiUrlOption()).addOption(kit.signOption());
  const printStaff = (s: StaffView) => {
    print(`${s.id}  ${s.name} <${s.email}>`);
    print(`role ${s.role} · ${s.status} · backup ${s.backupId ?? '-'} · VIP book ${s.vipBook}${s.capacity !== undefined ? ` of ${s.capacity}` : ''} · open tickets ${s.openTickets}`);
  };

  /** A manager given as a staff id, or as a staff email looked up in the roster. */
  const managerIdOf = async (value: string, options: ApiOptions): Promise<string> => {
    if (!value.includes('@')) return value;
    const { staff } = await getJson<{ staff: StaffView[] }>(options.api, 'staff', options.sign);
    const found = staff.find((member) => member.email === value.toLowerCase());
    if (!found) throw kit.fail(`no staff member has the address ${value}`);
    return found.id;
  };

  // ---------------------------------------------------------------------------------------- staff

  const staff = program.command('staff').description('the people who answer: agents, account managers, leads');
  withApi(
    staff
      .command('add')
      .description('add a staff member; prints their id (st-…)')
      .requiredOption('--name <name>', 'display name, shown to customers on replies')
      .requiredOption('--email <email>', 'their own mailbox: notifications go there, replies are accepted only from it (unique)')
      .addOption(new Option('--role <role>', 'agent (standard tickets), manager (VIP clients), lead (told when nobody can take a ticket)').argParser(choice(STAFF_ROLES)).makeOptionMandatory())
      .addOption(new Option('--status <status>', 'active, or away (a manager\'s clients then go to their backup)').argParser(choice(STAFF_STATUSES)).default('active'))
      .option('--backup <staffId>', 'who takes their assignments while they are away')
      .option('--capacity <n>', 'managers: the most VIP clients their book may hold (none: no limit)', capacityArgument),
  ).action(async (options: ApiOptions & { name: string; email: string; role: string; status: string; backup?: string; capacity?: number }) => {
    const body = {
      name: options.name,
      email: options.email,
      role: options.role,
      status: options.status,
      ...(options.backup ? { backupId: options.backup } : {}),
      ...(options.capacity !== undefined ? { capacity: options.capacity } : {}),
    };
    const created = await getJson<StaffView>(options.api, 'staff', options.sign, { method: 'POST', json: body });
    if (options.json) return print(JSON.stringify(created, null, 2));
    print(`Added ${created.id} (${created.name} <${created.email}>, ${created.role}).`);
  });

  withApi(staff.command('list').description('every staff member with their VIP book and open tickets')).action(async (options: ApiOptions) => {
    const body = await getJson<{ staff: StaffView[] }>(options.api, 'staff', options.sign);
    if (options.json) return print(JSON.stringify(body, null, 2));
    if (body.staff.length === 0) return print('No staff yet: npx concierge staff add --name … --email … --role …');
    table([
      ['ID', 'NAME', 'EMAIL', 'ROLE', 'STATUS', 'BOOK', 'OPEN', 'BACKUP'],
      ...body.staff.map((s) => [s.id, s.name, s.email, s.role, s.status, s.capacity !== undefined ? `${s.vipBook}/${s.capacity}` : String(s.vipBook), String(s.openTickets), s.backupId ?? '-']),
    ]);
  });

  withApi(staff.command('show').description('one staff member, with the size of their VIP book and their open tickets').argument('<id>', 'staff id (st-…)')).action(
    async (id: string, options: ApiOptions) => {
      const member = await getJson<StaffView>(options.api, `staff/${encodeURIComponent(id)}`, options.sign);
      if (options.json) return print(JSON.stringify(member, null, 2));
      printStaff(member);
    },
  );

  withApi(
    staff
      .command('update')
      .description('change a staff member; only the options given change')
      .argument('<id>', 'staff id (st-…)')
      .option('--name <name>', 'display name')
      .option('--email <email>', 'their mailbox (unique)')
      .addOption(new Option('--role <role>', 'agent, manager or lead (a manager with clients keeps the role until they are reassigned)').argParser(choice(STAFF_ROLES)))
      .addOption(new Option('--status <status>', 'active or away').argParser(choice(STAFF_STATUSES)))
      .option('--backup <staffId>', 'who takes their assignments while they are away')
      .option('--clear-backup', 'remove the backup')
      .option('--capacity <n>', 'managers: the most VIP clients their book may hold (not below its current size)', capacityArgument)
      .option('--clear-capacity', 'remove the limit on the book'),
  ).action(
    async (
      id: string,
      options: ApiOptions & { name?: string; email?: string; role?: string; status?: string; backup?: string; clearBackup?: boolean; capacity?: number; clearCapacity?: boolean },
    ) => {
      if (options.backup && options.clearBackup) throw kit.fail('give --backup or --clear-backup, not both', 2);
      if (options.capacity !== undefined && options.clearCapacity) throw kit.fail('give --capacity or --clear-capacity, not both', 2);
      const body = {
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.email !== undefined ? { email: options.email } : {}),
        ...(options.role !== undefined ? { role: options.role } : {}),
        ...(options.status !== undefined ? { status: options.status } : {}),
        ...(options.backup !== undefined ? { backupId: options.backup } : options.clearBackup ? { backupId: null } : {}),
        ...(options.capacity !== undefined ? { capacity: options.capacity } : options.clearCapacity ? { capacity: null } : {}),
      };
      if (Object.keys(body).length === 0) throw kit.fail('nothing to change: give at least one option (see --help)', 2);
      const updated = await getJson<StaffView>(options.api, `staff/${encodeURIComponent(id)}`, options.sign, { method: 'PATCH', json: body });
      if (options.json) return print(JSON.stringify(updated, null, 2));
      printStaff(updated);
    },
  );

  // ------------------------------------------------------------------------------------ customers

  const customers = program.command('customers').description('the clients: tiers, dedicated managers, languages, anti-phishing codes');
  const customerOptions = (command: Command) =>
    command
      .addOption(new Option('--tier <tier>', 'standard or vip').argParser(choice(CUSTOMER_TIERS)))
      .option('--manager <staff>', 'dedicated account manager: a staff id or a staff email (role manager, with room in their book)')
      .addOption(new Option('--language <language>', 'language of the mail they receive: zh or en').argParser(choice(CUSTOMER_LANGUAGES)))
      .option('--anti-phishing-code <code>', 'shown in every mail they receive: 4-20 letters, digits or underscores')
      .option('--alias <email>', 'another address of the same client (repeat for several; replaces the list)', collect);
  const printCustomer = (c: CustomerView) => {
    print(`${c.email}${c.matchedAlias ? ` (found by its alias ${c.matchedAlias})` : ''}`);
    print(`tier ${c.tier} · manager ${c.managerId ?? '-'} · language ${c.language ?? '-'} · anti-phishing code ${c.antiPhishingCode ?? '-'}`);
    print(`aliases ${c.aliases.join(', ') || '-'}`);
    if (c.managerHistory && c.managerHistory.length > 0) {
      print('manager history:');
      for (const change of c.managerHistory) print(`  ${change.at}  ${change.from ?? '-'} → ${change.to ?? '-'}  by ${change.by}`);
    }
  };
  type CustomerOptions = ApiOptions & { tier?: string; manager?: string; language?: string; antiPhishingCode?: string; alias?: string[] };
  const customerBody = async (options: CustomerOptions) => ({
    ...(options.tier !== undefined ? { tier: options.tier } : {}),
    ...(options.manager !== undefined ? { managerId: await managerIdOf(options.manager, options) } : {}),
    ...(options.language !== undefined ? { language: options.language } : {}),
    ...(options.antiPhishingCode !== undefined ? { antiPhishingCode: options.antiPhishingCode } : {}),
    ...(options.alias !== undefined ? { aliases: options.alias } : {}),
  });

  withApi(customerOptions(customers.command('add').description('create a customer, or update the one with this address').argument('<email>', 'their address (the record\'s key)'))).action(
    async (email: string, options: CustomerOptions) => {
      const saved = await getJson<CustomerView>(options.api, 'customers', options.sign, { method: 'POST', json: { email, ...(await customerBody(options)) } });
      if (options.json) return print(JSON.stringify(saved, null, 2));
      print(saved.changed ? `Saved ${saved.email}.` : `${saved.email} already says all of that: nothing changed.`);
    },
  );

  withApi(customers.command('show').description('one customer with their manager history (an alias finds its client)').argument('<email>', 'their address or one of their aliases')).action(
    async (email: string, options: ApiOptions) => {
      const customer = await getJson<CustomerView>(options.api, `customers/${encodeURIComponent(email)}`, options.sign);
      if (options.json) return print(JSON.stringify(customer, null, 2));
      printCustomer(customer);
    },
  );

  withApi(
    customerOptions(customers.command('update').description('change a customer; only the options given change').argument('<email>', 'their address or one of their aliases'))
      .option('--clear-manager', 'remove their dedicated manager (recorded in the history)')
      .option('--clear-language', 'remove the language (English is used)')
      .option('--clear-anti-phishing-code', 'remove the anti-phishing code'),
  ).action(async (email: string, options: CustomerOptions & { clearManager?: boolean; clearLanguage?: boolean; clearAntiPhishingCode?: boolean }) => {
    for (const [set, clear, name] of [
      [options.manager, options.clearManager, 'manager'],
      [options.language, options.clearLanguage, 'language'],
      [options.antiPhishingCode, options.clearAntiPhishingCode, 'anti-phishing-code'],
    ] as const) {
      if (set !== undefined && clear) throw kit.fail(`give --${name} or --clear-${name}, not both`, 2);
    }
    const body = {
      ...(await customerBody(options)),
      ...(options.clearManager ? { managerId: null } : {}),
      ...(options.clearLanguage ? { language: null } : {}),
      ...(options.clearAntiPhishingCode ? { antiPhishingCode: null } : {}),
    };
    if (Object.keys(body).length === 0) throw kit.fail('nothing to change: give at least one option (see --help)', 2);
    const updated = await getJson<CustomerView>(options.api, `customers/${encodeURIComponent(email)}`, options.sign, { method: 'PATCH', json: body });
    if (options.json) return print(JSON.stringify(updated, null, 2));
    printCustomer(updated);
  });

  customers
    .command('import')
    .description('create or update customers from a CSV file; every line is checked before any is written')
    .argument('<file.csv>', 'UTF-8 (with or without BOM), CRLF or LF; header names the columns')
    .option('--dry-run', 'check every line and report, write nothing')
    .addOption(kit.apiUrlOption())
    .addOption(kit.signOption())
    .addHelpText(
      'after',
      `
Columns, named by the header line in any order and case (only email is required):
  email             the customer's address
  tier              standard or vip
  manager           their dedicated account manager's staff email (a staff member with role manager)
  language          zh or en
  antiPhishingCode  4-20 letters, digits or underscores
An empty cell leaves that field as it is (a new customer's tier is standard). The same address twice in
the file, a manager who is not a manager, a manager's book over capacity: every bad line is reported with
its number and nothing is imported (exit status 1). Running the same file again changes nothing.

Example:
  email,tier,manager,language,antiPhishingCode
  li.wei@client.example,vip,mia@desk.example,zh,Tiger_88
  sam@client.example,standard,,en,`,
    )
    .action(async (file: string, options: ApiOptions & { dryRun?: boolean }) => {
      await importRoster(kit, file, options);
    });
}

function progressReporter(label: string, total: number) {
  const live = process.stderr.isTTY === true;
  return (done: number) => {
    if (live && (done % IMPORT_CHUNK_LINES === 0 || done === total)) process.stderr.write(`${label} ${done}/${total} lines\n`);
  };
}

async function inParts<T>(parts: T[][], concurrency: number, work: (part: T[]) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let part = parts[next++]; part; part = parts[next++]) await work(part);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, parts.length) }, worker));
}

async function importRoster(kit: CliKit, file: string, options: ApiOptions & { dryRun?: boolean }): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw kit.fail(`no such file: ${file}`, 2);
  if (info.size > MAX_IMPORT_FILE_BYTES) throw kit.fail(`${file} is ${info.size} bytes; at most ${MAX_IMPORT_FILE_BYTES}`, 2);
  let lines: RawImportLine[];
  const problems = new Map<number, Set<string>>();
  const report = (errors: readonly LineError[]) => {
    for (const error of errors) for (const message of error.errors) (problems.get(error.line) ?? problems.set(error.line, new Set()).get(error.line)!).add(message);
  };
  try {
    const read = readRosterCsv(decodeRosterFile(await readFile(file)));
    lines = read.lines;
    report(read.errors);
  } catch (error) {
    if (error instanceof RosterFileError) throw kit.fail(`${file}: ${error.message}`);
    throw error;
  }
  if (lines.length === 0 && problems.size === 0) throw kit.fail(`${file} has a header but no lines to import`);

  // 1. Each line on its own, and addresses twice in the file (the API sees one part at a time).
  const firstLineOf = new Map<string, number>();
  for (const raw of lines) {
    const parsed = parseImportLine(raw);
    if ('error' in parsed) report([parsed.error]);
    const email = 'error' in parsed ? parsed.validCells.email : parsed.line.email;
    if (email === undefined) continue;
    const first = firstLineOf.get(email);
    if (first !== undefined) report([{ line: raw.line, errors: [`email: ${email} is already on line ${first}`] }]);
    else firstLineOf.set(email, raw.line);
  }

  // 2. Against the roster, a part at a time, writing nothing; then each manager's book over the whole file.
  const parts: RawImportLine[][] = [];
  for (let index = 0; index < lines.length; index += IMPORT_CHUNK_LINES) parts.push(lines.slice(index, index + IMPORT_CHUNK_LINES));
  const books: BookEffect[] = [];
  const checked = progressReporter('checked', lines.length);
  let checkedLines = 0;
  await inParts(parts, CHECK_CONCURRENCY, async (part) => {
    const answer = await kit.getJson<{ valid: boolean; errors: LineError[]; books: BookEffect[] }>(options.api, 'customers/import', options.sign, {
      method: 'POST',
      json: { dryRun: true, lines: part },
    });
    report(answer.errors);
    books.push(...answer.books);
    checkedLines += part.length;
    checked(checkedLines);
  });
  report(capacityErrors(books));

  const readLines = new Set(lines.map((line) => line.line));
  const total = lines.length + [...problems.keys()].filter((line) => !readLines.has(line)).length;
  if (problems.size > 0) {
    for (const [line, messages] of [...problems].sort(([a], [b]) => a - b)) process.stderr.write(`${file}:${line}: ${[...messages].join('; ')}\n`);
    throw kit.fail(`${problems.size} of ${total} lines are not valid; nothing was imported`);
  }
  if (options.dryRun) {
    kit.print(`${file}: all ${lines.length} lines are valid (dry run: nothing was written).`);
    return;
  }

  // 3. Every line is valid: write, a part at a time.
  const totals = { created: 0, updated: 0, unchanged: 0 };
  const imported = progressReporter('imported', lines.length);
  let importedLines = 0;
  const source = basename(file);
  await inParts(parts, WRITE_CONCURRENCY, async (part) => {
    const answer = await kit.getJson<typeof totals>(options.api, 'customers/import', options.sign, { method: 'POST', json: { source, lines: part } });
    totals.created += answer.created;
    totals.updated += answer.updated;
    totals.unchanged += answer.unchanged;
    importedLines += part.length;
    imported(importedLines);
  });
  const summary = `${file}: ${lines.length} lines: ${totals.created} created, ${totals.updated} updated, ${totals.unchanged} unchanged`;
  kit.print(totals.created + totals.updated === 0 ? `${summary} (nothing changed)` : summary);
}

/** Staff and customers over the API: validate the body, check what refers to other records, call the store. */
import type { RosterStore } from '../ports/roster-store';
import { checkImportLines } from '../roster/import';
import type { Customer, Staff } from '../roster/model';
import {
  customerBodySchema,
  customerPatchSchema,
  importRequestSchema,
  newStaffSchema,
  STAFF_ID,
  staffPatchSchema,
  toCustomerFields,
  toNewStaff,
  toStaffPatch,
  type RawImportLine,
} from '../roster/validation';
import * as z from '../commons/validation';
import { BadRequestError, HttpError, NotFoundError } from './errors';
import { parseOrBadRequest } from './tickets-api';

import { Answer } from './answer';

export { Answer };

/** Who changed a customer's manager through the API, as the history records it. */
const API_ACTOR = 'api';

const staffIdParameter = z.string().check(z.regex(STAFF_ID, 'expected a staff id such as st-k3q7xm2a'));
const emailParameter = z.pipe(z.email('expected an email address'), z.transform((value: string) => value.toLowerCase()));

async function requireBackup(store: RosterStore, backupId: string | null | undefined, self?: string): Promise<void> {
  if (backupId === undefined || backupId === null) return;
  if (backupId === self) throw new BadRequestError('backupId: a staff member cannot be their own backup');
  if (!(await store.getStaff(backupId))) throw new BadRequestError(`backupId: no staff member ${backupId}`);
}

async function requireManager(store: RosterStore, managerId: string | null | undefined): Promise<void> {
  if (managerId === undefined || managerId === null) return;
  const manager = await store.getStaff(managerId);
  if (!manager) throw new BadRequestError(`managerId: no staff member ${managerId}`);
  if (manager.role !== 'manager') throw new BadRequestError(`managerId: ${managerId} is a ${manager.role}, not a manager`);
}

export async function createStaff(store: RosterStore, body: unknown): Promise<Answer> {
  const parsed = parseOrBadRequest(newStaffSchema, body);
  await requireBackup(store, parsed.backupId);
  return new Answer(201, await store.createStaff(toNewStaff(parsed)));
}

export async function listStaff(store: RosterStore): Promise<{ staff: Staff[] }> {
  const staff = await store.listStaff();
  return { staff: staff.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)) };
}

export async function showStaff(store: RosterStore, id: unknown): Promise<Staff> {
  const staffId = parseOrBadRequest(staffIdParameter, id);
  const staff = await store.getStaff(staffId);
  if (!staff) throw new NotFoundError(`no staff member ${staffId}`);
  return staff;
}

export async function updateStaff(store: RosterStore, id: unknown, body: unknown): Promise<Staff> {
  const staffId = parseOrBadRequest(staffIdParameter, id);
  const patch = parseOrBadRequest(staffPatchSchema, body);
  await requireBackup(store, patch.backupId, staffId);
  const updated = await store.updateStaff(staffId, toStaffPatch(patch));
  if (!updated) throw new NotFoundError(`no staff member ${staffId}`);
  return updated;
}

/** Creates the customer, or updates the one with this address: 201 or 200. */
export async function putCustomer(store: RosterStore, body: unknown): Promise<Answer> {
  const parsed = parseOrBadRequest(customerBodySchema, body);
  await requireManager(store, parsed.managerId);
  const result = await store.putCustomer(parsed.email, toCustomerFields(parsed), API_ACTOR);
  return new Answer(result.created ? 201 : 200, { ...result.customer, changed: result.changed });
}

async function customerView(store: RosterStore, customer: Customer, address: string) {
  return {
    ...customer,
    ...(address !== customer.email ? { matchedAlias: address } : {}),
    managerHistory: await store.managerHistory(customer.email),
  };
}

export async function showCustomer(store: RosterStore, email: unknown) {
  const address = parseOrBadRequest(emailParameter, email);
  const customer = await store.findCustomer(address);
  if (!customer) throw new NotFoundError(`no customer ${address}`);
  return customerView(store, customer, address);
}

export async function updateCustomer(store: RosterStore, email: unknown, body: unknown) {
  const address = parseOrBadRequest(emailParameter, email);
  const patch = parseOrBadRequest(customerPatchSchema, body);
  const customer = await store.findCustomer(address);
  if (!customer) throw new NotFoundError(`no customer ${address}`);
  await requireManager(store, patch.managerId);
  const result = await store.putCustomer(customer.email, toCustomerFields(patch), API_ACTOR);
  return { ...(await customerView(store, result.customer, address)), changed: result.changed };
}

/**
 * Checks every line of a part of a roster file, then writes it only when all are valid. `dryRun` checks and
 * reports (with each manager's book before and after) without writing.
 */
export async function importCustomers(store: RosterStore, body: unknown) {
  const request = parseOrBadRequest(importRequestSchema, body);
  const lines = request.lines as RawImportLine[];
  const addresses = lines.map((line) => line.email?.trim().toLowerCase() ?? '').filter(Boolean);
  const [staff, lookups] = await Promise.all([store.listStaff(), store.lookupAddresses(addresses)]);
  const check = checkImportLines(lines, staff, lookups);
  if (request.dryRun) return { valid: check.errors.length === 0, lines: lines.length, errors: check.errors, books: check.books };
  if (check.errors.length > 0) {
    throw new HttpError(400, `${check.errors.length} of ${lines.length} lines are not valid; nothing was imported`, { lines: check.errors });
  }
  const results = await store.putCustomers(check.entries, request.source ? `import:${request.source}` : 'import', { addresses: lookups, staff });
  return {
    created: results.filter((result) => result.created).length,
    updated: results.filter((result) => result.changed && !result.created).length,
    unchanged: results.filter((result) => !result.changed).length,
  };
}

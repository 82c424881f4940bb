/**
 * What the use cases need from storage for the roster. The DynamoDB adapter keeps counters (`vipBook`,
 * `openTickets`) atomic with the writes that change them; the rules live in the use cases and in roster/.
 */
import type { Customer, ManagerChange, Staff } from '../roster/model';

export type NewStaff = Pick<Staff, 'name' | 'email' | 'role' | 'status'> & Partial<Pick<Staff, 'backupId' | 'capacity'>>;
export type StaffPatch = Partial<Pick<Staff, 'name' | 'email' | 'role' | 'status' | 'backupId' | 'capacity'>>;
/**
 * A key left out is left as it is; a key present with the value `undefined` clears `managerId`, `language` or
 * `antiPhishingCode`.
 */
export type CustomerFields = Partial<Pick<Customer, 'aliases' | 'tier' | 'managerId' | 'language' | 'antiPhishingCode'>>;

/** What an address is in the roster: a customer's own address, another address of a customer, or neither. */
export type AddressLookup = { kind: 'customer'; customer: Customer } | { kind: 'alias'; customerEmail: string };

/**
 * What the caller has just read to validate an import (`lookupAddresses` of every address, `listStaff`): the
 * writes are planned from it and stay conditional on it, so a record changed since is planned again from a
 * fresh read.
 */
export interface RosterSnapshot {
  addresses: ReadonlyMap<string, AddressLookup>;
  staff: readonly Staff[];
}

export interface PutCustomerResult {
  customer: Customer;
  /** False when the record already said all of this: nothing was written. */
  changed: boolean;
  created: boolean;
}

export type ClaimManagerResult =
  /** The customer now has this manager, and the manager's book grew by one, in one atomic write. */
  | { status: 'claimed' }
  /** The customer got a manager meanwhile (another delivery of theirs); use it. */
  | { status: 'has-manager'; managerId: string }
  /** The manager's book is at capacity, or they are no longer an active manager. */
  | { status: 'unavailable' };

export interface RosterStore {
  createStaff(staff: NewStaff): Promise<Staff>;
  getStaff(id: string): Promise<Staff | undefined>;
  findStaffByEmail(email: string): Promise<Staff | undefined>;
  /** Every staff member (a roster is small: one Query). */
  listStaff(): Promise<Staff[]>;
  updateStaff(id: string, patch: StaffPatch): Promise<Staff | undefined>;

  /** The customer whose address or alias this is. */
  findCustomer(address: string): Promise<Customer | undefined>;
  /** Creates or updates by email; a change of manager is recorded in the history with `by`. */
  putCustomer(email: string, fields: CustomerFields, by: string): Promise<PutCustomerResult>;
  /**
   * `putCustomer` for many customers at once (an import), with the same effect line by line but fewer
   * requests; results in the order given. The addresses must be distinct.
   */
  putCustomers(entries: ReadonlyArray<{ email: string; fields: CustomerFields }>, by: string, asRead?: RosterSnapshot): Promise<PutCustomerResult[]>;
  /** What each address is, in one round of reads (an import validates a whole file with it). */
  lookupAddresses(addresses: readonly string[]): Promise<Map<string, AddressLookup>>;
  managerHistory(email: string): Promise<ManagerChange[]>;
  /** The load counters of these staff members as they are now (the roster a delivery read may be behind). */
  staffCounters(ids: readonly string[]): Promise<Map<string, Pick<Staff, 'openTickets' | 'vipBook' | 'lastAssignedAt'>>>;
  /**
   * Makes `managerId` the customer's dedicated manager unless they have one, never past the manager's capacity.
   * `customerEmail` is the record's own address (`findCustomer(...).email`).
   */
  claimManager(customerEmail: string, managerId: string, by: string): Promise<ClaimManagerResult>;
}

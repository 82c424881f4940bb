/**
 * The desk's roster: the staff who answer and the customers they answer. Customers are keyed by their email
 * address (lower case); a client's other addresses are aliases that resolve to the same record.
 */
import type { Language } from '../mail/types';
import type { Tier } from '../tickets/model';

export const STAFF_ROLES = ['agent', 'manager', 'lead'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export const STAFF_STATUSES = ['active', 'away'] as const;
export type StaffStatus = (typeof STAFF_STATUSES)[number];
export const CUSTOMER_TIERS = ['standard', 'vip'] as const satisfies readonly Tier[];
export const CUSTOMER_LANGUAGES = ['zh', 'en'] as const satisfies readonly Language[];

/** What exchanges let users set as an anti-phishing code: 4–20 letters, digits or underscores. */
export const ANTI_PHISHING_CODE = /^[A-Za-z0-9_]{4,20}$/;

export interface Staff {
  /** Short, stable, lower-case id (`st-…`): it appears in signed reply addresses. */
  id: string;
  name: string;
  /** Lower case; unique across the roster. Replies by email are accepted only from this address. */
  email: string;
  role: StaffRole;
  status: StaffStatus;
  /** Who takes this person's assignments while they are `away`. */
  backupId?: string;
  /** Managers: the most VIP clients their book may hold. No capacity: no limit. */
  capacity?: number;
  /** VIP clients whose dedicated manager this is (kept atomically with each client's `managerId`). */
  vipBook: number;
  /** Tickets assigned to this person that are not `closed`. */
  openTickets: number;
  /** When a ticket was last assigned to them: among equally loaded agents the earliest-assigned goes first. */
  lastAssignedAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Customer {
  /** Lower case; the record's key. */
  email: string;
  /** The same client's other addresses (lower case); mail from any of them is this client's. */
  aliases: string[];
  tier: Tier;
  /** The dedicated account manager (VIP clients). */
  managerId?: string;
  language?: Language;
  antiPhishingCode?: string;
  createdAt: string;
  updatedAt: string;
}

/** One change of a customer's manager, kept for good. */
export interface ManagerChange {
  at: string;
  /** Undefined when the customer had no manager before / has none after. */
  from?: string;
  to?: string;
  /** Who or what made the change: `api`, `cli`, `import:<file>`, `routing` (first VIP mail, no manager yet). */
  by: string;
  reason?: string;
}

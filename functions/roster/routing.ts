/**
 * Who answers a new ticket. Plain functions over the roster as the store returned it: no I/O, so every rule and
 * tie-break is a unit test. The use case carries a decision out; the one step that needs the store — giving a
 * VIP without a manager their dedicated manager — comes back as an ordered list of candidates for the store's
 * atomic `claimManager`, and the use case finishes with `routeToManager` or `routeWithoutManager`.
 *
 * Rules:
 * 1. A VIP address proven by aligned authentication → the `vip` lane and the client's manager; the manager
 *    `away` → the manager's backup, when that backup is active (one hop: a backup's backup is not followed,
 *    so nobody ends up with a VIP they have never heard of); no manager yet → `managerCandidates`.
 * 2. The manager and their backup both unavailable (away, missing from the roster, or no backup named) → the
 *    least-loaded agent, and the leads are told. The ticket stays in the `vip` lane: the client is proven and
 *    has a dedicated manager, so their tighter first-response promise stands, and a lead sees that it is kept.
 * 3. No manager yet and none with capacity left → the `standard` lane, and the leads are told.
 * 4. A VIP address whose authentication is not aligned → the `standard` lane, flagged `unverified-sender`, and
 *    nothing VIP-specific: anyone can write a VIP's address into From, so the manager is neither assigned
 *    nor named.
 * 5. Everyone else → the active agent with the fewest open tickets; among equals the one assigned longest
 *    ago (never assigned first), then by id. No active agent → unassigned, and the leads are told.
 */
import type { SenderTrust } from '../mail/trust';
import type { TicketFlag, Tier } from '../tickets/model';
import type { Customer, Staff } from './model';

/** The lane is the ticket's tier: it decides the first-response promise. */
export type Lane = Tier;

export interface RoutingInput {
  /** The customer record the sender's address (or alias) resolves to; undefined for an unknown sender. */
  customer: Pick<Customer, 'tier' | 'managerId'> | undefined;
  trust: SenderTrust;
  /** The whole roster (`RosterStore.listStaff`). */
  staff: readonly Staff[];
}

/**
 * Who the assignee is to the ticket, for what the acknowledgement may say: a proven VIP's acknowledgement names
 * their manager when the manager (`dedicated-manager`, `new-dedicated-manager`) or the manager's backup
 * (`backup`) answers, and names nobody when an agent does.
 */
export type AssignmentBasis =
  | 'dedicated-manager'
  | 'new-dedicated-manager'
  | 'backup'
  | 'agent'
  | 'unassigned'
  /** `managerCandidates` are to be tried first. */
  | 'manager-claim';

export interface RoutingDecision {
  lane: Lane;
  basis: AssignmentBasis;
  /** Staff id the ticket is assigned to; undefined while `managerCandidates` are tried, or when nobody is free. */
  assignee?: string;
  /** Why, in words fit for the assignee's notification and the ticket's assignment event. */
  reason: string;
  /** Flags routing adds to the ticket (the ticket's own flags are set when it is created). */
  flags: TicketFlag[];
  /**
   * The VIP has no manager yet: try `RosterStore.claimManager` with these ids in order, then finish with
   * `routeToManager` (claimed, or `has-manager`) or `routeWithoutManager` (all `unavailable`).
   */
  managerCandidates?: string[];
  /** Set when the leads must be told, saying why; the leads are `activeLeads(staff)`. */
  notifyLeads?: string;
  /**
   * The client's dedicated manager, when the ticket is a proven VIP's who has one, whoever answers; the
   * acknowledgement names them when `basis` is a manager's or `backup`.
   */
  dedicatedManagerId?: string;
}

/** Routes a new ticket (rules 1–5 above). */
export function routeNewTicket(input: RoutingInput): RoutingDecision {
  const { customer, trust, staff } = input;
  if (customer?.tier === 'vip') {
    if (trust !== 'aligned') {
      return { ...routeToAgent(staff), flags: ['unverified-sender'] };
    }
    if (customer.managerId !== undefined) {
      return routeToManager(customer.managerId, staff);
    }
    const candidates = managerCandidates(staff);
    if (candidates.length === 0) {
      return routeWithoutManager(staff);
    }
    return {
      lane: 'vip',
      basis: 'manager-claim',
      reason: 'the client has no dedicated manager yet; one is being chosen',
      flags: [],
      managerCandidates: candidates.map((manager) => manager.id),
    };
  }
  return routeToAgent(staff);
}

/**
 * A proven VIP's ticket once their manager is known: the manager when active, else the manager's active
 * backup, else the least-loaded agent with the leads told. `newlyClaimed`: routing just made this person the
 * client's dedicated manager (the `claimed` outcome of `claimManager`), which the reason says.
 */
export function routeToManager(managerId: string, staff: readonly Staff[], newlyClaimed = false): RoutingDecision {
  const staffById = new Map(staff.map((member) => [member.id, member]));
  const manager = staffById.get(managerId);
  const resolved = resolveManagerAssignee(managerId, staffById);
  if (resolved.kind === 'manager') {
    return {
      lane: 'vip',
      basis: newlyClaimed ? 'new-dedicated-manager' : 'dedicated-manager',
      assignee: managerId,
      reason: newlyClaimed
        ? "you are now this client's dedicated manager (they had none)"
        : "you are this client's dedicated manager",
      flags: [],
      dedicatedManagerId: managerId,
    };
  }
  const managerName = manager ? `${manager.name} (${manager.id})` : managerId;
  if (resolved.kind === 'backup') {
    return {
      lane: 'vip',
      basis: 'backup',
      assignee: resolved.backup.id,
      reason: `you are the backup for ${managerName}, this client's dedicated manager, who is away`,
      flags: [],
      dedicatedManagerId: managerId,
    };
  }
  const why = `the dedicated manager ${managerName} ${resolved.why}`;
  const agent = chooseAgent(staff);
  return {
    lane: 'vip',
    basis: agent ? 'agent' : 'unassigned',
    ...(agent ? { assignee: agent.id } : {}),
    reason: agent
      ? `${why}; you are the least-loaded active agent`
      : `${why}; no agent is active`,
    flags: [],
    notifyLeads: agent
      ? `A VIP ticket went to an agent because ${why}.`
      : `A VIP ticket is unassigned because ${why} and no agent is active.`,
    dedicatedManagerId: managerId,
  };
}

/** A proven VIP without a manager when no manager has capacity left: the standard lane, and the leads told. */
export function routeWithoutManager(staff: readonly Staff[]): RoutingDecision {
  const why = 'a VIP client has no dedicated manager and no active manager has capacity left';
  const agent = chooseAgent(staff);
  return {
    lane: 'standard',
    basis: agent ? 'agent' : 'unassigned',
    ...(agent ? { assignee: agent.id } : {}),
    reason: agent ? `${why}; you are the least-loaded active agent` : `${why}; no agent is active`,
    flags: [],
    notifyLeads: agent
      ? `A ticket went to the standard lane because ${why}.`
      : `A ticket is unassigned because ${why} and no agent is active.`,
  };
}

function routeToAgent(staff: readonly Staff[]): RoutingDecision {
  const agent = chooseAgent(staff);
  if (agent) {
    return { lane: 'standard', basis: 'agent', assignee: agent.id, reason: 'you are the least-loaded active agent', flags: [] };
  }
  return {
    lane: 'standard',
    basis: 'unassigned',
    reason: 'no agent is active',
    flags: [],
    notifyLeads: 'A new ticket is unassigned because no agent is active.',
  };
}

export type ManagerAssignee =
  | { kind: 'manager'; manager: Staff }
  | { kind: 'backup'; manager: Staff; backup: Staff }
  /** Neither the manager nor a backup can take it; `why` completes "the dedicated manager X …". */
  | { kind: 'unavailable'; why: string };

/** Who takes a dedicated manager's ticket: the manager when active, else their backup when that one is active. */
export function resolveManagerAssignee(managerId: string, staffById: ReadonlyMap<string, Staff>): ManagerAssignee {
  const manager = staffById.get(managerId);
  if (!manager) return { kind: 'unavailable', why: 'is not on the roster' };
  if (manager.status === 'active') return { kind: 'manager', manager };
  if (manager.backupId === undefined) return { kind: 'unavailable', why: 'is away and has no backup' };
  const backup = staffById.get(manager.backupId);
  if (!backup) return { kind: 'unavailable', why: `is away and their backup ${manager.backupId} is not on the roster` };
  if (backup.status !== 'active') {
    return { kind: 'unavailable', why: `is away and so is their backup ${backup.name} (${backup.id})` };
  }
  return { kind: 'backup', manager, backup };
}

/**
 * The active agent with the fewest open tickets; among equals the one whose last assignment is oldest (never
 * assigned comes first), then the smallest id, so the choice never depends on the roster's order.
 */
export function chooseAgent(staff: readonly Staff[]): Staff | undefined {
  let best: Staff | undefined;
  for (const member of staff) {
    if (member.role !== 'agent' || member.status !== 'active') continue;
    if (!best || compareAgents(member, best) < 0) best = member;
  }
  return best;
}

function compareAgents(a: Staff, b: Staff): number {
  if (a.openTickets !== b.openTickets) return a.openTickets - b.openTickets;
  if (a.lastAssignedAt !== b.lastAssignedAt) {
    if (a.lastAssignedAt === undefined) return -1;
    if (b.lastAssignedAt === undefined) return 1;
    return compareInstants(a.lastAssignedAt, b.lastAssignedAt) || compareText(a.id, b.id);
  }
  return compareText(a.id, b.id);
}

/**
 * Active managers with room in their book (no capacity: no limit), smallest book first, then the longest on
 * the roster, then by id. A candidate may be full by the time it is tried; `claimManager` is the arbiter.
 */
export function managerCandidates(staff: readonly Staff[]): Staff[] {
  return staff
    .filter((member) => member.role === 'manager' && member.status === 'active')
    .filter((member) => member.capacity === undefined || member.vipBook < member.capacity)
    .sort((a, b) => a.vipBook - b.vipBook || compareInstants(a.createdAt, b.createdAt) || compareText(a.id, b.id));
}

/** The leads to tell when routing cannot do its job: active staff with role `lead`, by id. */
export function activeLeads(staff: readonly Staff[]): Staff[] {
  return staff
    .filter((member) => member.role === 'lead' && member.status === 'active')
    .sort((a, b) => compareText(a.id, b.id));
}

/** Timestamps compare as instants, so `…Z` and `…+00:00` spellings of one moment are equal. */
function compareInstants(a: string, b: string): number {
  const left = Date.parse(a);
  const right = Date.parse(b);
  if (Number.isNaN(left) || Number.isNaN(right)) return compareText(a, b);
  return left - right;
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

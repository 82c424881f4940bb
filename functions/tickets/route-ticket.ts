/**
 * Carries out routing (roster/routing.ts) for a new ticket: reads the load of the people it may choose
 * between as it is now, and gives a VIP without a manager their dedicated manager through the store's atomic
 * claim, trying the candidates in order.
 */
import type { SenderTrust } from '../mail/trust';
import type { RosterStore } from '../ports/roster-store';
import type { Customer, Staff } from '../roster/model';
import { activeLeads, managerCandidates, routeNewTicket, routeToManager, routeWithoutManager, type RoutingDecision } from '../roster/routing';

export interface RoutedTicket extends RoutingDecision {
  /** The assignee's record, when there is one. */
  assigneeStaff?: Staff;
  /** The leads to tell, when `notifyLeads` is set. */
  leads: Staff[];
  dedicatedManager?: Staff;
}

export async function routeTicket(input: { customer?: Customer; trust: SenderTrust; staff: readonly Staff[] }, roster: Pick<RosterStore, 'claimManager' | 'staffCounters'>): Promise<RoutedTicket> {
  const { customer, trust } = input;
  let staff = input.staff;
  const provenVipWithManager = customer?.tier === 'vip' && trust === 'aligned' && customer.managerId !== undefined;
  const byId = new Map(staff.map((member) => [member.id, member]));
  const manager = provenVipWithManager ? byId.get(customer.managerId!) : undefined;
  const backup = manager?.backupId ? byId.get(manager.backupId) : undefined;
  // Load matters only when choosing between people: not for an active dedicated manager or their active backup.
  const loadMatters = !(manager?.status === 'active' || (manager && backup?.status === 'active'));
  if (loadMatters) staff = await withCurrentLoad(staff, roster);

  let decision = routeNewTicket({ customer, trust, staff });
  if (decision.managerCandidates && customer) {
    decision = routeWithoutManager(staff);
    for (const candidate of managerCandidates(staff)) {
      const claim = await roster.claimManager(customer.email, candidate.id, 'routing');
      if (claim.status === 'claimed') {
        decision = routeToManager(candidate.id, staff, true);
        break;
      }
      if (claim.status === 'has-manager') {
        decision = routeToManager(claim.managerId, staff);
        break;
      }
    }
  }
  const find = (id: string | undefined) => (id ? staff.find((member) => member.id === id) : undefined);
  const assigneeStaff = find(decision.assignee);
  const dedicatedManager = find(decision.dedicatedManagerId);
  return {
    ...decision,
    ...(assigneeStaff ? { assigneeStaff } : {}),
    ...(dedicatedManager ? { dedicatedManager } : {}),
    leads: decision.notifyLeads ? activeLeads(staff) : [],
  };
}

async function withCurrentLoad(staff: readonly Staff[], roster: Pick<RosterStore, 'staffCounters'>): Promise<Staff[]> {
  const counted = staff.filter((member) => member.status === 'active' && (member.role === 'agent' || member.role === 'manager'));
  if (counted.length === 0) return [...staff];
  const counters = await roster.staffCounters(counted.map((member) => member.id));
  return staff.map((member) => ({ ...member, ...counters.get(member.id) }));
}

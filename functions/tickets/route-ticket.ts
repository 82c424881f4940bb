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
  let staff: readonly Staff[] = input.staff;
  let decision = routeNewTicket({ customer, trust, staff });
  // Load decides only between two or more people: read it as it is now just then, and route again with it.
  const contenders = contendersFor(decision, staff);
  if (contenders.length > 1) {
    staff = await withCurrentLoad(staff, contenders, roster);
    decision = routeNewTicket({ customer, trust, staff });
  }
  if (decision.managerCandidates && customer) {
    const candidates = decision.managerCandidates;
    decision = routeWithoutManager(staff);
    for (const candidate of candidates) {
      const claim = await roster.claimManager(customer.email, candidate, 'routing');
      if (claim.status === 'claimed') {
        decision = routeToManager(candidate, staff, true);
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

/**
 * Whose load a decision compared: the active managers when a VIP's first manager is chosen, the active
 * agents when the least-loaded agent was (also for the agent who stands in for an unavailable manager).
 */
function contendersFor(decision: RoutingDecision, staff: readonly Staff[]): Staff[] {
  if (decision.managerCandidates) return managerCandidates(staff);
  if (decision.basis === 'agent') return staff.filter((member) => member.role === 'agent' && member.status === 'active');
  return [];
}

async function withCurrentLoad(staff: readonly Staff[], contenders: readonly Staff[], roster: Pick<RosterStore, 'staffCounters'>): Promise<Staff[]> {
  const counters = await roster.staffCounters(contenders.map((member) => member.id));
  return staff.map((member) => ({ ...member, ...counters.get(member.id) }));
}

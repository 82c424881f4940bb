import { describe, expect, it } from 'vitest';
import type { Staff } from '../../functions/roster/model';
import {
  activeLeads,
  chooseAgent,
  managerCandidates,
  resolveManagerAssignee,
  routeNewTicket,
  routeToManager,
  routeWithoutManager,
} from '../../functions/roster/routing';

function staff(id: string, fields: Partial<Staff> = {}): Staff {
  return {
    id,
    name: `Name ${id}`,
    email: `${id}@desk.test`,
    role: 'agent',
    status: 'active',
    vipBook: 0,
    openTickets: 0,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...fields,
  };
}

const vip = (managerId?: string) => ({ tier: 'vip' as const, ...(managerId ? { managerId } : {}) });

describe('chooseAgent', () => {
  it('takes the active agent with the fewest open tickets', () => {
    const roster = [staff('st-a', { openTickets: 3 }), staff('st-b', { openTickets: 1 }), staff('st-c', { openTickets: 2 })];
    expect(chooseAgent(roster)?.id).toBe('st-b');
  });

  it('passes over away agents, managers and leads, however idle', () => {
    const roster = [
      staff('st-a', { openTickets: 5 }),
      staff('st-b', { status: 'away' }),
      staff('st-m', { role: 'manager' }),
      staff('st-l', { role: 'lead' }),
    ];
    expect(chooseAgent(roster)?.id).toBe('st-a');
  });

  it('among equally loaded agents, one never assigned goes first, then the earliest assigned', () => {
    const roster = [
      staff('st-a', { openTickets: 1, lastAssignedAt: '2026-11-21T10:00:00Z' }),
      staff('st-b', { openTickets: 1, lastAssignedAt: '2026-11-21T09:00:00Z' }),
      staff('st-c', { openTickets: 1 }),
    ];
    expect(chooseAgent(roster)?.id).toBe('st-c');
    expect(chooseAgent(roster.slice(0, 2))?.id).toBe('st-b');
  });

  it('compares assignment times as instants, not as text', () => {
    const roster = [
      staff('st-a', { lastAssignedAt: '2026-11-21T10:00:00+02:00' }),
      staff('st-b', { lastAssignedAt: '2026-11-21T09:00:00Z' }),
    ];
    expect(chooseAgent(roster)?.id).toBe('st-a');
  });

  it('breaks a full tie by id, whatever the roster order', () => {
    const a = staff('st-a', { lastAssignedAt: '2026-11-21T10:00:00Z' });
    const b = staff('st-b', { lastAssignedAt: '2026-11-21T10:00:00Z' });
    expect(chooseAgent([b, a])?.id).toBe('st-a');
    expect(chooseAgent([a, b])?.id).toBe('st-a');
  });

  it('finds nobody when no agent is active', () => {
    expect(chooseAgent([staff('st-a', { status: 'away' }), staff('st-m', { role: 'manager' })])).toBeUndefined();
  });
});

describe('managerCandidates', () => {
  it('lists active managers with room left, smallest book first, then the longest on the roster, then id', () => {
    const roster = [
      staff('st-full', { role: 'manager', capacity: 2, vipBook: 2 }),
      staff('st-away', { role: 'manager', status: 'away' }),
      staff('st-agent', { role: 'agent' }),
      staff('st-big', { role: 'manager', vipBook: 5 }),
      staff('st-new', { role: 'manager', capacity: 7, vipBook: 1, createdAt: '2026-03-01T00:00:00Z' }),
      staff('st-old', { role: 'manager', capacity: 7, vipBook: 1, createdAt: '2026-02-01T00:00:00Z' }),
      staff('st-x2', { role: 'manager', capacity: 7, vipBook: 1, createdAt: '2026-02-01T00:00:00Z' }),
      staff('st-x1', { role: 'manager', capacity: 7, vipBook: 1, createdAt: '2026-02-01T00:00:00Z' }),
    ];
    expect(managerCandidates(roster).map((m) => m.id)).toEqual(['st-old', 'st-x1', 'st-x2', 'st-new', 'st-big']);
  });
});

describe('activeLeads', () => {
  it('are the active staff with role lead', () => {
    const roster = [staff('st-l2', { role: 'lead' }), staff('st-l1', { role: 'lead' }), staff('st-l3', { role: 'lead', status: 'away' }), staff('st-a')];
    expect(activeLeads(roster).map((l) => l.id)).toEqual(['st-l1', 'st-l2']);
  });
});

describe('routeNewTicket: proven VIP', () => {
  it('goes to the client’s active manager in the vip lane', () => {
    const roster = [staff('st-m', { role: 'manager' }), staff('st-a')];
    const decision = routeNewTicket({ customer: vip('st-m'), trust: 'aligned', staff: roster });
    expect(decision).toEqual({
      lane: 'vip',
      basis: 'dedicated-manager',
      assignee: 'st-m',
      reason: "you are this client's dedicated manager",
      flags: [],
      dedicatedManagerId: 'st-m',
    });
  });

  it('goes to the backup, when active, while the manager is away; the manager stays the dedicated one', () => {
    const roster = [staff('st-m', { role: 'manager', status: 'away', backupId: 'st-b', name: 'Mia' }), staff('st-b', { role: 'manager' }), staff('st-a')];
    const decision = routeNewTicket({ customer: vip('st-m'), trust: 'aligned', staff: roster });
    expect(decision.lane).toBe('vip');
    expect(decision.assignee).toBe('st-b');
    expect(decision.basis).toBe('backup');
    expect(decision.dedicatedManagerId).toBe('st-m');
    expect(decision.reason).toBe("you are the backup for Mia (st-m), this client's dedicated manager, who is away");
    expect(decision.notifyLeads).toBeUndefined();
  });

  it('goes back to the manager once they are active again', () => {
    const roster = [staff('st-m', { role: 'manager', backupId: 'st-b' }), staff('st-b', { role: 'manager' })];
    expect(routeNewTicket({ customer: vip('st-m'), trust: 'aligned', staff: roster }).assignee).toBe('st-m');
  });

  it('with the manager and the backup both away, goes to the least-loaded agent, stays vip, and tells the leads', () => {
    const roster = [
      staff('st-m', { role: 'manager', status: 'away', backupId: 'st-b', name: 'Mia' }),
      staff('st-b', { role: 'manager', status: 'away', name: 'Bo' }),
      staff('st-a1', { openTickets: 2 }),
      staff('st-a2', { openTickets: 1 }),
    ];
    const decision = routeNewTicket({ customer: vip('st-m'), trust: 'aligned', staff: roster });
    expect(decision.lane).toBe('vip');
    expect(decision.assignee).toBe('st-a2');
    expect(decision.basis).toBe('agent');
    expect(decision.dedicatedManagerId).toBe('st-m');
    expect(decision.notifyLeads).toBe('A VIP ticket went to an agent because the dedicated manager Mia (st-m) is away and so is their backup Bo (st-b).');
  });

  it('with the manager away and no backup named, falls to an agent and tells the leads', () => {
    const roster = [staff('st-m', { role: 'manager', status: 'away' }), staff('st-a')];
    const decision = routeNewTicket({ customer: vip('st-m'), trust: 'aligned', staff: roster });
    expect(decision.assignee).toBe('st-a');
    expect(decision.notifyLeads).toContain('is away and has no backup');
  });

  it('with a manager id that is not on the roster, falls to an agent and tells the leads', () => {
    const decision = routeNewTicket({ customer: vip('st-gone'), trust: 'aligned', staff: [staff('st-a')] });
    expect(decision.assignee).toBe('st-a');
    expect(decision.notifyLeads).toContain('st-gone is not on the roster');
  });

  it('with nobody at all to take it, is unassigned and the leads are told', () => {
    const roster = [staff('st-m', { role: 'manager', status: 'away' })];
    const decision = routeNewTicket({ customer: vip('st-m'), trust: 'aligned', staff: roster });
    expect(decision.assignee).toBeUndefined();
    expect(decision.notifyLeads).toContain('unassigned');
  });

  it('without a manager yet, hands the use case the managers to try, in order, and assigns nobody yet', () => {
    const roster = [
      staff('st-m1', { role: 'manager', capacity: 7, vipBook: 3 }),
      staff('st-m2', { role: 'manager', capacity: 7, vipBook: 1 }),
      staff('st-m3', { role: 'manager', capacity: 1, vipBook: 1 }),
      staff('st-a'),
    ];
    const decision = routeNewTicket({ customer: vip(), trust: 'aligned', staff: roster });
    expect(decision.lane).toBe('vip');
    expect(decision.assignee).toBeUndefined();
    expect(decision.managerCandidates).toEqual(['st-m2', 'st-m1']);
    expect(decision.basis).toBe('manager-claim');
    expect(decision.notifyLeads).toBeUndefined();
  });

  it('without a manager and no manager with room, goes to the standard lane and tells the leads', () => {
    const roster = [staff('st-m', { role: 'manager', capacity: 1, vipBook: 1 }), staff('st-a')];
    const decision = routeNewTicket({ customer: vip(), trust: 'aligned', staff: roster });
    expect(decision.lane).toBe('standard');
    expect(decision.assignee).toBe('st-a');
    expect(decision.managerCandidates).toBeUndefined();
    expect(decision.dedicatedManagerId).toBeUndefined();
    expect(decision.notifyLeads).toBe('A ticket went to the standard lane because a VIP client has no dedicated manager and no active manager has capacity left.');
  });
});

describe('after claiming a manager', () => {
  const roster = [staff('st-m', { role: 'manager', name: 'Mia' }), staff('st-a')];

  it('a claim assigns the new dedicated manager and says so', () => {
    const decision = routeToManager('st-m', roster, true);
    expect(decision.assignee).toBe('st-m');
    expect(decision.dedicatedManagerId).toBe('st-m');
    expect(decision.reason).toContain('now');
    expect(decision.basis).toBe('new-dedicated-manager');
  });

  it('every candidate unavailable: the standard lane and the leads told', () => {
    const decision = routeWithoutManager(roster);
    expect(decision).toMatchObject({ lane: 'standard', assignee: 'st-a' });
    expect(decision.notifyLeads).toBeDefined();
  });

  it('without any agent either: unassigned', () => {
    const decision = routeWithoutManager([staff('st-m', { role: 'manager' })]);
    expect(decision.assignee).toBeUndefined();
    expect(decision.notifyLeads).toContain('unassigned');
  });
});

describe('routeNewTicket: VIP address without aligned authentication', () => {
  for (const trust of ['unaligned', 'unknown', 'failed'] as const) {
    it(`(${trust}) is the standard lane, flagged, with nothing of the manager`, () => {
      const roster = [staff('st-m', { role: 'manager' }), staff('st-a', { openTickets: 4 })];
      const decision = routeNewTicket({ customer: vip('st-m'), trust, staff: roster });
      expect(decision).toEqual({ lane: 'standard', basis: 'agent', assignee: 'st-a', reason: 'you are the least-loaded active agent', flags: ['unverified-sender'] });
    });
  }

  it('without a manager either, no candidates are offered (nothing is claimed on a forged address)', () => {
    const roster = [staff('st-m', { role: 'manager' }), staff('st-a')];
    const decision = routeNewTicket({ customer: vip(), trust: 'failed', staff: roster });
    expect(decision.managerCandidates).toBeUndefined();
    expect(decision.flags).toEqual(['unverified-sender']);
  });
});

describe('routeNewTicket: everyone else', () => {
  it('an unknown sender goes to the least-loaded agent, never to a manager', () => {
    const roster = [staff('st-m', { role: 'manager' }), staff('st-a', { openTickets: 9 })];
    expect(routeNewTicket({ customer: undefined, trust: 'aligned', staff: roster })).toEqual({
      lane: 'standard',
      basis: 'agent',
      assignee: 'st-a',
      reason: 'you are the least-loaded active agent',
      flags: [],
    });
  });

  it('a standard customer with a manager named still goes to an agent', () => {
    const roster = [staff('st-m', { role: 'manager' }), staff('st-a')];
    const decision = routeNewTicket({ customer: { tier: 'standard', managerId: 'st-m' }, trust: 'aligned', staff: roster });
    expect(decision.assignee).toBe('st-a');
    expect(decision.dedicatedManagerId).toBeUndefined();
  });

  it('with no agent active, is unassigned and the leads are told', () => {
    const roster = [staff('st-a', { status: 'away' }), staff('st-l', { role: 'lead' })];
    const decision = routeNewTicket({ customer: undefined, trust: 'unknown', staff: roster });
    expect(decision.assignee).toBeUndefined();
    expect(decision.notifyLeads).toBe('A new ticket is unassigned because no agent is active.');
    expect(decision.basis).toBe('unassigned');
    expect(decision.flags).toEqual([]);
  });
});

describe('resolveManagerAssignee', () => {
  it('names the manager, the backup, or why neither', () => {
    const byId = new Map(
      [staff('st-m', { status: 'away', backupId: 'st-b' }), staff('st-b'), staff('st-n')].map((s) => [s.id, s] as const),
    );
    expect(resolveManagerAssignee('st-n', byId).kind).toBe('manager');
    expect(resolveManagerAssignee('st-m', byId)).toMatchObject({ kind: 'backup', backup: { id: 'st-b' } });
    expect(resolveManagerAssignee('st-x', byId)).toEqual({ kind: 'unavailable', why: 'is not on the roster' });
  });
});

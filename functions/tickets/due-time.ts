/** When a person must first answer a ticket: the first-response commitment by tier and priority, on a 24/7 clock. */
import type { FirstResponsePolicy } from '../commons/config';
import type { Priority, Tier } from './model';

export function firstResponseMinutes(policy: FirstResponsePolicy, tier: Tier, priority: Priority): number {
  if (tier === 'vip') return priority === 'urgent' ? policy.vipUrgent : policy.vip;
  return priority === 'urgent' ? policy.standardUrgent : policy.standard;
}

export function firstResponseDueAt(policy: FirstResponsePolicy, tier: Tier, priority: Priority, openedAt: Date): string {
  return new Date(openedAt.getTime() + firstResponseMinutes(policy, tier, priority) * 60_000).toISOString();
}

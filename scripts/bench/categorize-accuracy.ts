import { categorize, type Category, type CategorizedPriority } from '../../functions/sla/categorize';

export interface LabelledMessage {
  subject: string;
  text: string;
  language: string;
  category: Category;
  priority: CategorizedPriority;
}

export interface LabelledSetAccuracy {
  messages: number;
  /** Share of messages whose category matches its label, 0 to 1. */
  categoryAccuracy: number;
  /** Share of messages whose priority matches its label, 0 to 1. */
  priorityAccuracy: number;
  /** True when every message labelled security is categorized security and urgent, and every security answer is urgent. */
  securityUrgent: boolean;
  /** Messages whose category differs from their label, for tuning by vocabulary rather than by sentence. */
  misses: Array<{ subject: string; expected: Category; actual: Category }>;
}

export function labelledSetAccuracy(messages: readonly LabelledMessage[]): LabelledSetAccuracy {
  let categoryHits = 0;
  let priorityHits = 0;
  let securityUrgent = true;
  const misses: LabelledSetAccuracy['misses'] = [];
  for (const message of messages) {
    const result = categorize(message.subject, message.text);
    if (result.category === message.category) categoryHits += 1;
    else misses.push({ subject: message.subject, expected: message.category, actual: result.category });
    if (result.priority === message.priority) priorityHits += 1;
    if (message.category === 'security' && (result.category !== 'security' || result.priority !== 'urgent')) securityUrgent = false;
    if (result.category === 'security' && result.priority !== 'urgent') securityUrgent = false;
  }
  const total = messages.length;
  return {
    messages: total,
    categoryAccuracy: total === 0 ? 0 : categoryHits / total,
    priorityAccuracy: total === 0 ? 0 : priorityHits / total,
    securityUrgent,
    misses,
  };
}

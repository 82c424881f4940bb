/**
 * `concierge suppressions list|show|lift`: the suppression list of `GET /suppressions`,
 * `GET /suppressions/{email}` and `DELETE /suppressions/{email}`.
 */
import type { Command } from 'commander';
import type { CliKit } from './roster-commands';

interface SuppressionView {
  email: string;
  reason: string;
  suppressedAt: string;
  bounceType?: string;
  bounceSubType?: string;
  diagnosticCode?: string;
  status?: string;
  complaintFeedbackType?: string;
  sesMessageId?: string;
  ticketId?: string;
  active: boolean;
  liftedAt?: string;
  liftedBy?: string;
  liftReason?: string;
  lifts: Array<{ at: string; by: string; reason: string; suppressedReason: string; suppressedAt: string }>;
}

/** What the bounce or complaint said, in a few words. */
export function suppressionDetail(view: Pick<SuppressionView, 'diagnosticCode' | 'status' | 'complaintFeedbackType' | 'bounceSubType'>): string {
  return view.diagnosticCode ?? (view.complaintFeedbackType ? `feedback type ${view.complaintFeedbackType}` : (view.status ?? view.bounceSubType ?? '-'));
}

/** The record of one address as lines of `name: value`, then its lifts. */
export function suppressionLines(view: SuppressionView): string[] {
  const lines = [
    `${view.email}: ${view.active ? 'suppressed' : 'not suppressed (lifted)'}`,
    `reason: ${view.reason} on ${view.suppressedAt}`,
    `detail: ${suppressionDetail(view)}`,
    ...(view.ticketId ? [`ticket: ${view.ticketId}`] : []),
    ...(view.sesMessageId ? [`bounced mail: SES id ${view.sesMessageId}`] : []),
  ];
  for (const lift of view.lifts) lines.push(`lifted ${lift.at} by ${lift.by}: ${lift.reason} (was ${lift.suppressedReason} since ${lift.suppressedAt})`);
  return lines;
}

const encoded = (email: string) => encodeURIComponent(email.trim().toLowerCase());

export function registerSuppressionCommands(program: Command, kit: CliKit): void {
  const suppressions = program
    .command('suppressions')
    .description('addresses nothing is sent to: a hard bounce or a complaint put them on the list')
    .addHelpText(
      'after',
      `
Examples:
  npx concierge suppressions list
  npx concierge suppressions show alice@example.com
  npx concierge suppressions lift alice@example.com --reason "customer fixed their mailbox"`,
    );

  suppressions
    .command('list')
    .description('active suppressions, newest first')
    .option('--limit <n>', 'how many per page (1-100)', '50')
    .option('--cursor <cursor>', 'continue a listing (the `next` a page printed)')
    .option('--json', 'print the API response as JSON')
    .addOption(kit.apiUrlOption())
    .addOption(kit.signOption())
    .action(async (options: { limit: string; cursor?: string; json?: boolean; api: string; sign?: boolean }) => {
      const query = new URLSearchParams({ limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) });
      const page = await kit.getJson<{ suppressions: SuppressionView[]; next?: string }>(options.api, `suppressions?${query}`, options.sign);
      if (options.json) return kit.print(JSON.stringify(page, null, 2));
      if (page.suppressions.length === 0) return kit.print('No address is suppressed.');
      kit.table([['EMAIL', 'REASON', 'SINCE', 'TICKET', 'DETAIL'], ...page.suppressions.map((view) => [view.email, view.reason, view.suppressedAt, view.ticketId ?? '-', suppressionDetail(view)])]);
      if (page.next) kit.print(`\nMore: npx concierge suppressions list --cursor ${page.next}`);
    });

  suppressions
    .command('show')
    .description("an address's record: why it is suppressed, and every lift")
    .argument('<email>', 'the address')
    .option('--json', 'print the API response as JSON')
    .addOption(kit.apiUrlOption())
    .addOption(kit.signOption())
    .action(async (email: string, options: { json?: boolean; api: string; sign?: boolean }) => {
      const view = await kit.getJson<SuppressionView>(options.api, `suppressions/${encoded(email)}`, options.sign);
      if (options.json) return kit.print(JSON.stringify(view, null, 2));
      for (const line of suppressionLines(view)) kit.print(line);
    });

  suppressions
    .command('lift')
    .description('mail the address again: lifts its suppression, recording who and why')
    .argument('<email>', 'the address')
    .requiredOption('--reason <text>', 'why the address may be mailed again (recorded)')
    .option('--by <name>', 'who lifts it (recorded)', 'cli')
    .option('--json', 'print the API response as JSON')
    .addOption(kit.apiUrlOption())
    .addOption(kit.signOption())
    .action(async (email: string, options: { reason: string; by: string; json?: boolean; api: string; sign?: boolean }) => {
      const view = await kit.getJson<SuppressionView>(options.api, `suppressions/${encoded(email)}`, options.sign, { method: 'DELETE', json: { reason: options.reason, by: options.by } });
      if (options.json) return kit.print(JSON.stringify(view, null, 2));
      kit.print(`Lifted: ${view.email} may be mailed again (${options.reason}).`);
    });
}

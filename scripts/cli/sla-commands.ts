/**
 * `concierge sla report`: the SLA report of `GET /reports/sla` as two tables (tier and priority, then
 * assignee), or the API's JSON. Also how a ticket's SLA reads on one line per target for `tickets show`.
 */
import type { Command } from 'commander';
import type { SlaReport, SlaReportFigures } from '../../functions/sla/report';
import type { CliKit } from './roster-commands';

const DURATION_UNITS = [
  ['d', 86_400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
] as const;

/**
 * `45s`, `12m 30s`, `2h 5m`, `3d 4h`: the largest unit and the one after it (when not zero), enough to
 * compare response times at a glance.
 */
export function humanDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  let rest = Math.max(0, Math.round(seconds));
  const counts = DURATION_UNITS.map(([unit, size]) => {
    const count = Math.floor(rest / size);
    rest -= count * size;
    return [count, unit] as const;
  });
  const largest = counts.findIndex(([count]) => count > 0);
  if (largest === -1) return '0s';
  return counts
    .slice(largest, largest + 2)
    .filter(([count]) => count > 0)
    .map(([count, unit]) => `${count}${unit}`)
    .join(' ');
}

/** A rate from 0 to 1 as a percentage with at most one decimal: `33.3%`, `100%`. */
export function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

const FIGURE_HEADINGS = ['TICKETS', 'BREACHED', 'BREACH RATE', 'FIRST RESPONSE P50', 'P90', 'AT RISK'];

function figureCells(row: SlaReportFigures): string[] {
  return [String(row.tickets), String(row.breaches), percent(row.breachRate), humanDuration(row.firstResponseP50Seconds), humanDuration(row.firstResponseP90Seconds), String(row.atRisk)];
}

/** The report as its heading and two tables of cells (each with its heading row). */
export function slaReportTables(report: SlaReport): { heading: string; byTierPriority: string[][]; byAssignee: string[][] } {
  const byTierPriority = [['TIER', 'PRIORITY', ...FIGURE_HEADINGS]];
  const byAssignee = [['ASSIGNEE', ...FIGURE_HEADINGS]];
  for (const row of report.rows) {
    if (row.group === 'tier-priority') byTierPriority.push([row.tier, row.priority, ...figureCells(row)]);
    else byAssignee.push([row.assignee, ...figureCells(row)]);
  }
  const heading = `SLA report: ${report.tickets} ticket${report.tickets === 1 ? '' : 's'} opened from ${report.from} to ${report.to} (as of ${report.generatedAt})`;
  return { heading, byTierPriority, byAssignee };
}

/** One target of a ticket's SLA as the API shows it (functions/sla/schedule.ts SlaView). */
export interface SlaTargetView {
  state: 'running' | 'paused' | 'met' | 'breached';
  dueAt?: string;
  remainingSeconds?: number;
  warnedAt?: string;
  breachedAt?: string;
}

const TARGET_LABELS = [
  ['firstResponse', 'first response'],
  ['nextResponse', 'next response'],
  ['resolution', 'resolution'],
] as const;

/** `first response: running, due …` and so on, one line per target that applies yet. */
export function slaLines(sla: Partial<Record<(typeof TARGET_LABELS)[number][0], SlaTargetView>> | undefined): string[] {
  const lines: string[] = [];
  for (const [target, label] of TARGET_LABELS) {
    const view = sla?.[target];
    if (!view) continue;
    const warned = view.warnedAt ? `, warned ${view.warnedAt}` : '';
    switch (view.state) {
      case 'running':
        lines.push(`${label}: running, due ${view.dueAt ?? '-'}${warned}`);
        break;
      case 'paused':
        lines.push(`${label}: paused, ${humanDuration(view.remainingSeconds)} left`);
        break;
      case 'met':
        lines.push(`${label}: met${view.dueAt ? ` (due ${view.dueAt})` : ''}`);
        break;
      case 'breached':
        lines.push(`${label}: breached at ${view.breachedAt ?? view.dueAt ?? '-'}${warned}`);
        break;
    }
  }
  return lines;
}

export function registerSlaCommands(program: Command, kit: CliKit): void {
  const sla = program.command('sla').description('SLA reports');
  sla
    .command('report')
    .description('tickets opened in a period against their SLA: per tier and priority, then per assignee (breaches, first response times, tickets at risk now)')
    .option('--from <date>', 'first day or instant, ISO-8601 (2026-11-01 or 2026-11-01T08:00:00Z); default: 30 days before --to')
    .option('--to <date>', 'end of the period, not included (2026-12-01 covers November); default: now')
    .option('--json', 'print the API response as JSON')
    .addOption(kit.apiUrlOption())
    .addOption(kit.signOption())
    .action(async (options: { from?: string; to?: string; json?: boolean; api: string; sign?: boolean }) => {
      const query = new URLSearchParams({ ...(options.from ? { from: options.from } : {}), ...(options.to ? { to: options.to } : {}) });
      const report = await kit.getJson<SlaReport>(options.api, `reports/sla${query.size > 0 ? `?${query}` : ''}`, options.sign);
      if (options.json) return kit.print(JSON.stringify(report, null, 2));
      const { heading, byTierPriority, byAssignee } = slaReportTables(report);
      kit.print(heading);
      if (report.tickets === 0) return;
      kit.print();
      kit.table(byTierPriority);
      kit.print();
      kit.table(byAssignee);
    });
}

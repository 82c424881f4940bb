/**
 * The headline figures of `npm run bench` (what `--json FILE` writes), their goals, and which phase measures
 * which figure, so a run that leaves one out fails instead of writing an incomplete file.
 */
import type { MessageKind } from './capacity';

/** Per message, means over the samples. Each group appears once the phase that measures it ran. */
export interface BenchFigures {
  generatedAt: string;
  writeUnitsPerMessage?: Record<MessageKind, number>;
  readUnitsPerMessage?: Record<MessageKind, number>;
  awsRequestsPerMessage?: Record<MessageKind, number>;
  coldStart?: { inbound: { toFloor: number }; api: { toFloor: number } };
  peakMemoryToMessageSize?: { attachment25MB: number; text25MB: number };
  handlerCpuMsPerMessage?: number;
  parseOnlyCpuMsPerMessage?: number;
  /** `npx concierge customers import` of a generated roster, first run, against the local stack. */
  rosterImportLinesPerSecond?: number;
  /** Share of the labelled set whose category is right, and whether every security incident came out urgent. */
  classifierCategoryAccuracy?: number;
  classifierSecurityUrgent?: boolean;
  /** Read units billed for one SLA scan with 10,000 and with 100 open tickets, the same ones due, and their ratio. */
  slaScanReadUnits10000?: number;
  slaScanReadUnits100?: number;
  slaScanReadUnitRatio?: number;
  /** Share of 1,000 generated recovery phrases in prose left with no word of the phrase, and corpus messages redacted at all. */
  secretMnemonicRedactionRate?: number;
  secretCorpusFalseRedactions?: number;
  /** Outbound guard on tests/fixtures/staff-replies/labelled.json: shares of dangerous and ordinary replies blocked. */
  guardDangerousBlockedRate?: number;
  guardOrdinaryBlockedRate?: number;
  /** Median time to check one labelled reply, microseconds (no goal: speed is reported, not held). */
  guardMicrosecondsPerReply?: number;
}

export type FigurePhase = 'cold-start' | 'memory' | 'cpu' | 'cost' | 'roster-import' | 'classifier' | 'sla-scan' | 'secrets' | 'outbound-guard';

/** Every key a run writes, as a dotted path, by the phase that measures it. */
export const FIGURE_KEYS: Readonly<Record<FigurePhase, readonly string[]>> = {
  cost: [
    'writeUnitsPerMessage.newTicket',
    'writeUnitsPerMessage.followUp',
    'writeUnitsPerMessage.bounce',
    'readUnitsPerMessage.newTicket',
    'readUnitsPerMessage.followUp',
    'readUnitsPerMessage.bounce',
    'awsRequestsPerMessage.newTicket',
    'awsRequestsPerMessage.followUp',
    'awsRequestsPerMessage.bounce',
    'writeUnitsPerMessage.vipTicket',
    'awsRequestsPerMessage.vipTicket',
  ],
  'cold-start': ['coldStart.inbound.toFloor', 'coldStart.api.toFloor'],
  memory: ['peakMemoryToMessageSize.attachment25MB', 'peakMemoryToMessageSize.text25MB'],
  cpu: ['handlerCpuMsPerMessage', 'parseOnlyCpuMsPerMessage'],
  'roster-import': ['rosterImportLinesPerSecond'],
  classifier: ['classifierCategoryAccuracy'],
  'sla-scan': ['slaScanReadUnits10000', 'slaScanReadUnits100', 'slaScanReadUnitRatio'],
  secrets: ['secretMnemonicRedactionRate', 'secretCorpusFalseRedactions'],
  'outbound-guard': ['guardDangerousBlockedRate', 'guardOrdinaryBlockedRate', 'guardMicrosecondsPerReply'],
};

/**
 * Upper bounds, except `rosterImportLinesPerSecond`, `classifierCategoryAccuracy` and `secretMnemonicRedactionRate`, lower bounds. The CPU goal bounds the handler's CPU per
 * message as a multiple of parse-only's.
 */
export const GOALS = {
  writeUnitsPerMessage: { newTicket: 10, followUp: 6 },
  awsRequestsPerMessage: { newTicket: 6, followUp: 4, bounce: 2 },
  coldStartToFloor: { inbound: 1.3, api: 1.2 },
  peakMemoryToMessageSize: 2,
  handlerToParseOnlyCpu: 4,
  rosterImportLinesPerSecond: 500,
  classifierCategoryAccuracy: 0.9,
  /** A scan's cost follows what is due, not what is open. */
  slaScanReadUnitRatio: 1.1,
  /** Every generated phrase redacted (a lower bound), and no message of the real-mail corpus touched. */
  secretMnemonicRedactionRate: 1,
  secretCorpusFalseRedactions: 0,
  /** Every dangerous staff reply blocked (a lower bound), at most 2% of ordinary ones (an upper bound). */
  guardDangerousBlockedRate: 1,
  guardOrdinaryBlockedRate: 0.02,
} as const;

/** The number at `path` in `figures`, if it is there and finite. */
export function figureAt(figures: BenchFigures, path: string): number | undefined {
  let value: unknown = figures;
  for (const part of path.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Keys the phases that ran should have written but did not. */
export function missingFigureKeys(figures: BenchFigures, phasesRun: ReadonlySet<string>): string[] {
  return (Object.entries(FIGURE_KEYS) as Array<[FigurePhase, readonly string[]]>)
    .filter(([phase]) => phasesRun.has(phase))
    .flatMap(([, keys]) => keys.filter((key) => figureAt(figures, key) === undefined));
}

/** `value` printed with `digits`, then its goal and whether it is met, e.g. `7.0 (goal ≤ 10: met)`. */
export function againstGoal(value: number, goal: number, digits = 1, unit = '', bound: 'at-most' | 'at-least' = 'at-most'): string {
  if (bound === 'at-least') return `${value.toFixed(digits)}${unit} (goal ≥ ${goal}${unit}: ${value >= goal ? 'met' : 'UNDER'})`;
  return `${value.toFixed(digits)}${unit} (goal ≤ ${goal}${unit}: ${value <= goal ? 'met' : 'OVER'})`;
}

export interface GoalRow {
  figure: string;
  measured: number;
  goal: number;
  met: boolean;
  /** Digits to print `measured` and `goal` with. */
  digits: number;
  /** `×` for ratios, empty for counts. */
  prefix: string;
  /** The goal is a lower bound. */
  atLeast?: boolean;
}

/** One row per goal whose figure is in `figures`, in the order: cost, cold start, memory, CPU. */
export function goalRows(figures: BenchFigures): GoalRow[] {
  const rows: GoalRow[] = [];
  const add = (figure: string, measured: number | undefined, goal: number, digits: number, prefix = '') => {
    if (measured !== undefined) rows.push({ figure, measured, goal, met: measured <= goal, digits, prefix });
  };
  for (const kind of ['newTicket', 'followUp', 'bounce'] as const) {
    add(`awsRequestsPerMessage.${kind}`, figureAt(figures, `awsRequestsPerMessage.${kind}`), GOALS.awsRequestsPerMessage[kind], 2);
    if (kind !== 'bounce') add(`writeUnitsPerMessage.${kind}`, figureAt(figures, `writeUnitsPerMessage.${kind}`), GOALS.writeUnitsPerMessage[kind], 2);
  }
  add('coldStart.inbound.toFloor', figureAt(figures, 'coldStart.inbound.toFloor'), GOALS.coldStartToFloor.inbound, 2, '×');
  add('coldStart.api.toFloor', figureAt(figures, 'coldStart.api.toFloor'), GOALS.coldStartToFloor.api, 2, '×');
  add('peakMemoryToMessageSize.attachment25MB', figureAt(figures, 'peakMemoryToMessageSize.attachment25MB'), GOALS.peakMemoryToMessageSize, 2, '×');
  add('peakMemoryToMessageSize.text25MB', figureAt(figures, 'peakMemoryToMessageSize.text25MB'), GOALS.peakMemoryToMessageSize, 2, '×');
  const handler = figures.handlerCpuMsPerMessage;
  const parseOnly = figures.parseOnlyCpuMsPerMessage;
  if (handler !== undefined && parseOnly !== undefined && parseOnly > 0) {
    add('handlerCpuMsPerMessage / parseOnlyCpuMsPerMessage', handler / parseOnly, GOALS.handlerToParseOnlyCpu, 2, '×');
  }
  add('slaScanReadUnitRatio', figureAt(figures, 'slaScanReadUnitRatio'), GOALS.slaScanReadUnitRatio, 2, '×');
  add('secretCorpusFalseRedactions', figureAt(figures, 'secretCorpusFalseRedactions'), GOALS.secretCorpusFalseRedactions, 0);
  add('guardOrdinaryBlockedRate', figureAt(figures, 'guardOrdinaryBlockedRate'), GOALS.guardOrdinaryBlockedRate, 3);
  const importRate = figureAt(figures, 'rosterImportLinesPerSecond');
  if (importRate !== undefined) {
    rows.push({ figure: 'rosterImportLinesPerSecond', measured: importRate, goal: GOALS.rosterImportLinesPerSecond, met: importRate >= GOALS.rosterImportLinesPerSecond, digits: 0, prefix: '', atLeast: true });
  }
  const accuracy = figureAt(figures, 'classifierCategoryAccuracy');
  if (accuracy !== undefined) {
    rows.push({ figure: 'classifierCategoryAccuracy', measured: accuracy, goal: GOALS.classifierCategoryAccuracy, met: accuracy >= GOALS.classifierCategoryAccuracy, digits: 3, prefix: '', atLeast: true });
  }
  const phraseRate = figureAt(figures, 'secretMnemonicRedactionRate');
  if (phraseRate !== undefined) {
    rows.push({ figure: 'secretMnemonicRedactionRate', measured: phraseRate, goal: GOALS.secretMnemonicRedactionRate, met: phraseRate >= GOALS.secretMnemonicRedactionRate, digits: 3, prefix: '', atLeast: true });
  }
  const guardRate = figureAt(figures, 'guardDangerousBlockedRate');
  if (guardRate !== undefined) {
    rows.push({ figure: 'guardDangerousBlockedRate', measured: guardRate, goal: GOALS.guardDangerousBlockedRate, met: guardRate >= GOALS.guardDangerousBlockedRate, digits: 3, prefix: '', atLeast: true });
  }
  return rows;
}

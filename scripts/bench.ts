/**
 * `npm run bench`: figures (not pass/fail) for the inbound path, all measured in one run so that ratios
 * between them are meaningful on a noisy shared machine.
 *
 *   1. bundle size and cold import time of `inbound`, next to a hello-world handler bundled the same way;
 *   2. cold start against its floor, peak memory for 25 MB messages, handler CPU against parse-only
 *      (scripts/bench/cold-start.ts, memory.ts, cpu.ts, each run in a process of its own);
 *   3. messages per second through the real handler on the local stack, for a mixed corpus, sequentially,
 *      concurrently and over SMTP;
 *   4. cost per message kind: AWS requests, and DynamoDB request units billed by AWS's rules;
 *   5. every headline figure against its goal;
 *   6. importing a generated roster through `npx concierge customers import` (lines per second);
 *   7. the classifier's category and priority on the labelled set;
 *   8. the read units of one SLA scan with 10,000 open tickets and with 100, the same tickets due in both;
 *   9. secret detection: 1,000 generated recovery phrases in prose all redacted, the real-mail corpus untouched.
 *
 * Options: --cold-runs N (15), --messages N per throughput phase (300), --concurrency N (4),
 * --smtp-messages N (60), --cost-samples N (20), --roster-lines N (10000), --only with a comma-separated list
 * of phases (all of bundle, cold-start, memory, cpu, throughput, cost, roster-import, classifier, sla-scan, secrets, outbound-guard), --json FILE (the headline figures as JSON, see
 * `BenchFigures` in scripts/bench/figures.ts). The report goes to stdout, progress to stderr. A run whose
 * phases leave one of their figures out fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { InboundResult } from '../functions/inbound/receive-message';
import { startTestStack, type TestStack } from '../tests/helpers/local-stack';
import { DEFERRED_MODULES, DEPLOYED_BUNDLING, DEPLOYED_NODE_OPTIONS } from '../lib/concierge-function';
import { bundle, compareColdImports, writeHelloWorld, type BuiltBundle, type ColdSummary } from './bench/bundle';
import type { TableDefinition } from './bench/billing';
import { createCostBench, MESSAGE_KIND_LABELS, type CostBench, type CostRow, type MessageKind } from './bench/capacity';
import { formatColdStart } from './bench/cold-start';
import { buildCorpus, corpusFiles, KINDS, MIX, planMix, type Kind } from './bench/corpus';
import { againstGoal, GOALS, goalRows, missingFigureKeys, type BenchFigures } from './bench/figures';
import { stopOwnProcesses } from './bench/own-process';
import { runPerformancePhase } from './bench/performance';
import { benchRosterImport, WARM_UP_LINES } from './bench/roster-import';
import { labelledSetAccuracy, type LabelledMessage } from './bench/categorize-accuracy';
import { corpusRedactions, generatePhraseSamples, measurePhraseRedaction } from './bench/secrets';
import { measureOutboundGuard } from './bench/outbound-guard';
import { measureSlaScans, SLA_SCAN_DUE_TICKETS, SLA_SCAN_OPEN_TICKETS, type SlaScanRun } from './bench/sla-scan';
import { clearAcknowledgementQuotas, deliverAll, openTicketsForFollowUps, sendAllSmtp, type RunResult } from './bench/throughput';
import { fixed, kib, progress, table, thousands } from './bench/stats';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return parsed;
}

const { values: args } = parseArgs({
  options: {
    'cold-runs': { type: 'string' },
    messages: { type: 'string' },
    concurrency: { type: 'string' },
    'smtp-messages': { type: 'string' },
    'cost-samples': { type: 'string' },
    'roster-lines': { type: 'string' },
    only: { type: 'string' },
    json: { type: 'string' },
  },
  strict: true,
});
const PHASES = ['bundle', 'cold-start', 'memory', 'cpu', 'throughput', 'cost', 'roster-import', 'classifier', 'sla-scan', 'secrets', 'outbound-guard'] as const;
type Phase = (typeof PHASES)[number];
function phases(value: string | undefined): Set<Phase> {
  if (value === undefined) return new Set(PHASES);
  const chosen = value.split(',').map((name) => name.trim());
  const unknown = chosen.filter((name) => !(PHASES as readonly string[]).includes(name));
  if (unknown.length > 0 || chosen.length === 0) throw new Error(`--only takes a comma-separated list of ${PHASES.join(', ')}; got ${value}`);
  return new Set(chosen as Phase[]);
}
const options = {
  coldRuns: positive('cold-runs', args['cold-runs'], 15),
  messages: positive('messages', args.messages, 300),
  concurrency: positive('concurrency', args.concurrency, 4),
  smtpMessages: positive('smtp-messages', args['smtp-messages'], 60),
  costSamples: positive('cost-samples', args['cost-samples'], 20),
  rosterLines: positive('roster-lines', args['roster-lines'], 10_000),
  phases: phases(args.only),
  jsonFile: args.json,
};

const figures: BenchFigures = { generatedAt: new Date().toISOString() };
const round = (value: number) => Number(value.toFixed(2));

const out: string[] = [];
const print = (line = '') => out.push(line);

// ---------------------------------------------------------------------------------------------
// 1. Bundle size and cold import

async function benchBundles(workDir: string): Promise<void> {
  progress('bundling inbound and hello-world with esbuild');
  const inbound = await bundle('inbound', join(PROJECT_ROOT, 'functions/inbound/handler.ts'), join(workDir, 'inbound'));
  // Without deferred modules: they would be built beside it as deployed, but it never loads them.
  const hello = await bundle('hello-world', writeHelloWorld(workDir), join(workDir, 'hello'), { deferredModules: false });
  progress(`cold imports: ${options.coldRuns} fresh node processes per bundle, alternating`);
  const cold = await compareColdImports(inbound, hello, options.coldRuns, workDir, (done) => {
    if (done % 5 === 0 || done === options.coldRuns) progress(`cold imports: ${done}/${options.coldRuns} pairs`);
  });

  print('1. Bundle size and cold import time');
  print('  Built exactly as deployed (DEPLOYED_BUNDLING in lib/concierge-function.ts, what CDK\'s NodejsFunction runs');
  print(`  for NODEJS_24_X): esbuild, platform node, target ${DEPLOYED_BUNDLING.target}, format esm (index.mjs) with the createRequire`);
  print(
    `  banner, main fields ${DEPLOYED_BUNDLING.mainFields.join(',')}, ${DEPLOYED_BUNDLING.minify ? 'minified' : 'not minified'},` +
      ` ${DEPLOYED_BUNDLING.sourceMap ? 'with a source map' : 'no source map'}, AWS SDK bundled, nothing external;`,
  );
  print(`  ${Object.keys(DEFERRED_MODULES).join(', ')} built beside it as deferred/<name>.cjs, loaded on first use;`);
  print(`  NODE_OPTIONS="${DEPLOYED_NODE_OPTIONS}" as deployed.`);
  print();
  const sizeRow = (b: BuiltBundle) => [b.label, `${thousands(b.bytes)} B`, kib(b.bytes), kib(b.deferredBytes)];
  print(table([['bundle', 'index.mjs', 'KiB', 'deferred/ KiB'], sizeRow(inbound), sizeRow(hello)]));
  const top = inbound.byPackage.slice(0, 6).map((p) => `${p.name} ${kib(p.bytes)}`);
  print(`  largest parts of inbound's index.mjs: ${top.join(', ')}`);
  print(`  deferred modules: ${inbound.deferred.map((d) => `${d.name} ${kib(d.bytes)}`).join(', ') || 'none'}`);
  print();
  print(`  cold import: ${options.coldRuns} fresh \`node\` processes per bundle, the two alternated (first of each pair`);
  print('  swapped every run), one unrecorded warm-up each; import() timed with performance.now() in the child;');
  print(`  "process" is spawn-to-exit seen by the parent. Import only (no message handled, so no deferred module loads);`);
  print(`  dummy env for the config read at import. Node ${process.version} here.`);
  print();
  const coldRow = (label: string, s: ColdSummary) => [label, `${fixed(s.importMedian)} ms`, `${fixed(s.importP90)} ms`, `${fixed(s.processMedian)} ms`];
  print(table([['bundle', 'import median', 'import p90', 'process median'], coldRow('inbound', cold.a), coldRow('hello-world', cold.b)]));
  const diff = cold.a.importMedian - cold.b.importMedian;
  const ratio = cold.a.importMedian / cold.b.importMedian;
  print(
    `  inbound − hello-world: import median +${fixed(diff)} ms (×${fixed(ratio, 1)}), p90 +${fixed(cold.a.importP90 - cold.b.importP90)} ms,` +
      ` process median +${fixed(cold.a.processMedian - cold.b.processMedian)} ms (×${fixed(cold.a.processMedian / cold.b.processMedian, 2)})`,
  );
  print();
}

// ---------------------------------------------------------------------------------------------
// 2. Cold start, memory, CPU

/**
 * Each of these starts its own stand-ins, in a process of its own (own-process.ts says why), before the local
 * stack starts, so that two stacks never run side by side.
 */
async function benchPerformance(): Promise<void> {
  if (!(['cold-start', 'memory', 'cpu'] as const).some((phase) => options.phases.has(phase))) return;
  print('2. Cold start, memory and CPU (bundles built as deployed, each run in a fresh `node` process)');
  if (options.phases.has('cold-start')) {
    progress(`cold start: ${options.coldRuns} fresh processes per side`);
    const result = await runPerformancePhase('coldStart', { runs: options.coldRuns });
    print(formatColdStart(result).replace(/^/gm, '  '));
    print(`  inbound to its floor ${againstGoal(result.inbound.toFloor, GOALS.coldStartToFloor.inbound, 2, '×')}`);
    print(`  api to its floor     ${againstGoal(result.api.toFloor, GOALS.coldStartToFloor.api, 2, '×')}`);
    figures.coldStart = { inbound: { toFloor: round(result.inbound.toFloor) }, api: { toFloor: round(result.api.toFloor) } };
    print();
  }
  if (options.phases.has('memory')) {
    progress('memory: one 25 MB message per case, each in a fresh process');
    const result = await runPerformancePhase('memory', {});
    print('  peak memory: (peak RSS − RSS before the message) / message size, one fresh process per case, after one');
    print('  ordinary message:');
    for (const [name, figure] of Object.entries(result)) {
      print(`  ${name.padEnd(15)} ${againstGoal(figure.ratio, GOALS.peakMemoryToMessageSize, 2, '×')}, message ${kib(figure.messageBytes)}; outcome ${figure.outcome}`);
    }
    figures.peakMemoryToMessageSize = { attachment25MB: round(result.attachment25MB.ratio), text25MB: round(result.text25MB.ratio) };
    print();
  }
  if (options.phases.has('cpu')) {
    progress('cpu: handler and parse-only over the same corpus');
    const result = await runPerformancePhase('cpu', {});
    const outcomes = Object.entries(result.outcomes).map(([outcome, count]) => `${count} ${outcome}`).join(', ');
    print(`  CPU per message over ${result.messages} messages (${outcomes}); the stand-ins run in another process:`);
    print(`  handler ${fixed(result.handlerCpuMsPerMessage, 2)} ms, mailparser parse-only ${fixed(result.parseOnlyCpuMsPerMessage, 2)} ms (mean of a run before and after),`);
    print(`  handler / parse-only ${againstGoal(result.ratio, GOALS.handlerToParseOnlyCpu, 2, '×')}`);
    figures.handlerCpuMsPerMessage = round(result.handlerCpuMsPerMessage);
    figures.parseOnlyCpuMsPerMessage = round(result.parseOnlyCpuMsPerMessage);
    print();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Throughput

function outcomeTable(runs: Array<{ label: string; run: RunResult }>): string {
  const labels = [...new Set(runs.flatMap(({ run }) => [...run.outcomes.keys()]))].sort();
  return table([['outcome', ...runs.map((r) => r.label)], ...labels.map((label) => [label, ...runs.map(({ run }) => String(run.outcomes.get(label) ?? 0))])]);
}

function kindBreakdown(run: RunResult): string {
  return KINDS.filter((kind) => run.byKind.has(kind))
    .map((kind) => {
      const outcomes = [...(run.byKind.get(kind) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1]);
      return `  ${kind.padEnd(12)} ${outcomes.map(([label, count]) => `${count} ${label}`).join('; ')}`;
    })
    .join('\n');
}

async function benchThroughput(stack: TestStack, cost: CostBench): Promise<void> {
  const files = corpusFiles();
  const counts = planMix(options.messages);
  const smtpCounts = planMix(options.smtpMessages);
  const deliver = (raw: string, sender: string): Promise<InboundResult> => stack.deliver(raw, { source: sender });
  const acknowledgementOf = (ticketId: string) => cost.acknowledgementOf(ticketId);

  // Warm-up, untimed: JIT and connection pools, so the first timed phase does not pay for them alone.
  progress('throughput: warm-up (untimed)');
  const warmCounts = planMix(24);
  const warmTargets = await openTicketsForFollowUps(warmCounts['follow-up'], 'warm', deliver, acknowledgementOf);
  await deliverAll(stack, buildCorpus(warmCounts, 'warm', files, warmTargets), options.concurrency);

  // Tickets the follow-ups of each phase answer, opened beforehand and untimed.
  progress(`throughput: opening ${counts['follow-up'] * 2 + smtpCounts['follow-up']} tickets for the follow-ups (untimed)`);
  const sequentialCorpus = buildCorpus(counts, 'seq', files, await openTicketsForFollowUps(counts['follow-up'], 'seq', deliver, acknowledgementOf));
  const concurrentCorpus = buildCorpus(counts, 'conc', files, await openTicketsForFollowUps(counts['follow-up'], 'conc', deliver, acknowledgementOf));
  const smtpCorpus = buildCorpus(smtpCounts, 'smtp', files, await openTicketsForFollowUps(smtpCounts['follow-up'], 'smtp', deliver, acknowledgementOf));

  const every = Math.max(25, Math.ceil(options.messages / 4));
  const tick = (label: string, total: number) => (done: number) => {
    if (done % every === 0 || done === total) progress(`${label}: ${done}/${total}`);
  };
  const resetQuotas = () => clearAcknowledgementQuotas(cost.documentClient, stack.tableName);
  await resetQuotas();
  const sequential = await deliverAll(stack, sequentialCorpus, 1, tick('throughput sequential', sequentialCorpus.length));
  await resetQuotas();
  const concurrent = await deliverAll(stack, concurrentCorpus, options.concurrency, tick(`throughput concurrency ${options.concurrency}`, concurrentCorpus.length));
  await resetQuotas();
  const smtp = await sendAllSmtp(stack, smtpCorpus, tick('throughput SMTP', smtpCorpus.length));

  const mixLine = (c: Record<Kind, number>) => KINDS.map((kind) => `${c[kind]} ${kind}`).join(', ');
  print('3. Throughput through the inbound path (local stack: DynamoDB Local in memory, s3rver, SES stand-in)');
  print('  Each message: raw mail PUT into the local S3, then the real `inbound` handler invoked with an SES event');
  print('  (tests/helpers/local-stack.ts deliver). All services and the handler share this machine\'s CPUs, and');
  print('  "concurrency" means N invocations in flight in one Node process (Lambda would run N containers).');
  print(`  Mix per phase (${options.messages}): ${mixLine(counts)}`);
  print(`  (shares ${KINDS.map((kind) => `${kind} ${Math.round(MIX[kind] * 100)}%`).join(', ')};`);
  print('  bounces from sisimai/bsd, replies from talon standard_replies, charsets/letters, malformed/stalwart and');
  print('  php-imap, spread evenly over each sorted folder; corpus files get a fresh Message-ID per phase so that re-use');
  print('  is not a duplicate; new messages have distinct senders; each follow-up answers the acknowledgement of');
  print('  its own ticket, opened untimed beforehand; a 24-message warm-up ran first; the per-sender acknowledgement');
  print('  counters are cleared before each timed phase, so every phase starts from the same sender history.)');
  print();
  const rateRow = (label: string, run: RunResult) => [label, String(run.messages), `${fixed(run.elapsedMs / 1000, 2)} s`, `${fixed(run.perSecond, 1)} msg/s`, `${fixed(run.latencyMedianMs)} ms`, `${fixed(run.latencyP90Ms)} ms`];
  print(
    table([
      ['phase', 'messages', 'elapsed', 'rate', 'latency median', 'latency p90'],
      rateRow('deliver, sequential', sequential),
      rateRow(`deliver, concurrency ${options.concurrency}`, concurrent),
      rateRow('SMTP (sendSmtp), sequential', smtp),
    ]),
  );
  print(`  concurrency ${options.concurrency} vs sequential: ×${fixed(concurrent.perSecond / sequential.perSecond, 2)}; SMTP vs deliver sequential: ×${fixed(smtp.perSecond / sequential.perSecond, 2)}`);
  print(`  SMTP mix (${options.smtpMessages}): ${mixLine(smtpCounts)}; the receiver computes verdicts itself; outcomes are not returned over SMTP.`);
  print();
  print(outcomeTable([
    { label: 'sequential', run: sequential },
    { label: `concurrency ${options.concurrency}`, run: concurrent },
  ]));
  print();
  print('  by kind (sequential phase):');
  print(kindBreakdown(sequential));
  const failures = [...sequential.failures, ...concurrent.failures, ...smtp.failures];
  if (failures.length > 0) {
    print(`  failures (${failures.length}):`);
    for (const failure of failures.slice(0, 10)) print(`    ${failure.slice(0, 200)}`);
  }
  print();
}

// ---------------------------------------------------------------------------------------------
// 4. Cost per message

const perMessage = (rows: readonly CostRow[], pick: (row: CostRow) => number) =>
  Object.fromEntries(rows.map((row) => [row.kind, round(pick(row))])) as Record<MessageKind, number>;

function describeTables(tables: Map<string, TableDefinition>): string[] {
  return [...tables.entries()].map(([name, table]) => {
    const indexes = table.indexes.map((index) => {
      const projection = index.projection.type === 'INCLUDE' ? `INCLUDE ${index.projection.nonKeyAttributes.join(', ')}` : index.projection.type;
      return `${index.name} (${[index.partitionKey, index.sortKey].filter(Boolean).join('/')}, ${projection})`;
    });
    return `  table ${name}: key ${[table.partitionKey, table.sortKey].filter(Boolean).join('/')}; indexes ${indexes.join('; ') || 'none'}`;
  });
}

const withGoal = (value: number, goal: number | undefined, digits = 1) => (goal === undefined ? fixed(value, digits) : `${fixed(value, digits)}${value > goal ? ' !' : ''} (≤ ${goal})`);

async function benchCost(cost: CostBench): Promise<void> {
  progress(`cost: ${options.costSamples} samples per kind`);
  const rows = await cost.run(options.costSamples, corpusFiles().bounces, progress);
  print('4. Cost per message (AWS requests; DynamoDB request units by AWS\'s billing rules)');
  print('  receiveMessage() called directly - the use case the handler calls - with dependencies built as the handler');
  print('  builds them; middleware on its DynamoDB, S3 and SES clients counts every API call and bills DynamoDB from the');
  print('  items themselves (scripts/bench/billing.ts): size rounded up per 1 KB (reads per 4 KB), ×2 in a transaction,');
  print('  the larger of before and after, plus a write of the projected entry for every index the item enters, leaves');
  print('  or changes in. Items are read before and after each write through a separate, unmetered client.');
  print('  "Local reported" is DynamoDB Local\'s ConsumedCapacity for the same requests, which under-counts transactions');
  print('  and leaves out index writes. "!" marks a figure over its goal.');
  for (const line of describeTables(await cost.tables())) print(line);
  print();
  print(
    table(
      [
        ['message kind', 'samples', 'AWS requests', 'write units', 'write max', 'read units', 'local reported W/R', 'outcomes'],
        ...rows.map((row) => [
          MESSAGE_KIND_LABELS[row.kind],
          String(row.samples),
          withGoal(row.requests, row.kind === 'vipTicket' ? undefined : GOALS.awsRequestsPerMessage[row.kind]),
          withGoal(row.writeUnits, row.kind === 'bounce' || row.kind === 'vipTicket' ? undefined : GOALS.writeUnitsPerMessage[row.kind]),
          fixed(row.writeUnitsMax, 0),
          fixed(row.readUnits, 1),
          `${fixed(row.reportedWriteUnits, 1)} / ${fixed(row.reportedReadUnits, 1)}`,
          [...row.outcomes.entries()].map(([label, count]) => `${count} ${label}`).join('; '),
        ]),
      ],
      [7],
    ),
  );
  print();
  for (const row of rows) {
    print(`  ${MESSAGE_KIND_LABELS[row.kind]}, per message, in the order first made:`);
    print(
      table(
        [
          ['request', 'calls', 'write units', 'read units'],
          ...row.operations.map((operation) => [operation.name, fixed(operation.calls, 2), fixed(operation.writeUnits, 1), fixed(operation.readUnits, 1)]),
        ],
        [],
        '    ',
      ),
    );
    if (row.indexWrites.length > 0) print(`    index writes: ${row.indexWrites.map((write) => `${write.name} ×${fixed(write.perMessage, 2)}`).join('; ')}`);
    print();
  }
  figures.writeUnitsPerMessage = perMessage(rows, (row) => row.writeUnits);
  figures.readUnitsPerMessage = perMessage(rows, (row) => row.readUnits);
  figures.awsRequestsPerMessage = perMessage(rows, (row) => row.requests);
}

// ---------------------------------------------------------------------------------------------
// 7. Category and priority on the labelled set

function benchClassifier(): void {
  const messages = JSON.parse(readFileSync(join(PROJECT_ROOT, 'tests/fixtures/sla/labelled-messages.json'), 'utf8')) as LabelledMessage[];
  const result = labelledSetAccuracy(messages);
  const zh = messages.filter((message) => message.language === 'zh').length;
  print('7. Category and priority (functions/sla/categorize.ts) on the labelled set tests/fixtures/sla/labelled-messages.json');
  print(`  ${messages.length} messages written to resemble support mail (${zh} Chinese, ${messages.length - zh} English), every category`);
  print('  represented; the rules were written from each category\'s vocabulary and tuned on this set, so this is the');
  print('  set they fit, not a held-out score.');
  print(`  category accuracy ${fixed(result.categoryAccuracy * 100, 1)}% ${againstGoal(result.categoryAccuracy, GOALS.classifierCategoryAccuracy, 3, '', 'at-least')}`);
  print(`  priority accuracy ${fixed(result.priorityAccuracy * 100, 1)}%; every security incident urgent: ${result.securityUrgent ? 'yes' : 'NO'}`);
  for (const miss of result.misses.slice(0, 10)) print(`  miss: "${miss.subject.slice(0, 60)}" expected ${miss.expected}, got ${miss.actual}`);
  figures.classifierCategoryAccuracy = round(result.categoryAccuracy);
  figures.classifierSecurityUrgent = result.securityUrgent;
  print();
}

// ---------------------------------------------------------------------------------------------
// 9. Secret detection

/** Fixed, so every run measures the same phrases. */
const SECRET_PHRASE_SEED = 20_261_121;
const SECRET_PHRASE_SAMPLES = 1_000;

async function benchSecrets(): Promise<void> {
  progress(`secrets: ${SECRET_PHRASE_SAMPLES} generated recovery phrases, then every message of the corpus`);
  const phrases = measurePhraseRedaction(generatePhraseSamples(SECRET_PHRASE_SAMPLES, SECRET_PHRASE_SEED));
  const corpus = await corpusRedactions();
  print('9. Secret detection (functions/secrets/detect.ts)');
  print(`  ${phrases.samples} valid BIP39 phrases of 12 to 24 words (seed ${SECRET_PHRASE_SEED}), English, simplified and traditional`);
  print('  Chinese in turn, each in English or Chinese prose, separators mixed: spaces, one per line, commas (, ， 、),');
  print('  `1.` and `1)` numbering, markdown and ASCII tables, hyphens, tabs, and for Chinese no spaces at all (set on a');
  print('  line of its own or after a cue such as 助记词：; glued into prose that does not name it, it is not found).');
  print('  Fully redacted: the marker is there and no word of the phrase is left beyond what the prose itself holds.');
  print(`  fully redacted ${phrases.fullyRedacted}/${phrases.samples}: ${againstGoal(phrases.rate, GOALS.secretMnemonicRedactionRate, 3, '', 'at-least')}`);
  const share = (group: { samples: number; fullyRedacted: number }) => `${group.fullyRedacted}/${group.samples}`;
  print(`  by language: ${Object.entries(phrases.byLanguage).map(([language, group]) => `${language} ${share(group)}`).join(', ')}`);
  print(`  by separator: ${Object.entries(phrases.byStyle).map(([style, group]) => `${style} ${share(group)}`).join(', ')}`);
  for (const miss of phrases.misses.slice(0, 5)) print(`  miss: ${miss.language}, ${miss.style}: ${JSON.stringify(miss.text.slice(0, 100))}`);
  print(`  corpus: ${corpus.messages} messages of ../shared/corpus (mail: subject and text as mailparser gives them; plain-text`);
  print('  and HTML replies: the file), each through redactSecrets; a message with any redaction is a false redaction.');
  print(`  messages with a redaction: ${againstGoal(corpus.redacted.length, GOALS.secretCorpusFalseRedactions, 0)}`);
  for (const hit of corpus.redacted) print(`  false redaction: ${hit.name} (${hit.found.join(', ')}): ${JSON.stringify(hit.excerpt)}`);
  // Three decimals: rounded to two, 999 of 1,000 would read as the goal met.
  figures.secretMnemonicRedactionRate = Number(phrases.rate.toFixed(3));
  figures.secretCorpusFalseRedactions = corpus.redacted.length;
  print();
}

// ---------------------------------------------------------------------------------------------
// 10. Outbound guard

function benchOutboundGuard(): void {
  progress('outbound-guard: the labelled staff replies');
  const result = measureOutboundGuard();
  const share = (blocked: number, total: number) => `${blocked}/${total} (${fixed((100 * blocked) / total, 1)}%)`;
  print('10. Outbound guard (functions/secrets/outbound-guard.ts) on tests/fixtures/staff-replies/ (labelled.json, held-out-round-3.json, held-out-round-4.json)');
  print('  Staff replies labelled by hand, English and Chinese; the set\'s deposit addresses are the configured list.');
  print(`  dangerous blocked ${share(result.dangerous.blocked, result.dangerous.total)}: ${againstGoal(result.dangerous.blocked / result.dangerous.total, GOALS.guardDangerousBlockedRate, 3, '', 'at-least')}`);
  print(`  ordinary blocked ${share(result.ordinary.blocked, result.ordinary.total)}: ${againstGoal(result.ordinary.blocked / result.ordinary.total, GOALS.guardOrdinaryBlockedRate, 3)}`);
  for (const language of ['en', 'zh'] as const) {
    const group = result.byLanguage[language];
    print(`  ${language}: dangerous ${group.dangerousBlocked}/${group.dangerous}, ordinary ${group.ordinaryBlocked}/${group.ordinary} blocked`);
  }
  // A held-out round's first contact is the honest estimate of what the guard does on replies it has not seen;
  // "now" is on replies the rules were since changed for.
  for (const { round, firstContact, now } of result.rounds) {
    const label = round === undefined ? 'written with the rules' : `held-out round ${round}`;
    const before = firstContact ? `first contact dangerous ${firstContact.dangerousBlocked}/${firstContact.dangerous}, ordinary ${firstContact.ordinaryBlocked}/${firstContact.ordinary} blocked; ` : '';
    print(`  ${label}: ${before}now dangerous ${now.dangerousBlocked}/${now.dangerous}, ordinary ${now.ordinaryBlocked}/${now.ordinary} blocked`);
  }
  for (const miss of result.missed) print(`  missed: ${miss.why}: ${JSON.stringify(miss.text.slice(0, 100))}`);
  for (const wrong of result.wronglyBlocked) print(`  wrongly blocked: ${wrong.why} (${wrong.detail}): ${JSON.stringify(wrong.text.slice(0, 100))}`);
  print(`  check time: ${fixed(result.microsecondsPerReply, 1)} µs per reply (median of 30 passes over the set);`);
  print(`  ${fixed(result.microsecondsLongestReply / 1000, 2)} ms for one reply of the longest size checked (20,000 characters of cues and triggers, no sentence end)`);
  figures.guardDangerousBlockedRate = Number((result.dangerous.blocked / result.dangerous.total).toFixed(3));
  figures.guardOrdinaryBlockedRate = Number((result.ordinary.blocked / result.ordinary.total).toFixed(3));
  figures.guardMicrosecondsPerReply = round(result.microsecondsPerReply);
  print();
}

// ---------------------------------------------------------------------------------------------
// 6. Roster import

async function benchRoster(stack: TestStack, workDir: string): Promise<void> {
  const result = await benchRosterImport(stack, { lines: options.rosterLines, workDir, progress });
  print('6. Roster import (`npx concierge customers import roster.csv` against the local API, spawn to exit)');
  print(`  ${thousands(result.lines)} generated lines (BOM, CRLF): ${thousands(result.vipLines)} VIP clients spread over ${result.managers} managers`);
  print('  with a capacity each, the rest standard; every line checked first (dry-run parts of 500 lines), then written');
  print('  in parts of 500, one at a time; the API groups each part\'s writes into transactions per manager (book');
  print('  counter, client records, history) and checks capacity in the same transaction. Includes the CLI\'s start-up;');
  print(`  an untimed import of ${WARM_UP_LINES} other lines ran first (DynamoDB Local's JVM warms up).`);
  print();
  const runRow = (label: string, run: typeof result.first) => [label, `${fixed(run.elapsedMs / 1000, 2)} s`, `${fixed(run.linesPerSecond, 0)} lines/s`, run.summary];
  print(table([['run', 'elapsed', 'rate', 'CLI summary'], runRow('first (all new)', result.first), runRow('same file again', result.again)]));
  print(`  first run ${againstGoal(result.first.linesPerSecond, GOALS.rosterImportLinesPerSecond, 0, '', 'at-least')}`);
  figures.rosterImportLinesPerSecond = round(result.first.linesPerSecond);
  print();
}

// ---------------------------------------------------------------------------------------------
// 8. SLA scan

async function benchSlaScan(stack: TestStack): Promise<void> {
  const [many, few] = SLA_SCAN_OPEN_TICKETS;
  const runs = await measureSlaScans({ dynamoEndpoint: stack.dynamoEndpoint, openTickets: SLA_SCAN_OPEN_TICKETS, dueTickets: SLA_SCAN_DUE_TICKETS, progress });
  const large = runs[0]!;
  const small = runs[1]!;
  print(`8. SLA scan (functions/sla/scan.ts runSlaScan): one scan with ${thousands(many)} open tickets and one with ${thousands(few)}, ${SLA_SCAN_DUE_TICKETS} due in each`);
  print('  Each on a table of its own on DynamoDB Local, seeded unmetered in BatchWriteItem requests with tickets built by');
  print('  newTicket at their opening time (standard tier, default SLA policy, several categories and priorities) and');
  print('  stored by ticketItem. The due tickets are the same in both tables: opened long enough ago that a warning or a');
  print('  breach of their first response is owed; the others were opened recently, their first check still ahead.');
  print('  Nobody is assigned and a lead is on the roster, so every action is mailed (to a sender that accepts all).');
  print('  The scan runs with the stores the scan handler builds, their document client metered and billed by AWS\'s rules');
  print('  (scripts/bench/billing.ts): Query per 4 KB of the items read, eventually consistent; BatchGetItem per item,');
  print('  strongly consistent. The meter sizes a Query from the table items, not from the smaller index entries (gsi4');
  print('  projects id, customer, createdAt), so the Query figure is an upper bound.');
  print();
  const runRow = (run: SlaScanRun) => [
    thousands(run.openTickets),
    String(run.dueTickets),
    String(run.summary.due),
    String(run.actedOn),
    `${run.summary.warnings} / ${run.summary.breaches}`,
    String(run.mailsAccepted),
    String(run.dueAfter),
    String(run.requests),
    fixed(run.readUnits, 1),
    fixed(run.writeUnits, 0),
    `${fixed(run.seedMs / 1000, 1)} s`,
  ];
  print(table([['open tickets', 'due', 'scan read due', 'acted on', 'warnings / breaches', 'mails', 'due after', 'requests', 'read units', 'write units', 'seeding'], runRow(large), runRow(small)]));
  for (const run of runs) {
    print(`  ${thousands(run.openTickets)} open, by request: ${run.operations.map((operation) => `${operation.name} ×${operation.calls} (R ${fixed(operation.readUnits, 1)}, W ${fixed(operation.writeUnits, 0)})`).join('; ')}`);
  }
  const ratio = large.readUnits / small.readUnits;
  print(`  read units, ${thousands(many)} open / ${thousands(few)} open: ${againstGoal(ratio, GOALS.slaScanReadUnitRatio, 2, '×')}`);
  if (large.summary.due !== small.summary.due || large.actedOn !== small.actedOn || large.actedOn !== SLA_SCAN_DUE_TICKETS) {
    throw new Error(`the SLA scans did different work: due ${large.summary.due} and ${small.summary.due}, acted on ${large.actedOn} and ${small.actedOn} of ${SLA_SCAN_DUE_TICKETS}`);
  }
  figures.slaScanReadUnits10000 = round(large.readUnits);
  figures.slaScanReadUnits100 = round(small.readUnits);
  figures.slaScanReadUnitRatio = round(ratio);
  print();
}

// ---------------------------------------------------------------------------------------------
// 5. Against the goals

function printGoals(): void {
  const rows = goalRows(figures);
  if (rows.length === 0) return;
  print('5. Figures against their goals (from the figures as written by --json, rounded to 2 decimals; "OVER" marks a');
  print('   figure above its goal, "UNDER" one below a lower bound)');
  print(
    table([
      ['figure', 'measured', 'goal', ''],
      ...rows.map((row) => [row.figure, `${row.prefix}${fixed(row.measured, row.digits)}`, `${row.atLeast ? '≥' : '≤'} ${row.prefix}${row.goal}`, row.met ? 'met' : row.atLeast ? 'UNDER' : 'OVER']),
    ]),
  );
  if (figures.handlerCpuMsPerMessage !== undefined && figures.parseOnlyCpuMsPerMessage !== undefined) {
    print(`  (CPU per message: handler ${fixed(figures.handlerCpuMsPerMessage, 2)} ms, parse-only ${fixed(figures.parseOnlyCpuMsPerMessage, 2)} ms)`);
  }
  print();
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const wallStarted = performance.now();
  const cpuList = cpus();
  print(`Concierge bench — node ${process.version} (${process.platform} ${process.arch}), CPU ${cpuList[0]?.model.trim() ?? 'unknown'} × ${cpuList.length}, ${new Date().toISOString()}`);
  print(
    `options: --cold-runs ${options.coldRuns} --messages ${options.messages} --concurrency ${options.concurrency}` +
      ` --smtp-messages ${options.smtpMessages} --cost-samples ${options.costSamples} --roster-lines ${options.rosterLines} --only ${[...options.phases].join(',')}`,
  );
  print();

  const workDir = mkdtempSync(join(tmpdir(), 'concierge-bench-'));
  let stack: TestStack | undefined;
  let cost: CostBench | undefined;
  const cleanUp = async () => {
    cost?.close();
    cost = undefined;
    const running = stack;
    stack = undefined;
    await running?.teardown();
    rmSync(workDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping the local stack`);
    stopOwnProcesses();
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // Before the stack starts, so Java and the stand-ins do not compete with the cold imports.
    if (options.phases.has('bundle')) await benchBundles(workDir);
    await benchPerformance();

    if ((['throughput', 'cost', 'roster-import', 'sla-scan'] as const).some((phase) => options.phases.has(phase))) {
      progress('starting the local stack (DynamoDB Local in memory, s3rver, SES stand-in, SMTP receiver, API)');
      // The stack's log names the error of a delivery that failed every attempt; the rest is one line per message.
      stack = await startTestStack({ log: (line) => (line.startsWith('inbound failed') ? progress(`local stack: ${line}`) : undefined) });
      if (options.phases.has('throughput') || options.phases.has('cost')) cost = await createCostBench(stack);
      if (cost && options.phases.has('throughput')) await benchThroughput(stack, cost);
      if (cost && options.phases.has('cost')) await benchCost(cost);
      if (options.phases.has('roster-import')) await benchRoster(stack, workDir);
      if (options.phases.has('sla-scan')) await benchSlaScan(stack);
    }
  } finally {
    progress('stopping the local stack');
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (options.phases.has('classifier')) benchClassifier();
  if (options.phases.has('secrets')) await benchSecrets();
  if (options.phases.has('outbound-guard')) benchOutboundGuard();
  printGoals();
  print(`wall time: ${fixed((performance.now() - wallStarted) / 1000, 1)} s`);
  const missing = missingFigureKeys(figures, options.phases);
  if (missing.length > 0) throw new Error(`the phases run left out figures: ${missing.join(', ')}`);
  if (options.jsonFile) {
    writeFileSync(options.jsonFile, `${JSON.stringify(figures, null, 2)}\n`);
    print(`figures written to ${options.jsonFile}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    process.stdout.write(`${out.join('\n')}\n`);
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);

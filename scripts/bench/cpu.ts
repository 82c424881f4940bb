/**
 * CPU per message: the inbound handler's own CPU (a fresh `node` process running the deployed bundle; the
 * stand-ins run in this process, so their work is not counted) against mailparser's simpleParser alone on
 * the same raw messages (`handlerCpuMsPerMessage`, `parseOnlyCpuMsPerMessage`). The corpus is the bench's
 * mix (new customer messages, real bounces, client replies, charset letters, malformed mail) without
 * follow-ups, which need tickets opened first; both sides first run an unmeasured warm-up of 20 messages.
 *
 *   npx tsx scripts/bench/cpu.ts [--messages 150] [--profile DIR]
 *
 * --profile also runs the handler under `node --cpu-prof` from an unminified bundle and prints self time
 * per source file and the hottest functions.
 *
 * --floor also measures the SDK floor (`sdkFloorCpuMsPerMessage`): the handler is run once more recording
 * every AWS request it makes (sdk-floor/capture-entry.ts), and a bundle built as deployed that makes only
 * those requests, with the same client factories, against fresh stand-ins (sdk-floor/replay-entry.ts) is
 * measured the same way. No handler can go below it without making fewer or cheaper AWS requests.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildCorpus, corpusFiles, planMix, type CorpusItem } from './corpus';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildDeployedBundle, deployedNodeOptions, INBOUND_ENTRY, PROJECT_ROOT, runChild, startStandIns, type StandIns } from './lambda-child';
import { LOCAL_ACCESS_KEY } from '../local/stack';

export interface CpuFigures {
  messages: number;
  handlerCpuMsPerMessage: number;
  parseOnlyCpuMsPerMessage: number;
  /** handler / parse-only. */
  ratio: number;
  outcomes: Record<string, number>;
  profile?: ProfileSummary;
  /** The same AWS requests with the same clients and nothing else (--floor). */
  sdkFloor?: { cpuMsPerMessage: number; requestsPerMessage: number; toParseOnly: number; failures: Record<string, number> };
}

export interface ProfileSummary {
  totalMs: number;
  byFile: Array<{ file: string; selfMs: number }>;
  byFunction: Array<{ name: string; file: string; selfMs: number }>;
}

function corpusWithoutFollowUps(total: number, tag: string): CorpusItem[] {
  const counts = planMix(total);
  counts.new += counts['follow-up'];
  counts['follow-up'] = 0;
  return buildCorpus(counts, tag, corpusFiles(), []);
}

interface CpuChildResult {
  cpuMs: number;
  messages: number;
  results?: Array<{ results: Array<{ outcome: string }> }>;
}

/**
 * CPU per message of the AWS requests alone: records the requests the handler makes for `total` messages
 * (after 20 warm-up ones, recorded too), then replays them against fresh stand-ins in a fresh process.
 */
async function measureSdkFloor(standIns: StandIns, total: number, workDir: string): Promise<{ cpuMs: number; messages: number; requests: number; failures: Record<string, number> }> {
  const captureFile = join(workDir, 'requests.bin');
  const captureBundle = await buildDeployedBundle(join(PROJECT_ROOT, 'scripts/bench/sdk-floor/capture-entry.ts'), join(workDir, 'capture'), { minify: false });
  const replayBundle = await buildDeployedBundle(join(PROJECT_ROOT, 'scripts/bench/sdk-floor/replay-entry.ts'), join(workDir, 'replay'));
  const items = [...corpusWithoutFollowUps(20, `floorwarm${Date.now()}`), ...corpusWithoutFollowUps(total, `floor${Date.now()}`)];
  const raws = new Map<string, Buffer>();
  const events: unknown[] = [];
  for (const item of items) {
    const event = (await standIns.sesEvent(item.raw, item.source)) as { Records: Array<{ ses: { mail: { messageId: string } } }> };
    raws.set(`${standIns.stack.rawMailPrefix}${event.Records[0]!.ses.mail.messageId}`, item.raw);
    events.push(event);
  }
  await runChild<CpuChildResult>({ mode: 'cpu', target: captureBundle.file, input: { warmup: [], events }, workDir, env: { ...standIns.handlerEnv, CAPTURE_FILE: captureFile }, nodeOptions: '' });

  const fresh = await startStandIns();
  try {
    const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true, endpoint: fresh.stack.s3Endpoint, credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } });
    for (const [key, raw] of raws) await s3.send(new PutObjectCommand({ Bucket: fresh.stack.rawMailBucket, Key: key, Body: raw }));
    s3.destroy();
    const indices = items.map((_item, index) => ({ index }));
    const renames = `${standIns.handlerEnv.TABLE_NAME}=${fresh.handlerEnv.TABLE_NAME},${standIns.stack.rawMailBucket}=${fresh.stack.rawMailBucket}`;
    const replayed = await runChild<{ cpuMs: number; messages: number; results?: Array<{ failed?: string[] }> }>({
      mode: 'cpu',
      target: replayBundle.file,
      input: { warmup: indices.slice(0, 20), events: indices.slice(20) },
      workDir,
      env: { ...fresh.handlerEnv, REPLAY_FILE: captureFile, REPLAY_RENAMES: renames },
      nodeOptions: deployedNodeOptions(),
    });
    const { decodeRecordedMessages } = await import('./sdk-floor/recorded-requests');
    const requests = decodeRecordedMessages(readFileSync(captureFile)).slice(20).reduce((sum, message) => sum + message.length, 0);
    const failures: Record<string, number> = {};
    for (const result of replayed.results ?? []) for (const name of result.failed ?? []) failures[name] = (failures[name] ?? 0) + 1;
    return { cpuMs: replayed.cpuMs, messages: replayed.messages, requests, failures };
  } finally {
    await fresh.stop();
  }
}

async function eventsFor(standIns: StandIns, items: readonly CorpusItem[]): Promise<unknown[]> {
  const events: unknown[] = [];
  for (const item of items) events.push(await standIns.sesEvent(item.raw, item.source));
  return events;
}

/** Line → source module, from the `// path` comments esbuild writes before each module in an unminified bundle. */
function moduleIndex(bundleText: string): Array<{ line: number; file: string }> {
  const index: Array<{ line: number; file: string }> = [];
  bundleText.split('\n').forEach((text, line) => {
    const match = /^\/\/ ((?:node_modules|functions|scripts|lib)\/\S+)$/.exec(text);
    if (match) index.push({ line, file: match[1]! });
  });
  return index;
}

function fileAt(index: Array<{ line: number; file: string }>, line: number): string {
  let low = 0;
  let high = index.length - 1;
  let found = '(bundle prelude)';
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (index[middle]!.line <= line) {
      found = index[middle]!.file;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export function summarizeProfile(profile: CpuProfile, bundleFile: string, bundleText: string): ProfileSummary {
  const index = moduleIndex(bundleText);
  const bundleUrl = pathToFileURL(bundleFile).href;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, { name: string; file: string; selfMs: number }>();
  let totalMs = 0;
  profile.samples.forEach((id, at) => {
    const ms = (profile.timeDeltas[at] ?? 0) / 1000;
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return;
    totalMs += ms;
    const file = frame.url === bundleUrl ? fileAt(index, frame.lineNumber) : frame.url ? frame.url.replace(/^node:/, 'node:') : `(${frame.functionName || 'native'})`;
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
    const key = `${file}:${frame.functionName}:${frame.lineNumber}`;
    const entry = byFunction.get(key) ?? { name: frame.functionName || '(anonymous)', file, selfMs: 0 };
    entry.selfMs += ms;
    byFunction.set(key, entry);
  });
  return {
    totalMs,
    byFile: [...byFile.entries()].map(([file, selfMs]) => ({ file, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
    byFunction: [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs),
  };
}

export async function measureCpu(options: { messages?: number; profileDir?: string; floor?: boolean; progress?: (line: string) => void } = {}): Promise<CpuFigures> {
  const progress = options.progress ?? (() => undefined);
  const total = options.messages ?? 150;
  const workDir = mkdtempSync(join(tmpdir(), 'concierge-cpu-'));
  progress('cpu: bundling inbound as deployed');
  const bundle = await buildDeployedBundle(INBOUND_ENTRY, join(workDir, 'inbound'));
  progress('cpu: starting the stand-ins');
  const standIns = await startStandIns();
  try {
    const warmItems = corpusWithoutFollowUps(20, `warm${Date.now()}`);
    const items = corpusWithoutFollowUps(total, `cpu${Date.now()}`);
    const rawDir = join(workDir, 'raw');
    mkdirSync(rawDir);
    const write = (item: CorpusItem, name: string) => {
      const file = join(rawDir, name);
      writeFileSync(file, item.raw);
      return file;
    };
    const warmFiles = warmItems.map((item, i) => write(item, `warm-${i}.eml`));
    const files = items.map((item, i) => write(item, `m-${i}.eml`));

    // Parse-only runs before and after the handler, and the two are averaged, so that a change in the
    // machine's load during the run weighs on both sides alike.
    const parseOnlyRun = () =>
      runChild<CpuChildResult>({
        mode: 'parse-only',
        target: join(PROJECT_ROOT, 'package.json'),
        input: { warmup: warmFiles, files },
        workDir,
        env: {},
        nodeOptions: '',
      });
    progress('cpu: mailparser parse-only over the same messages (1 of 2)');
    const parseBefore = await parseOnlyRun();
    progress(`cpu: handler over ${items.length} messages (after ${warmItems.length} warm-up)`);
    const handler = await runChild<CpuChildResult>({
      mode: 'cpu',
      target: bundle.file,
      input: { warmup: await eventsFor(standIns, warmItems), events: await eventsFor(standIns, items) },
      workDir,
      env: standIns.handlerEnv,
      nodeOptions: deployedNodeOptions(),
    });
    progress('cpu: mailparser parse-only over the same messages (2 of 2)');
    const parseAfter = await parseOnlyRun();
    const parseOnly = { cpuMs: (parseBefore.cpuMs + parseAfter.cpuMs) / 2, messages: parseBefore.messages };
    const outcomes: Record<string, number> = {};
    for (const result of handler.results ?? []) for (const { outcome } of result.results) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;

    let profile: ProfileSummary | undefined;
    if (options.profileDir) {
      progress('cpu: profiling the handler (unminified bundle, --cpu-prof)');
      mkdirSync(options.profileDir, { recursive: true });
      // Unminified, so that esbuild's `// path` comments map profile lines back to source files.
      const plainFile = (await buildDeployedBundle(INBOUND_ENTRY, join(workDir, 'plain'), { minify: false, sourceMap: false })).file;
      const before = new Set(readdirSync(options.profileDir));
      const profiledItems = corpusWithoutFollowUps(total, `prof${Date.now()}`);
      await runChild<CpuChildResult>({
        mode: 'cpu',
        target: plainFile,
        input: { warmup: [], events: await eventsFor(standIns, profiledItems) },
        workDir,
        env: standIns.handlerEnv,
        nodeOptions: '',
        nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`],
      });
      const written = readdirSync(options.profileDir).find((name) => name.endsWith('.cpuprofile') && !before.has(name));
      if (written) {
        profile = summarizeProfile(
          JSON.parse(readFileSync(join(options.profileDir, written), 'utf8')) as CpuProfile,
          plainFile,
          readFileSync(plainFile, 'utf8'),
        );
      }
    }

    const handlerPer = handler.cpuMs / handler.messages;
    const parsePer = parseOnly.cpuMs / parseOnly.messages;
    let sdkFloor: CpuFigures['sdkFloor'];
    if (options.floor) {
      progress('cpu: SDK floor (the same AWS requests, the same clients, nothing else)');
      const floor = await measureSdkFloor(standIns, total, workDir);
      const floorPer = floor.cpuMs / floor.messages;
      sdkFloor = { cpuMsPerMessage: floorPer, requestsPerMessage: floor.requests / floor.messages, toParseOnly: floorPer / parsePer, failures: floor.failures };
    }
    return {
      messages: handler.messages,
      handlerCpuMsPerMessage: handlerPer,
      parseOnlyCpuMsPerMessage: parsePer,
      ratio: handlerPer / parsePer,
      outcomes,
      ...(profile ? { profile } : {}),
      ...(sdkFloor ? { sdkFloor } : {}),
    };
  } finally {
    await standIns.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { messages: { type: 'string' }, profile: { type: 'string' }, floor: { type: 'boolean' } }, strict: true });
  measureCpu({
    ...(values.messages ? { messages: Number(values.messages) } : {}),
    ...(values.profile ? { profileDir: values.profile } : {}),
    ...(values.floor ? { floor: true } : {}),
    progress: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (figures) => {
      const out = process.stdout;
      out.write(`CPU per message over ${figures.messages} messages (${Object.entries(figures.outcomes).map(([k, v]) => `${v} ${k}`).join(', ')})\n`);
      out.write(`  handlerCpuMsPerMessage    ${figures.handlerCpuMsPerMessage.toFixed(2)} ms\n`);
      out.write(`  parseOnlyCpuMsPerMessage  ${figures.parseOnlyCpuMsPerMessage.toFixed(2)} ms\n`);
      out.write(`  handler / parse-only      ×${figures.ratio.toFixed(2)}\n`);
      if (figures.sdkFloor) {
        const { sdkFloor } = figures;
        out.write(`  SDK floor (${sdkFloor.requestsPerMessage.toFixed(2)} AWS requests per message, same clients, nothing else)\n`);
        out.write(`    sdkFloorCpuMsPerMessage ${sdkFloor.cpuMsPerMessage.toFixed(2)} ms  (×${sdkFloor.toParseOnly.toFixed(2)} parse-only; handler − floor ${(figures.handlerCpuMsPerMessage - sdkFloor.cpuMsPerMessage).toFixed(2)} ms)\n`);
        const failed = Object.entries(sdkFloor.failures);
        if (failed.length > 0) out.write(`    replayed requests that failed: ${failed.map(([name, count]) => `${count} ${name}`).join(', ')}\n`);
      }
      if (figures.profile) {
        const { profile } = figures;
        out.write(`\n  profile: ${profile.totalMs.toFixed(0)} ms sampled; self time by source file:\n`);
        for (const { file, selfMs } of profile.byFile.slice(0, 25)) out.write(`    ${selfMs.toFixed(0).padStart(6)} ms  ${(100 * selfMs / profile.totalMs).toFixed(1).padStart(5)}%  ${relative(PROJECT_ROOT, file) || file}\n`);
        out.write('  hottest functions (self time):\n');
        for (const { name, file, selfMs } of profile.byFunction.slice(0, 25)) out.write(`    ${selfMs.toFixed(0).padStart(6)} ms  ${name}  ${file}\n`);
      }
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`cpu bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

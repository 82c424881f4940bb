/**
 * What the cold-start, memory and CPU benches share: bundles built exactly as they deploy
 * (`DEPLOYED_BUNDLING`, `DEPLOYED_NODE_OPTIONS` from lib/concierge-function.ts), the local stand-ins running in
 * this process (DynamoDB Local's Java, the S3 server, the SES endpoint), and fresh `node` processes that import
 * a bundle and call its handler against them, so the handler's own time, CPU and memory are measured apart
 * from the stand-ins'.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { build, type Metafile } from 'esbuild';
import { DEFERRED_MODULES, DEPLOYED_BUNDLING, DEPLOYED_NODE_OPTIONS, deferredAliases, deferredModulesWith, FUNCTION_DEFERRED_MODULES } from '../../lib/concierge-function';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { LOCAL_ACCESS_KEY } from '../local/stack';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const INBOUND_ENTRY = join(PROJECT_ROOT, 'functions/inbound/handler.ts');
export const API_ENTRY = join(PROJECT_ROOT, 'functions/api/handler.ts');

export interface DeployedBundle {
  file: string;
  bytes: number;
  metafile: Metafile;
}

/**
 * esbuild with the options CDK's NodejsFunction derives from `DEPLOYED_BUNDLING` (platform node, one
 * `index.mjs`, nothing external because the SDK is bundled). `sourceMap` can be overridden to compare.
 */
export async function buildDeployedBundle(
  entry: string,
  outDir: string,
  overrides: { sourceMap?: boolean; nodePaths?: string[]; aliases?: boolean; minify?: boolean; deferredModules?: Readonly<Record<string, string>> } = {},
): Promise<DeployedBundle> {
  const deferred = overrides.deferredModules ?? deferredModulesForEntry(entry);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'index.mjs');
  const sourceMap = overrides.sourceMap ?? DEPLOYED_BUNDLING.sourceMap;
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: DEPLOYED_BUNDLING.target,
    format: 'esm',
    mainFields: [...DEPLOYED_BUNDLING.mainFields],
    banner: { js: DEPLOYED_BUNDLING.banner },
    minify: overrides.minify ?? DEPLOYED_BUNDLING.minify,
    sourcemap: sourceMap,
    outfile: file,
    metafile: true,
    logLevel: 'error',
    ...(overrides.nodePaths ? { nodePaths: overrides.nodePaths } : {}),
    absWorkingDir: PROJECT_ROOT,
    alias: overrides.aliases === false ? {} : deployedAliases(deferred),
  });
  if (overrides.aliases !== false) {
    // What the deployed afterBundling hook does: each deferred module as a file of its own beside the bundle.
    for (const [name, moduleEntry] of Object.entries(deferred)) {
      await build({
        entryPoints: [join(PROJECT_ROOT, moduleEntry)],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        minify: overrides.minify ?? true,
        target: DEPLOYED_BUNDLING.target,
        outfile: join(outDir, 'deferred', `${name}.cjs`),
        logLevel: 'error',
      });
    }
  }
  const output = Object.entries(result.metafile.outputs).find(([path]) => resolve(path) === resolve(file))?.[1];
  return { file, bytes: output?.bytes ?? 0, metafile: result.metafile };
}

/** The modules the function built from `entry` defers, as its construct declares them (lib/constructs/api.ts). */
export function deferredModulesForEntry(entry: string): Record<string, string> {
  return deferredModulesWith(resolve(PROJECT_ROOT, entry) === resolve(PROJECT_ROOT, API_ENTRY) ? FUNCTION_DEFERRED_MODULES.api : {});
}

/** `--alias` entries of the deployed esbuild arguments, for esbuild's API (resolved from the project root as CDK does). */
export function deployedAliases(modules: Readonly<Record<string, string>> = DEFERRED_MODULES): Record<string, string> {
  const entries = deferredAliases(modules);
  return Object.fromEntries(
    entries.map((entry: string) => {
      const at = entry.indexOf('=');
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

/** NODE_OPTIONS as deployed, unless the caller compares another value. */
export function deployedNodeOptions(sourceMaps: boolean = DEPLOYED_BUNDLING.sourceMap): string {
  const others = DEPLOYED_NODE_OPTIONS.replace('--enable-source-maps', '').trim();
  return sourceMaps ? `${others} --enable-source-maps`.trim() : others;
}

const HANDLER_ENV_KEYS = [
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_SES',
  'S3_FORCE_PATH_STYLE',
  'TABLE_NAME',
  'RAW_MAIL_BUCKET',
  'SUPPORT_ADDRESS',
  'REPLY_TOKEN_SECRET',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  // Only when set here: lets a run of older code, whose parse time-out quarantined large mail, finish the parse.
  'PARSE_TIMEOUT_MS',
];

/** The stand-ins and what a child needs to reach them. */
export interface StandIns {
  stack: TestStack;
  /** The handler environment `npm start` gives the functions, for child processes. */
  handlerEnv: Record<string, string>;
  /** Stores `raw` where SES's S3 action would and returns the SES event for it. */
  sesEvent(raw: Buffer, source: string): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startStandIns(): Promise<StandIns> {
  const stack = await startTestStack();
  const handlerEnv: Record<string, string> = { POWERTOOLS_LOG_LEVEL: 'ERROR' };
  for (const key of HANDLER_ENV_KEYS) if (process.env[key] !== undefined) handlerEnv[key] = process.env[key]!;
  const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true, endpoint: stack.s3Endpoint, credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } });
  return {
    stack,
    handlerEnv,
    async sesEvent(raw, source) {
      const sesMessageId = randomBytes(20).toString('hex');
      await s3.send(new PutObjectCommand({ Bucket: stack.rawMailBucket, Key: `${stack.rawMailPrefix}${sesMessageId}`, Body: raw }));
      const now = new Date().toISOString();
      const recipients = [stack.supportAddress];
      const pass = { status: 'PASS' };
      return {
        Records: [
          {
            eventSource: 'aws:ses',
            eventVersion: '1.0',
            ses: {
              mail: { messageId: sesMessageId, source, timestamp: now, destination: recipients },
              receipt: { timestamp: now, recipients, spamVerdict: pass, virusVerdict: pass, spfVerdict: pass, dkimVerdict: pass, dmarcVerdict: pass },
            },
          },
        ],
      };
    },
    async stop() {
      s3.destroy();
      await stack.teardown();
    },
  };
}

/** One ordinary message: plain text, UTF-8, no attachment, from a sender of its own. */
export function ordinaryMessage(sender: string): Buffer {
  return Buffer.from(
    [
      `From: Customer <${sender}>`,
      'To: support@concierge.test',
      'Subject: Withdrawal pending for 3 hours',
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${randomBytes(8).toString('hex')}@client.example>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Hello, my BTC withdrawal (order 8812734) has been pending since 07:00 UTC. 请帮我看一下，谢谢。',
      '',
      'Alice',
      '',
    ].join('\r\n'),
  );
}

/**
 * The child: imports the bundle, then runs `mode` and prints one JSON line.
 * - `cold`: call the handler with each event once; times from process start (performance.now()).
 * - `memory`: handle the warm-up events, collect garbage, note RSS, handle the one event; peak RSS from the
 *   kernel's maxrss.
 * - `cpu`: handle the warm-up events, then the measured ones; CPU time of the measured ones only.
 * - `parse-only`: mailparser's simpleParser over each raw file (no handler), CPU time as for `cpu`.
 */
const CHILD_SCRIPT = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const [mode, target, inputFile] = process.argv.slice(1);
const input = JSON.parse(readFileSync(inputFile, 'utf8'));
const context = () => ({ functionName: 'bench', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
  memoryLimitInMB: '1024', awsRequestId: Math.random().toString(16).slice(2), logGroupName: 'bench', logStreamName: 'bench',
  getRemainingTimeInMillis: () => 60000, callbackWaitsForEmptyEventLoop: true, done() {}, fail() {}, succeed() {} });
const cpuMs = (since) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };
const out = {};
if (mode === 'parse-only') {
  const { simpleParser } = createRequire(target)('mailparser');
  for (const file of input.warmup) await simpleParser(readFileSync(file));
  const raws = input.files.map((file) => readFileSync(file));
  const started = process.cpuUsage();
  for (const raw of raws) await simpleParser(raw);
  out.cpuMs = cpuMs(started);
  out.messages = raws.length;
} else {
  const importStarted = performance.now();
  const cpuBefore = process.cpuUsage();
  const mod = await import(target);
  out.importMs = performance.now() - importStarted;
  if (mode === 'cold') {
    out.results = [];
    for (const event of input.events) out.results.push(await mod.handler(event, context()));
    out.totalMs = performance.now();
    out.handleMs = out.totalMs - importStarted - out.importMs;
    out.cpuMs = cpuMs();
    out.importCpuMs = cpuMs(cpuBefore);
    // Deferred modules (lib/bundling/lazy) the request made the handler load: an ordinary one should need none.
    out.deferredLoaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('/deferred/'));
  } else if (mode === 'memory') {
    for (const event of input.warmup ?? []) await mod.handler(event, context());
    globalThis.gc?.();
    const before = process.memoryUsage();
    let peakHeap = 0, peakExternal = 0;
    const sample = setInterval(() => { const m = process.memoryUsage(); peakHeap = Math.max(peakHeap, m.heapUsed); peakExternal = Math.max(peakExternal, m.external); }, 5);
    const maxRssBeforeKiB = process.resourceUsage().maxRSS;
    out.results = [await mod.handler(input.events[0], context())];
    clearInterval(sample);
    out.baselineRss = before.rss;
    out.maxRssBefore = maxRssBeforeKiB * 1024;
    out.peakRss = process.resourceUsage().maxRSS * 1024;
    out.baselineHeap = before.heapUsed;
    out.baselineExternal = before.external;
    out.peakHeap = peakHeap;
    out.peakExternal = peakExternal;
  } else if (mode === 'cpu') {
    for (const event of input.warmup) await mod.handler(event, context());
    const started = process.cpuUsage();
    const wall = performance.now();
    out.results = [];
    for (const event of input.events) out.results.push(await mod.handler(event, context()));
    out.cpuMs = cpuMs(started);
    out.wallMs = performance.now() - wall;
    out.messages = input.events.length;
  }
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
`;

export interface ChildOptions {
  mode: 'cold' | 'memory' | 'cpu' | 'parse-only';
  /** A bundle file, or for `parse-only` a path inside the project to resolve mailparser from. */
  target: string;
  input: unknown;
  workDir: string;
  env: Record<string, string>;
  /** NODE_OPTIONS for the child (as deployed: `deployedNodeOptions()`). */
  nodeOptions: string;
  /** Extra node flags, e.g. `--expose-gc`, `--cpu-prof`. */
  nodeFlags?: string[];
}

/**
 * Spawns `node <args>` with a clean environment (PATH, HOME, NODE_NO_WARNINGS, then `env`: no loaders
 * inherited from tsx) and resolves with the JSON it printed and the time from spawn to exit.
 * NODE_NO_WARNINGS hides the SDK's "Node 20 is ageing" notice, which the Lambda runtime would not print.
 */
export function runJsonChild<T>(args: string[], options: { cwd: string; env: Record<string, string>; label: string }): Promise<{ result: T; processMs: number }> {
  return new Promise((resolveResult, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_NO_WARNINGS: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const processMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`${options.label} exited ${code}: ${stderr.trim().slice(0, 800)}`));
      try {
        resolveResult({ result: JSON.parse(stdout) as T, processMs });
      } catch {
        reject(new Error(`${options.label} printed no result: ${stdout.slice(0, 300)} ${stderr.slice(0, 500)}`));
      }
    });
  });
}

/** Runs one fresh child and returns what it printed, parsed. */
export async function runChild<T>(options: ChildOptions): Promise<T> {
  const inputFile = join(options.workDir, `input-${randomBytes(6).toString('hex')}.json`);
  writeFileSync(inputFile, JSON.stringify(options.input));
  const target = options.mode === 'parse-only' ? options.target : pathToFileURL(options.target).href;
  const { result } = await runJsonChild<T>([...(options.nodeFlags ?? []), '--input-type=module', '-e', CHILD_SCRIPT, options.mode, target, inputFile], {
    cwd: options.workDir,
    env: { ...(options.nodeOptions ? { NODE_OPTIONS: options.nodeOptions } : {}), ...options.env },
    label: `bench child (${options.mode})`,
  });
  return result;
}

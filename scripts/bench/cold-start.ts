/**
 * Cold start of `inbound` and `api` against their floors (`coldStart.inbound.toFloor`, `coldStart.api.toFloor`).
 *
 * A cold start is a fresh `node` process, started as deployed (the bundle built with the deployed esbuild
 * options, NODE_OPTIONS as deployed), that imports the bundle and handles one request against the local
 * stand-ins: for `inbound` one ordinary message (plain text, UTF-8, no attachment, a new sender, so a new
 * ticket and its acknowledgement); for `api` one `GET /tickets/{id}`. Its time is from process start to the
 * handler's answer (performance.now() in the child), so Node's own start-up counts on both sides.
 *
 * The floor of each is a bundle, built and started the same way, that only builds the same SDK clients (with
 * the project's own factories) and makes the same AWS requests: the requests are recorded from the real
 * handler first (every SDK `send`, in order, with its input) and replayed. Replayed conditional writes fail
 * their condition (the item exists by then), which costs the same request and an error to parse.
 *
 *   npx tsx scripts/bench/cold-start.ts [--runs 10] [--source-maps deployed|on|off] [--no-aliases]
 *
 * --source-maps and --no-aliases compare with other bundling choices (--no-aliases: no deferred modules).
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { InboundResult } from '../../functions/inbound/receive-message';
import { DEPLOYED_BUNDLING } from '../../lib/concierge-function';
import { API_ENTRY, buildDeployedBundle, deployedNodeOptions, INBOUND_ENTRY, ordinaryMessage, PROJECT_ROOT, runChild, startStandIns, type DeployedBundle } from './lambda-child';
import { median } from './stats';

/** One SDK call as the handler made it. */
export interface RecordedRequest {
  client: string;
  command: string;
  /** JSON with bytes as {"$bytes": base64} and sets as {"$set": [...]}. */
  input: string;
}

const CLIENT_PACKAGES: Record<string, string> = {
  DynamoDBDocumentClient: '@aws-sdk/lib-dynamodb',
  DynamoDBClient: '@aws-sdk/client-dynamodb',
  S3Client: '@aws-sdk/client-s3',
  SESClient: '@aws-sdk/client-ses',
};

function encodeInput(input: unknown): string {
  return JSON.stringify(input, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
    if (value instanceof Set) return { $set: [...(value as Set<unknown>)] };
    return value;
  });
}

type SendFunction = (this: { constructor: { name: string } }, command: { constructor: { name: string }; input: unknown }, ...rest: unknown[]) => unknown;

/** Records every SDK `send` in this process until the returned function is called. */
export function recordSdkRequests(into: RecordedRequest[]): () => void {
  const require = createRequire(join(PROJECT_ROOT, 'package.json'));
  const { Client } = require('@smithy/core/client') as { Client: { prototype: { send: SendFunction } } };
  const original = Client.prototype.send;
  Client.prototype.send = function (command, ...rest) {
    into.push({ client: this.constructor.name, command: command.constructor.name, input: encodeInput(command.input) });
    return original.call(this, command, ...rest);
  };
  return () => {
    Client.prototype.send = original;
  };
}

/** Source of a floor handler: the same client factories, then the recorded requests in order. */
export function floorSource(requests: readonly RecordedRequest[]): string {
  const clients = [...new Set(requests.map((r) => r.client))];
  const imports = new Map<string, Set<string>>();
  for (const { client, command } of requests) {
    const pkg = CLIENT_PACKAGES[client];
    if (!pkg) throw new Error(`no package known for SDK client ${client}`);
    imports.set(pkg, (imports.get(pkg) ?? new Set()).add(command));
  }
  const factory: Record<string, string> = {
    DynamoDBDocumentClient: 'createDocumentClient()',
    S3Client: "createS3Client(process.env.S3_FORCE_PATH_STYLE === 'true')",
    SESClient: 'createSesClient()',
  };
  const clientsDir = join(PROJECT_ROOT, 'functions/commons/clients');
  return [
    `import { createDocumentClient } from ${JSON.stringify(join(clientsDir, 'dynamodb.ts'))};`,
    `import { createS3Client } from ${JSON.stringify(join(clientsDir, 's3.ts'))};`,
    `import { createSesClient } from ${JSON.stringify(join(clientsDir, 'ses.ts'))};`,
    ...[...imports.entries()].map(([pkg, commands]) => `import { ${[...commands].join(', ')} } from ${JSON.stringify(pkg)};`),
    `const commands = { ${[...new Set(requests.map((r) => r.command))].join(', ')} };`,
    `const clients = { ${clients.map((client) => `${client}: ${factory[client] ?? 'undefined'}`).join(', ')} };`,
    `const requests = ${JSON.stringify(requests)};`,
    "const revive = (_key, value) => value && typeof value === 'object' && '$bytes' in value ? Buffer.from(value.$bytes, 'base64') : value && typeof value === 'object' && '$set' in value ? new Set(value.$set) : value;",
    'export const handler = async () => {',
    '  let failed = 0;',
    '  for (const request of requests) {',
    '    try {',
    '      const output = await clients[request.client].send(new commands[request.command](JSON.parse(request.input, revive)));',
    "      if (output?.Body?.transformToByteArray) await output.Body.transformToByteArray();",
    '    } catch { failed += 1; }',
    '  }',
    '  return { requests: requests.length, failed };',
    '};',
    '',
  ].join('\n');
}

interface ColdChild {
  deferredLoaded: string[];
  totalMs: number;
  importMs: number;
  handleMs: number;
  cpuMs: number;
  results: unknown[];
}

export interface ColdStartSide {
  runs: number;
  /** Deferred modules the handled request loaded (file names), over all runs. */
  deferredLoaded: string[];
  bundleBytes: number;
  /** Process start to the handler's answer. */
  totalMedianMs: number;
  importMedianMs: number;
  handleMedianMs: number;
  cpuMedianMs: number;
}

export interface ColdStartFigures {
  sourceMaps: boolean;
  aliases: boolean;
  nodeOptions: string;
  inbound: { handler: ColdStartSide; floor: ColdStartSide; toFloor: number; cpuToFloor: number; requests: string[] };
  api: { handler: ColdStartSide; floor: ColdStartSide; toFloor: number; cpuToFloor: number; requests: string[] };
}

function side(bundle: DeployedBundle, samples: ColdChild[]): ColdStartSide {
  return {
    runs: samples.length,
    deferredLoaded: [...new Set(samples.flatMap((s) => s.deferredLoaded.map((path) => path.slice(path.lastIndexOf('/') + 1))))],
    bundleBytes: bundle.bytes,
    totalMedianMs: median(samples.map((s) => s.totalMs)),
    importMedianMs: median(samples.map((s) => s.importMs)),
    handleMedianMs: median(samples.map((s) => s.handleMs)),
    cpuMedianMs: median(samples.map((s) => s.cpuMs)),
  };
}

export async function measureColdStart(
  options: { runs?: number; sourceMaps?: boolean; aliases?: boolean; progress?: (line: string) => void } = {},
): Promise<ColdStartFigures> {
  const runs = options.runs ?? 10;
  const sourceMaps = options.sourceMaps ?? DEPLOYED_BUNDLING.sourceMap;
  const nodeOptions = deployedNodeOptions(sourceMaps);
  const progress = options.progress ?? (() => undefined);
  const workDir = mkdtempSync(join(tmpdir(), 'concierge-cold-'));
  progress(`cold start: bundling inbound and api as deployed (source maps ${sourceMaps ? 'on' : 'off'}, NODE_OPTIONS="${nodeOptions}")`);
  const aliases = options.aliases ?? true;
  const inbound = await buildDeployedBundle(INBOUND_ENTRY, join(workDir, 'inbound'), { sourceMap: sourceMaps, aliases });
  const api = await buildDeployedBundle(API_ENTRY, join(workDir, 'api'), { sourceMap: sourceMaps, aliases });
  progress('cold start: starting the stand-ins');
  const standIns = await startStandIns();
  try {
    progress('cold start: recording the AWS requests of one ordinary message and one GET /tickets/{id}');
    const inboundRequests: RecordedRequest[] = [];
    const recordSender = `cold-record-${Date.now()}@customer.example`;
    const recordEvent = await standIns.sesEvent(ordinaryMessage(recordSender), recordSender);
    let stop = recordSdkRequests(inboundRequests);
    const invoked = (await standIns.stack.invokeInbound(recordEvent as Parameters<typeof standIns.stack.invokeInbound>[0])) as { results: InboundResult[] } | undefined;
    stop();
    const recorded = invoked?.results[0];
    if (recorded?.outcome !== 'ticket-created') throw new Error(`the recorded ordinary message gave ${recorded?.outcome ?? 'no result'}, not a new ticket`);
    const apiRequests: RecordedRequest[] = [];
    stop = recordSdkRequests(apiRequests);
    const shown = await standIns.stack.api<{ id?: string }>(`/tickets/${recorded.ticketId}`);
    stop();
    if (shown.status !== 200) throw new Error(`GET /tickets/${recorded.ticketId} answered ${shown.status}`);

    const floorEntry = (name: string, requests: RecordedRequest[]) => {
      const file = join(workDir, `${name}-floor.ts`);
      writeFileSync(file, floorSource(requests));
      return file;
    };
    const inboundFloor = await buildDeployedBundle(floorEntry('inbound', inboundRequests), join(workDir, 'inbound-floor'), { sourceMap: sourceMaps, nodePaths: [join(PROJECT_ROOT, 'node_modules')] });
    const apiFloor = await buildDeployedBundle(floorEntry('api', apiRequests), join(workDir, 'api-floor'), { sourceMap: sourceMaps, nodePaths: [join(PROJECT_ROOT, 'node_modules')] });

    const apiEvent = {
      httpMethod: 'GET',
      path: `/tickets/${recorded.ticketId}`,
      resource: '/tickets/{id}',
      pathParameters: { id: recorded.ticketId },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      headers: {},
      multiValueHeaders: {},
      body: null,
      isBase64Encoded: false,
      stageVariables: null,
      requestContext: {},
    };
    let sender = 0;
    const inboundEvent = async () => {
      sender += 1;
      const address = `cold-${Date.now()}-${sender}@customer.example`;
      return standIns.sesEvent(ordinaryMessage(address), address);
    };
    const cold = async (bundle: DeployedBundle, event: unknown) =>
      runChild<ColdChild>({ mode: 'cold', target: bundle.file, input: { events: [event] }, workDir, env: standIns.handlerEnv, nodeOptions });

    const samples = { inbound: [] as ColdChild[], inboundFloor: [] as ColdChild[], api: [] as ColdChild[], apiFloor: [] as ColdChild[] };
    // One unrecorded run each puts the files in the page cache.
    await cold(inbound, await inboundEvent());
    await cold(inboundFloor, {});
    await cold(api, apiEvent);
    await cold(apiFloor, {});
    for (let run = 0; run < runs; run += 1) {
      // Alternated, and the order swapped every run, so both sides of each pair see the same machine noise.
      const pairs: Array<() => Promise<void>> = [
        async () => void samples.inbound.push(await cold(inbound, await inboundEvent())),
        async () => void samples.inboundFloor.push(await cold(inboundFloor, {})),
        async () => void samples.api.push(await cold(api, apiEvent)),
        async () => void samples.apiFloor.push(await cold(apiFloor, {})),
      ];
      const order = run % 2 === 0 ? [0, 1, 2, 3] : [1, 0, 3, 2];
      for (const index of order) await pairs[index]!();
      progress(`cold start: ${run + 1}/${runs}`);
    }
    const unhandled = samples.inbound.map((s) => JSON.stringify(s.results[0])).find((r) => !r.includes('ticket-created'));
    if (unhandled) throw new Error(`a cold-start message did not open a ticket: ${unhandled.slice(0, 300)}`);
    const figures = (handler: DeployedBundle, handlerSamples: ColdChild[], floor: DeployedBundle, floorSamples: ColdChild[], requests: RecordedRequest[]) => {
      const h = side(handler, handlerSamples);
      const f = side(floor, floorSamples);
      return { handler: h, floor: f, toFloor: h.totalMedianMs / f.totalMedianMs, cpuToFloor: h.cpuMedianMs / f.cpuMedianMs, requests: requests.map((r) => r.command) };
    };
    return {
      sourceMaps,
      aliases,
      nodeOptions,
      inbound: figures(inbound, samples.inbound, inboundFloor, samples.inboundFloor, inboundRequests),
      api: figures(api, samples.api, apiFloor, samples.apiFloor, apiRequests),
    };
  } finally {
    await standIns.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export function formatColdStart(figures: ColdStartFigures): string {
  const lines = [
    `cold start (source maps ${figures.sourceMaps ? 'on' : 'off'}, deferred modules ${figures.aliases ? 'on' : 'off'}, NODE_OPTIONS="${figures.nodeOptions}"), medians of ${figures.inbound.handler.runs} fresh processes each:`,
  ];
  const row = (label: string, s: ColdStartSide) =>
    `  ${label.padEnd(14)} ${String(Math.round(s.bundleBytes / 1024)).padStart(5)} KiB  total ${s.totalMedianMs.toFixed(0).padStart(4)} ms  (import ${s.importMedianMs.toFixed(0)} ms, handle ${s.handleMedianMs.toFixed(0)} ms)  CPU ${s.cpuMedianMs.toFixed(0)} ms`;
  for (const name of ['inbound', 'api'] as const) {
    const f = figures[name];
    lines.push(row(name, f.handler), row(`${name} floor`, f.floor));
    lines.push(`  coldStart.${name}.toFloor ×${f.toFloor.toFixed(2)} (CPU ×${f.cpuToFloor.toFixed(2)}); requests: ${f.requests.join(', ')}`);
    lines.push(`  deferred modules the ${name} request loaded: ${f.handler.deferredLoaded.join(', ') || 'none'}`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, 'source-maps': { type: 'string' }, 'no-aliases': { type: 'boolean' } }, strict: true });
  const maps = values['source-maps'] ?? 'deployed';
  if (!['deployed', 'on', 'off'].includes(maps)) throw new Error('--source-maps must be deployed, on or off');
  measureColdStart({
    ...(values.runs ? { runs: Number(values.runs) } : {}),
    ...(maps === 'deployed' ? {} : { sourceMaps: maps === 'on' }),
    ...(values['no-aliases'] ? { aliases: false } : {}),
    progress: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (figures) => {
      process.stdout.write(`${formatColdStart(figures)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`cold-start bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

/**
 * Bundle size and cold import time of the `inbound` Lambda, next to a hello-world handler bundled the same way.
 *
 * Bundles are built with the options the stack deploys (`DEPLOYED_BUNDLING` in lib/concierge-function.ts,
 * via lambda-child's buildDeployedBundle): ESM `index.mjs`, minified, SDK bundled, rarely used modules in
 * `deferred/` beside it. For a cold start that also handles a message against its floor, see cold-start.ts.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { buildDeployedBundle, deployedNodeOptions, runJsonChild } from './lambda-child';
import { median, percentile } from './stats';

export interface BuiltBundle {
  label: string;
  file: string;
  bytes: number;
  /** Bytes in the output per npm package (or `(project)` for our own code), largest first. */
  byPackage: Array<{ name: string; bytes: number }>;
  /** The deferred modules built beside the bundle (`deferred/<name>.cjs`), loaded on first use. */
  deferred: Array<{ name: string; bytes: number }>;
  deferredBytes: number;
}

function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at === -1) return '(project code)';
  const rest = input.slice(at + 'node_modules/'.length).split('/');
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? input);
}

function sizesByPackage(metafile: Metafile, outfile: string): Array<{ name: string; bytes: number }> {
  const output = Object.entries(metafile.outputs).find(([path]) => resolve(path) === resolve(outfile))?.[1];
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const name = packageOf(input);
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  return [...totals.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/**
 * `entry` bundled exactly as it deploys (lambda-child's buildDeployedBundle: deployed options, deferred modules
 * beside it); `deferredModules: false` leaves them out, for a bundle that never loads them.
 */
export async function bundle(label: string, entry: string, outDir: string, options: { deferredModules?: boolean } = {}): Promise<BuiltBundle> {
  const built = await buildDeployedBundle(entry, outDir, options.deferredModules === false ? { aliases: false } : {});
  const deferredDir = join(outDir, 'deferred');
  const deferred = existsSync(deferredDir)
    ? readdirSync(deferredDir, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.cjs'))
        .map((file) => ({ name: file.replace(/\.cjs$/, ''), bytes: statSync(join(deferredDir, file)).size }))
    : [];
  return {
    label,
    file: built.file,
    bytes: built.bytes,
    byPackage: sizesByPackage(built.metafile, built.file),
    deferred,
    deferredBytes: deferred.reduce((sum, d) => sum + d.bytes, 0),
  };
}

/** A hello-world Lambda handler, written into `dir`; returns its path. */
export function writeHelloWorld(dir: string): string {
  const entry = join(dir, 'hello.ts');
  writeFileSync(entry, "export const handler = async (): Promise<{ statusCode: number; body: string }> => ({ statusCode: 200, body: 'hello' });\n");
  return entry;
}

/** What `functions/commons/config.ts` requires at import; dummy values, nothing is called. */
export const DUMMY_HANDLER_ENV: Readonly<Record<string, string>> = {
  TABLE_NAME: 'concierge-bench',
  RAW_MAIL_BUCKET: 'concierge-bench-raw-mail',
  SUPPORT_ADDRESS: 'support@concierge.test',
  REPLY_TOKEN_SECRET: 'bench-reply-token-secret-0123456789abcdef',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

const CHILD_SCRIPT = `
const target = process.argv[1];
const started = performance.now();
const mod = await import(target);
const importMs = performance.now() - started;
if (typeof mod.handler !== 'function') throw new Error('no handler export in ' + target);
process.stdout.write(JSON.stringify({ importMs }));
`;

export interface ColdSample {
  importMs: number;
  /** spawn to exit, as seen by the parent: node start-up + import + exit. */
  processMs: number;
}

/** One fresh `node` process that imports the bundle once, with NODE_OPTIONS as deployed. */
export async function coldImport(file: string, cwd: string): Promise<ColdSample> {
  const { result, processMs } = await runJsonChild<{ importMs: number }>(['--input-type=module', '-e', CHILD_SCRIPT, pathToFileURL(file).href], {
    cwd,
    env: { NODE_OPTIONS: deployedNodeOptions(), ...DUMMY_HANDLER_ENV },
    label: `cold import of ${file}`,
  });
  return { importMs: result.importMs, processMs };
}

export interface ColdSummary {
  runs: number;
  importMedian: number;
  importP90: number;
  processMedian: number;
}

function summarize(samples: ColdSample[]): ColdSummary {
  const imports = samples.map((s) => s.importMs);
  return { runs: samples.length, importMedian: median(imports), importP90: percentile(imports, 90), processMedian: median(samples.map((s) => s.processMs)) };
}

/**
 * `runs` fresh processes per bundle, alternating the two (and which goes first in each pair) so both see the
 * same machine noise. One unrecorded warm-up run each first puts both files in the page cache.
 */
export async function compareColdImports(
  a: BuiltBundle,
  b: BuiltBundle,
  runs: number,
  cwd: string,
  onProgress: (done: number) => void,
): Promise<{ a: ColdSummary; b: ColdSummary }> {
  await coldImport(a.file, cwd);
  await coldImport(b.file, cwd);
  const samplesA: ColdSample[] = [];
  const samplesB: ColdSample[] = [];
  for (let run = 0; run < runs; run += 1) {
    if (run % 2 === 0) {
      samplesA.push(await coldImport(a.file, cwd));
      samplesB.push(await coldImport(b.file, cwd));
    } else {
      samplesB.push(await coldImport(b.file, cwd));
      samplesA.push(await coldImport(a.file, cwd));
    }
    onProgress(run + 1);
  }
  return { a: summarize(samplesA), b: summarize(samplesB) };
}

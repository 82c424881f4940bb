/**
 * Importing a generated roster into the local stack the way an operator does: `npx concierge customers import
 * <file.csv>` in a process of its own, against the local API, timed from spawn to exit. The whole file is
 * checked first (dry-run parts), then written; a second run of the same file must change nothing.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestStack } from '../../tests/helpers/local-stack';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const CLI = join(PROJECT_ROOT, 'scripts', 'concierge.mjs');

export const ROSTER_MANAGERS = 20;
/** Share of the generated lines that are VIP clients with a dedicated manager; the rest are standard. */
export const ROSTER_VIP_SHARE = 0.7;
/** Lines of the untimed warm-up import (other addresses): DynamoDB Local's JVM compiles its hot paths first. */
export const WARM_UP_LINES = 500;

export interface ImportRun {
  elapsedMs: number;
  linesPerSecond: number;
  /** The CLI's summary line. */
  summary: string;
}

export interface RosterImportResult {
  lines: number;
  managers: number;
  vipLines: number;
  first: ImportRun;
  again: ImportRun;
}

/** A roster as a spreadsheet exports it: BOM, CRLF, every column, some cells empty. */
export function generateRoster(lines: number, managerEmails: readonly string[], prefix = 'client'): { csv: Buffer; vipLines: number } {
  const rows = ['email,tier,manager,language,antiPhishingCode'];
  let vipLines = 0;
  for (let index = 0; index < lines; index += 1) {
    const vip = index % 10 < ROSTER_VIP_SHARE * 10;
    if (vip) vipLines += 1;
    const manager = vip ? managerEmails[index % managerEmails.length] : '';
    const language = index % 3 === 0 ? 'zh' : index % 3 === 1 ? 'en' : '';
    const code = index % 4 === 0 ? '' : `Code_${index.toString(36)}`;
    rows.push(`${prefix}${index}@roster.example,${vip ? 'vip' : 'standard'},${manager},${language},${code}`);
  }
  return { csv: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${rows.join('\r\n')}\r\n`)]), vipLines };
}

async function timedImport(apiUrl: string, file: string): Promise<{ elapsedMs: number; stdout: string; stderr: string; code: number | null }> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'customers', 'import', file, '--api', apiUrl], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { elapsedMs: performance.now() - started, stdout, stderr, code };
}

export async function benchRosterImport(stack: TestStack, options: { lines: number; workDir: string; progress: (line: string) => void }): Promise<RosterImportResult> {
  const managerEmails: string[] = [];
  for (let index = 0; index < ROSTER_MANAGERS; index += 1) {
    const email = `manager${index}@roster-desk.example`;
    const response = await fetch(`${stack.apiUrl}/staff`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Capacity set, so every book change is checked against it as in production.
      body: JSON.stringify({ name: `Manager ${index}`, email, role: 'manager', capacity: Math.ceil((options.lines + WARM_UP_LINES) / ROSTER_MANAGERS) + 10 }),
    });
    if (response.status !== 201) throw new Error(`creating ${email} answered ${response.status}: ${await response.text()}`);
    managerEmails.push(email);
  }
  const { csv, vipLines } = generateRoster(options.lines, managerEmails);
  const file = join(options.workDir, 'roster.csv');
  writeFileSync(file, csv);
  const warmUpFile = join(options.workDir, 'warm-up.csv');
  writeFileSync(warmUpFile, generateRoster(WARM_UP_LINES, managerEmails, 'warm-up').csv);
  options.progress(`roster import: warm-up, ${WARM_UP_LINES} lines`);
  const warmUp = await timedImport(stack.apiUrl, warmUpFile);
  if (warmUp.code !== 0) throw new Error(`roster import warm-up exited ${warmUp.code}: ${warmUp.stderr.slice(0, 2000)}`);

  const run = async (label: string, expected: RegExp): Promise<ImportRun> => {
    options.progress(`roster import: ${label}, ${options.lines} lines`);
    const result = await timedImport(stack.apiUrl, file);
    const summary = result.stdout.trim().split('\n').at(-1) ?? '';
    if (result.code !== 0 || !expected.test(summary)) {
      throw new Error(`roster import (${label}) exited ${result.code}: ${summary}\n${result.stderr.slice(0, 2000)}`);
    }
    return { elapsedMs: result.elapsedMs, linesPerSecond: options.lines / (result.elapsedMs / 1000), summary: summary.replace(file, 'roster.csv') };
  };
  const first = await run('first run', new RegExp(`${options.lines} created, 0 updated, 0 unchanged`));
  const again = await run('same file again', new RegExp(`0 created, 0 updated, ${options.lines} unchanged`));
  return { lines: options.lines, managers: ROSTER_MANAGERS, vipLines, first, again };
}

/**
 * Runs one bench phase in a `tsx` process of its own and returns what it measured.
 *
 * Why: the local stack imports the `inbound` and `api` handlers into the process that starts it, and each
 * handler builds its SDK clients once, at import, for the endpoints of the first stack started there. A second
 * stack in the same process (the cold-start phase's stand-ins, then the throughput phase's stack) would find the
 * handlers still talking to stand-ins that have stopped. One process per phase gives each its own stack and
 * handlers.
 *
 * The phase is an export of a module, called as `phase(argument, progress)`; its result must survive JSON.
 * The child's progress and output go to this process's stderr, so the report on stdout stays clean.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { progress } from './stats';

const THIS_FILE = fileURLToPath(import.meta.url);
const TSX = resolve(THIS_FILE, '../../../node_modules/.bin/tsx');

type Outcome = { ok: true; result: unknown } | { ok: false; error: string };

const running = new Set<ChildProcess>();

/** Ends the phases still running (on SIGINT or SIGTERM of the bench). */
export function stopOwnProcesses(): void {
  for (const child of running) child.kill('SIGTERM');
}

export function runInOwnProcess<T>(modulePath: string, exportName: string, argument: unknown = {}): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'concierge-phase-'));
  const request = join(dir, 'request.json');
  const outcomeFile = join(dir, 'outcome.json');
  writeFileSync(request, JSON.stringify({ module: pathToFileURL(resolve(modulePath)).href, exportName, argument, outcomeFile }));
  return new Promise<T>((resolveResult, reject) => {
    const child = spawn(TSX, [THIS_FILE, request], { stdio: ['ignore', 2, 2], env: process.env });
    running.add(child);
    child.on('error', (error) => {
      running.delete(child);
      rmSync(dir, { recursive: true, force: true });
      reject(error);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      let outcome: Outcome | undefined;
      try {
        outcome = JSON.parse(readFileSync(outcomeFile, 'utf8')) as Outcome;
      } catch {
        outcome = undefined;
      }
      rmSync(dir, { recursive: true, force: true });
      if (outcome?.ok) resolveResult(outcome.result as T);
      else reject(new Error(`${exportName} in its own process: ${outcome ? outcome.error : `exited ${code ?? signal} with no result`}`));
    });
  });
}

async function childMain(requestFile: string): Promise<void> {
  const request = JSON.parse(readFileSync(requestFile, 'utf8')) as { module: string; exportName: string; argument: unknown; outcomeFile: string };
  let outcome: Outcome;
  try {
    const phase = ((await import(request.module)) as Record<string, unknown>)[request.exportName];
    if (typeof phase !== 'function') throw new Error(`${request.module} exports no function ${request.exportName}`);
    outcome = { ok: true, result: await (phase as (argument: unknown, report: (line: string) => void) => Promise<unknown>)(request.argument, progress) };
  } catch (error) {
    outcome = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  writeFileSync(request.outcomeFile, JSON.stringify(outcome));
  // Stand-ins a phase forgot to stop must not keep the bench waiting.
  process.exit(outcome.ok ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === THIS_FILE) {
  void childMain(process.argv[2] ?? '');
}

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from './corpus';

export const CLI = join(PROJECT_ROOT, 'scripts', 'concierge.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npx concierge` against the API at `apiUrl` without blocking: the local stack a test starts serves the
 * API from the test's own process.
 */
export async function runCli(apiUrl: string, args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, env: { ...process.env, CONCIERGE_API_URL: apiUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));
  return { code, stdout, stderr };
}

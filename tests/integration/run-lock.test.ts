/**
 * A start finds what a killed run left in its data directory and ends it, but only processes that really
 * are that run's: a recorded pid now used by something else is left alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commandLineOf } from '../../scripts/local/processes';
import { claimDataDir, DataDirInUseError, RUN_FILE } from '../../scripts/local/run-lock';

const children: ChildProcess[] = [];
const dirs: string[] = [];

/** A long-running process to stand for a leftover Java (or a stranger that reused its pid). */
async function longRunning(tag: string): Promise<{ pid: number; command: string; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', tag], { stdio: 'ignore' });
  children.push(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve) => child.once('spawn', resolve));
  for (;;) {
    const command = commandLineOf(child.pid!);
    if (command?.includes(tag)) return { pid: child.pid!, command, exited };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function dataDirWith(record: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'concierge-lock-'));
  dirs.push(dir);
  writeFileSync(join(dir, RUN_FILE), JSON.stringify(record));
  return dir;
}

/** A pid that no process has: a child that has already exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('claimDataDir', () => {
  it('ends the DynamoDB Local that a killed stack left running', async () => {
    // Prepare
    const leftover = await longRunning('leftover-java');
    const dir = dataDirWith({ stack: { pid: await deadPid(), command: 'node scripts/local-stack.ts' }, java: leftover });
    const lines: string[] = [];

    // Act
    const lock = await claimDataDir(dir, (line) => lines.push(line));

    // Assess
    await leftover.exited;
    expect(commandLineOf(leftover.pid)).toBeUndefined();
    expect(lines.join('\n')).toContain(`ended DynamoDB Local (pid ${leftover.pid})`);
    expect(JSON.parse(readFileSync(join(dir, RUN_FILE), 'utf8')).stack.pid).toBe(process.pid);
    lock.release();
  });

  it('leaves alone a recorded pid that now runs another command', async () => {
    // Prepare
    const stranger = await longRunning('stranger');
    const dir = dataDirWith({ stack: { pid: await deadPid(), command: 'node scripts/local-stack.ts' }, java: { pid: stranger.pid, command: 'java -jar DynamoDBLocal.jar' } });

    // Act
    const lock = await claimDataDir(dir, () => undefined);

    // Assess
    expect(commandLineOf(stranger.pid)).toBe(stranger.command);
    lock.release();
  });

  it('refuses a data directory that a running stack uses, and leaves its record', async () => {
    // Prepare
    const running = await longRunning('running-stack');
    const record = { stack: { pid: running.pid, command: running.command } };
    const dir = dataDirWith(record);

    // Act
    const claim = claimDataDir(dir, () => undefined);

    // Assess
    await expect(claim).rejects.toBeInstanceOf(DataDirInUseError);
    await expect(claim).rejects.toThrow(`pid ${running.pid}`);
    expect(JSON.parse(readFileSync(join(dir, RUN_FILE), 'utf8'))).toEqual(record);
  });

  it('release removes the record, so the next start finds nothing to end', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'concierge-lock-'));
    dirs.push(dir);
    const lock = await claimDataDir(dir, () => undefined);

    // Act
    lock.release();

    // Assess
    expect(() => readFileSync(join(dir, RUN_FILE))).toThrow(/ENOENT/);
  });
});

/**
 * `npm start` and `npx concierge` as a person uses them: the stack comes up, the CLI delivers a message and
 * reads the ticket back, bad input gets one clear line and a non-zero exit, a dead DynamoDB Local is
 * restarted, and every way of stopping (Ctrl-C, kill -TERM, SIGKILL then a new start) leaves nothing behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLineOf } from '../../scripts/local/processes';
import { freePort } from '../../scripts/local/stack';
import { PROJECT_ROOT } from '../helpers/corpus';

const CLI = join(PROJECT_ROOT, 'scripts', 'concierge.mjs');
const SLOW = 300_000;
let dataDir: string;
let smtpPort: number;
let apiPort: number;
let mailboxPort: number;

interface Run {
  npm: ChildProcess;
  output(): string;
  exited: Promise<void>;
}
const runs: Run[] = [];
let run: Run;

/** `npm start` in its own process group, as a terminal would run it in the foreground. */
function npmStart(): Run {
  const npm = spawn('npm', ['start'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATA_DIR: dataDir, SMTP_PORT: String(smtpPort), API_PORT: String(apiPort), MAILBOX_PORT: String(mailboxPort), LOCAL_DEMO: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  npm.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started: Run = { npm, output: () => output, exited: new Promise((resolve) => npm.once('exit', () => resolve())) };
  runs.push(started);
  return started;
}

/** Waits for `condition`; while `run` should be running, its early exit fails the wait with its output. */
async function until(what: string, condition: () => boolean | Promise<boolean>, whileRunning = true): Promise<void> {
  while (!(await condition())) {
    if (whileRunning && run.npm.exitCode !== null) throw new Error(`npm start exited while waiting for ${what}:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, CONCIERGE_API_URL: `http://127.0.0.1:${apiPort}`, SMTP_PORT: String(smtpPort), ...env },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every process below `pid`, with its command name. */
function descendantsOf(pid: number): Array<{ pid: number; command: string }> {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).stdout;
  const rows = ps
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([child, parent, command]) => ({ child: Number(child), parent: Number(parent), command: command ?? '' }));
  const found = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const row of rows) {
      if (found.has(row.parent) && !found.has(row.child)) {
        found.add(row.child);
        grew = true;
      }
    }
  }
  return rows.filter((row) => row.child !== pid && found.has(row.child)).map((row) => ({ pid: row.child, command: row.command }));
}

const javaOf = (pid: number) => descendantsOf(pid).filter((p) => p.command === 'java').map((p) => p.pid);
/** The stack's own Node process (below npm and its shell). */
const stackProcessOf = (pid: number) => descendantsOf(pid).find((p) => commandLineOf(p.pid)?.includes('scripts/local-stack.ts') && p.command !== 'sh')?.pid;
const running = (pid: number) => commandLineOf(pid) !== undefined;

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`http://127.0.0.1:${apiPort}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}
const ticketsOf = async (customer: string) => (await api<{ tickets: Array<{ ref: string }> }>(`/tickets?customer=${customer}`)).body.tickets;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'concierge-start-'));
  // A port found free can be taken by another test file before npm start binds it: try new ones then.
  for (let attempt = 1; ; attempt += 1) {
    smtpPort = await freePort();
    apiPort = await freePort();
    mailboxPort = await freePort();
    run = npmStart();
    try {
      await until('the demo', () => run.output().includes('Demo: alice@example.com wrote in'));
      return;
    } catch (error) {
      if (attempt >= 3 || !run.output().includes('EADDRINUSE')) throw error;
      await run.exited;
    }
  }
});

afterAll(() => {
  for (const each of runs) {
    if (each.npm.pid === undefined) continue;
    // Whatever a failed test left: the group, and DynamoDB Local if it was orphaned.
    for (const child of descendantsOf(each.npm.pid)) spawnSync('kill', ['-KILL', String(child.pid)]);
    spawnSync('kill', ['-KILL', '--', `-${each.npm.pid}`]);
  }
  // And a DynamoDB Local orphaned by a test that failed half-way.
  if (existsSync(join(dataDir, 'stack.pid'))) {
    const record = JSON.parse(readFileSync(join(dataDir, 'stack.pid'), 'utf8')) as { java?: { pid: number; command: string } };
    if (record.java && commandLineOf(record.java.pid) === record.java.command) process.kill(record.java.pid, 'SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints the real ports, how the CLI reaches them, and its demo opened a ticket', () => {
    const output = run.output();
    expect(output).toContain(`smtp://127.0.0.1:${smtpPort}`);
    expect(output).toContain(`http://127.0.0.1:${apiPort}`);
    expect(output).toContain(`http://127.0.0.1:${mailboxPort}/`);
    expect(output).toContain(`export CONCIERGE_API_URL=http://127.0.0.1:${apiPort} SMTP_PORT=${smtpPort}`);
    expect(output).toMatch(/Demo: alice@example\.com wrote in; ticket \[#[A-Z2-9]{6}\]/);
    expect(output).toMatch(/: opened ticket \[#[A-Z2-9]{6}\]/);
  });

  it('answers 400 to malformed percent-encoding and keeps running', async () => {
    // Act
    const malformed = await fetch(`http://127.0.0.1:${apiPort}/tickets/%ZZ`);
    const health = await api<{ status: string }>('/health');

    // Assess
    expect(malformed.status).toBe(400);
    expect(health.status).toBe(200);
    expect(run.npm.exitCode).toBeNull();
  });

  it('reports each stand-in on /health', async () => {
    // Act
    const { status, body } = await api<{ status: string; standIns: Record<string, { status: string }> }>('/health');

    // Assess
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(Object.fromEntries(Object.entries(body.standIns).map(([name, health]) => [name, health.status]))).toEqual({
      dynamodb: 'ok',
      s3: 'ok',
      ses: 'ok',
      smtp: 'ok',
    });
  });
});

describe('npx concierge', () => {
  it('sends a raw message and shows the ticket it opened', async () => {
    // Prepare
    const file = join(dataDir, 'hello.eml');
    writeFileSync(file, 'From: Bob <bob@cli.example>\r\nTo: support@concierge.test\r\nSubject: Card payment failed\r\nMessage-ID: <cli-1@cli.example>\r\n\r\nMy card payment failed twice.\r\n');

    // Act
    const sent = cli(['send', file]);
    await until('bob’s ticket', async () => (await ticketsOf('bob@cli.example')).length > 0);
    const listed = cli(['tickets', 'list', '--customer', 'bob@cli.example']);
    const ref = listed.stdout.split('\n').find((line) => line.includes('Card payment failed'))?.split(/\s+/)[0];
    const shown = cli(['tickets', 'show', ref ?? 'missing']);

    // Assess
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('Delivered');
    expect(listed.code).toBe(0);
    expect(ref).toBeDefined();
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('My card payment failed twice.');
    expect(shown.stdout).toContain('outbound');
  });

  it('follows the README: the follow-up joins the demo ticket, the demo message again is a duplicate', async () => {
    // Act
    const followUp = cli(['send', join(PROJECT_ROOT, 'tests', 'fixtures', 'demo', 'follow-up.eml')]);
    await until('the follow-up', () => run.output().includes(': joined ticket'));
    const again = cli(['send', join(PROJECT_ROOT, 'tests', 'fixtures', 'demo', 'first-message.eml')]);
    await until('the duplicate', () => run.output().includes(': duplicate of'));

    // Assess
    expect(followUp.code, followUp.stderr).toBe(0);
    expect(again.code, again.stderr).toBe(0);
    expect(await ticketsOf('alice@example.com')).toHaveLength(1);
  });

  it.each([
    [['tickets', 'show', 'not-a-ref!'], /expected a ticket id/],
    [['tickets', 'show', 'ZZZZZZ'], /404: no ticket ZZZZZZ/],
    [['tickets', 'list', '--customer', 'nobody'], /customer must be an email address/],
    [['tickets', 'list', '--limit', '0'], /whole number from 1 to 100/],
    [['send', '/no/such/file.eml'], /no such file/],
    [['bogus'], /unknown command/],
  ])('%j fails with one clear line and a non-zero exit', (args, message) => {
    // Act
    const result = cli(args);

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('says where the API is when it cannot reach it', () => {
    const result = cli(['tickets', 'list'], { CONCIERGE_API_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot reach the API at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('a dead DynamoDB Local', () => {
  it(
    'is restarted with the same data, and mail sent meanwhile still opens a ticket',
    async () => {
      // Prepare
      const [java] = javaOf(run.npm.pid!);
      expect(java).toBeDefined();
      const file = join(dataDir, 'meanwhile.eml');
      writeFileSync(file, 'From: Carol <carol@cli.example>\r\nTo: support@concierge.test\r\nSubject: Deposit missing\r\nMessage-ID: <cli-2@cli.example>\r\n\r\nMy deposit is missing.\r\n');

      // Act
      process.kill(java!, 'SIGKILL');
      const sent = cli(['send', file]);
      await until('the restart', () => run.output().includes('DynamoDB Local is back'));
      await until('carol’s ticket', async () => (await ticketsOf('carol@cli.example')).length > 0);

      // Assess
      expect(sent.code, sent.stderr).toBe(0);
      expect(run.output()).toContain(`DynamoDB Local (pid ${java}) died (SIGKILL); restarting it`);
      expect(javaOf(run.npm.pid!)).not.toContain(java);
      expect((await api('/health')).status).toBe(200);
      expect(await ticketsOf('bob@cli.example')).toHaveLength(1);
      expect(readdirSync(join(dataDir, 'dead-letters'))).toEqual([]);
    },
    SLOW,
  );
});

describe('stopping', () => {
  it(
    'SIGKILL on the stack leaves its Java, and the next start ends it without opening another demo ticket',
    async () => {
      // Prepare
      const stack = stackProcessOf(run.npm.pid!);
      const [java] = javaOf(run.npm.pid!);
      expect(stack).toBeDefined();
      expect(java).toBeDefined();

      // Act
      process.kill(stack!, 'SIGKILL');
      await run.exited;
      const orphaned = running(java!);
      run = npmStart();
      await until('the demo', () => run.output().includes('Demo: alice@example.com'));

      // Assess
      expect(orphaned).toBe(true);
      expect(run.output()).toContain(`ended DynamoDB Local (pid ${java}) left running by an earlier stack that was killed`);
      expect(running(java!)).toBe(false);
      expect(run.output()).toContain('(from an earlier start)');
      expect(await ticketsOf('alice@example.com')).toHaveLength(1);
    },
    SLOW,
  );

  it(
    'kill -TERM on npm start stops the stack and its Java',
    async () => {
      // Prepare
      const processes = descendantsOf(run.npm.pid!);
      expect(processes.filter((p) => p.command === 'java')).toHaveLength(1);

      // Act
      run.npm.kill('SIGTERM');
      await run.exited;
      await until('every process to exit', () => processes.every((p) => !running(p.pid)), false);

      // Assess
      expect(run.output()).toContain('Stopped.');
      expect(existsSync(join(dataDir, 'stack.pid'))).toBe(false);
    },
    SLOW,
  );

  it(
    'Ctrl-C stops everything, and a clean stop leaves nothing for the next start to end',
    async () => {
      // Prepare
      run = npmStart();
      await until('the demo', () => run.output().includes('Demo: alice@example.com'));
      const processes = descendantsOf(run.npm.pid!);
      expect(processes.filter((p) => p.command === 'java')).toHaveLength(1);

      // Act: the terminal sends SIGINT to the whole foreground process group.
      process.kill(-run.npm.pid!, 'SIGINT');
      await run.exited;
      await until('every process to exit', () => processes.every((p) => !running(p.pid)), false);

      // Assess
      expect(run.output()).toContain('Stopped.');
      expect(run.output()).not.toContain('ended DynamoDB Local');
      expect(run.output()).not.toContain('restarting it');
    },
    SLOW,
  );
});

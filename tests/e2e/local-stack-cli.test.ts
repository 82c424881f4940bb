/**
 * `npm start` and `npx concierge` as a person uses them: the stack comes up, the CLI delivers a message and
 * reads the ticket back, bad input gets one clear line and a non-zero exit, and Ctrl-C leaves no Java behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/local/stack';
import { PROJECT_ROOT } from '../helpers/corpus';

const CLI = join(PROJECT_ROOT, 'scripts', 'concierge.mjs');
let stackProcess: ChildProcess;
let output = '';
let dataDir: string;
let smtpPort: number;
let apiPort: number;
let mailboxPort: number;

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, CONCIERGE_API_URL: `http://127.0.0.1:${apiPort}`, SMTP_PORT: String(smtpPort), ...env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function javaChildrenOf(pid: number): number[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).stdout;
  const rows = ps
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([child, parent, command]) => ({ child: Number(child), parent: Number(parent), command: command ?? '' }));
  const descendants = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const row of rows) {
      if (descendants.has(row.parent) && !descendants.has(row.child)) {
        descendants.add(row.child);
        grew = true;
      }
    }
  }
  return rows.filter((row) => descendants.has(row.child) && row.command === 'java').map((row) => row.child);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'concierge-start-'));
  smtpPort = await freePort();
  apiPort = await freePort();
  mailboxPort = await freePort();
  stackProcess = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'scripts', 'local-stack.ts')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATA_DIR: dataDir, SMTP_PORT: String(smtpPort), API_PORT: String(apiPort), MAILBOX_PORT: String(mailboxPort), LOCAL_DEMO: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so cleanup can reach DynamoDB Local's Java even if this file fails early.
    detached: true,
  });
  stackProcess.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  stackProcess.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('Demo: alice@example.com wrote in')) {
    if (stackProcess.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

afterAll(() => {
  if (stackProcess?.pid && stackProcess.exitCode === null) {
    try {
      process.kill(-stackProcess.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints what runs where and how to send a first message, and its demo opened a ticket', () => {
    expect(output).toContain(`smtp://127.0.0.1:${smtpPort}`);
    expect(output).toContain(`http://127.0.0.1:${apiPort}`);
    expect(output).toContain(`http://127.0.0.1:${mailboxPort}/`);
    expect(output).toContain('npx concierge send');
    expect(output).toMatch(/Demo: alice@example\.com wrote in; ticket \[#[A-Z2-9]{6}\]/);
  });
});

describe('npx concierge', () => {
  it('sends a raw message and shows the ticket it opened', () => {
    // Prepare
    const file = join(dataDir, 'hello.eml');
    writeFileSync(file, 'From: Bob <bob@cli.example>\r\nTo: support@concierge.test\r\nSubject: Card payment failed\r\nMessage-ID: <cli-1@cli.example>\r\n\r\nMy card payment failed twice.\r\n');

    // Act
    const sent = cli(['send', file]);
    let listed = cli(['tickets', 'list', '--customer', 'bob@cli.example']);
    for (let i = 0; i < 50 && !listed.stdout.includes('Card payment failed'); i += 1) {
      spawnSync('sleep', ['0.2']);
      listed = cli(['tickets', 'list', '--customer', 'bob@cli.example']);
    }
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

describe('Ctrl-C', () => {
  it('stops everything, DynamoDB Local’s Java process included', async () => {
    // Prepare
    const pid = stackProcess.pid!;
    const javaBefore = javaChildrenOf(pid);
    expect(javaBefore.length).toBe(1);

    // Act
    stackProcess.kill('SIGINT');
    await new Promise<void>((resolve) => stackProcess.once('exit', () => resolve()));

    // Assess
    expect(stackProcess.exitCode).toBe(0);
    const stillThere = spawnSync('ps', ['-o', 'pid=', '-p', String(javaBefore[0])], { encoding: 'utf8' }).stdout.trim();
    expect(stillThere).toBe('');
    expect(output).toContain('Stopped.');
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

const HAS_PROC = existsSync('/proc/self/cmdline');

/** The command line of a running process, or undefined when there is none with that pid. */
export function commandLineOf(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (HAS_PROC) {
    try {
      const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      // A zombie has an empty command line: it is already gone for every purpose here.
      return raw.length > 0 ? raw.replace(/\0+$/, '').split('\0').join(' ') : undefined;
    } catch {
      return undefined;
    }
  }
  const ps = spawnSync('ps', ['-ww', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
  const line = ps.status === 0 ? ps.stdout.trim() : '';
  return line.length > 0 ? line : undefined;
}

/**
 * Ends a process with SIGTERM, then SIGKILL after `graceMs`, and resolves once it is gone. `expectedCommand`
 * guards against pid reuse: a pid whose command line differs is left alone (and reported as not ours).
 */
export async function terminate(pid: number, expectedCommand: string, graceMs = 5_000): Promise<'ended' | 'not-running' | 'not-ours'> {
  const command = commandLineOf(pid);
  if (command === undefined) return 'not-running';
  if (command !== expectedCommand) return 'not-ours';
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const killAt = Date.now() + graceMs;
  let killed = false;
  while (commandLineOf(pid) === expectedCommand) {
    if (!killed && Date.now() > killAt) {
      signal('SIGKILL');
      killed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return 'ended';
}

function listeningSocketInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const localPort = Number.parseInt(fields[1]?.split(':')[1] ?? '', 16);
      // State 0A is LISTEN.
      if (fields[3] === '0A' && localPort === port && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/**
 * Whether `pid` itself holds the listening socket on `port`: answering on a port proves only that
 * someone listens there. Undefined when this system offers no way to tell (no /proc and no lsof).
 */
export function holdsListeningPort(pid: number, port: number): boolean | undefined {
  if (HAS_PROC) {
    const inodes = listeningSocketInodes(port);
    if (inodes.size === 0) return false;
    let descriptors: string[];
    try {
      descriptors = readdirSync(`/proc/${pid}/fd`);
    } catch {
      return false;
    }
    return descriptors.some((fd) => {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        return target.startsWith('socket:[') && inodes.has(target.slice(8, -1));
      } catch {
        return false;
      }
    });
  }
  const lsof = spawnSync('lsof', ['-nP', '-a', '-p', String(pid), `-iTCP:${port}`, '-sTCP:LISTEN', '-t'], { encoding: 'utf8' });
  if (lsof.error) return undefined;
  return lsof.stdout.trim().split('\n').includes(String(pid));
}

/** A port that was free a moment ago. Another process may take it before it is used: callers must check. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

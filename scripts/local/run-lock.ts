import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLineOf, terminate } from './processes';

/** Who uses a data directory: the stack's process and its DynamoDB Local, each recognisable by command line. */
interface RunRecord {
  stack: { pid: number; command: string };
  java?: { pid: number; command: string };
}

export const RUN_FILE = 'stack.pid';

/** Another stack that is still running uses this data directory. */
export class DataDirInUseError extends Error {}

export interface RunLock {
  recordJava(pid: number, command: string): void;
  release(): void;
}

function readRecord(file: string): RunRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunRecord>;
    return record.stack && typeof record.stack.pid === 'number' ? (record as RunRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claims `dataDir` for this process. A stack that still runs there is refused with its pid; what a killed
 * run left behind (its DynamoDB Local's Java, which would hold the database files) is ended first, and only
 * when the recorded pid still runs the very command that was recorded, so a reused pid is never killed.
 */
export async function claimDataDir(dataDir: string, log: (line: string) => void): Promise<RunLock> {
  const file = join(dataDir, RUN_FILE);
  const previous = readRecord(file);
  if (previous) {
    if (commandLineOf(previous.stack.pid) === previous.stack.command) {
      throw new DataDirInUseError(
        `another Concierge stack (pid ${previous.stack.pid}) is running with data directory ${dataDir}; stop it first, or set DATA_DIR to another directory`,
      );
    }
    if (previous.java) {
      const outcome = await terminate(previous.java.pid, previous.java.command);
      if (outcome === 'ended') log(`ended DynamoDB Local (pid ${previous.java.pid}) left running by an earlier stack that was killed`);
    }
  }
  const record: RunRecord = { stack: { pid: process.pid, command: commandLineOf(process.pid) ?? process.argv.join(' ') } };
  const write = () => writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  write();
  return {
    recordJava(pid, command) {
      record.java = { pid, command };
      write();
    },
    release() {
      // Only our own record: a stack that refused to start must not remove the running one's.
      if (readRecord(file)?.stack.pid === process.pid) rmSync(file, { force: true });
    },
  };
}

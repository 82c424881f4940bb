import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { apiRequest, type RequestBody } from './api-client';
import { CATEGORIES } from '../../functions/sla/categorize';
import { SLA_PRIORITIES } from '../../functions/sla/policy';
import { registerRosterCommands } from './roster-commands';
import { registerSlaCommands, slaLines, type SlaTargetView } from './sla-commands';
import { sendRawMessage } from './smtp-send';
import { registerSuppressionCommands } from './suppression-commands';

/** A failure the user can act on: printed as one line, never as a stack trace. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const DEFAULT_API_URL = 'http://127.0.0.1:3000';
/** The local receiver accepts what SES receiving accepts. */
const MAX_SEND_BYTES = 40 * 1024 * 1024;

interface TicketSummary {
  id: string;
  ref: string;
  subject: string;
  status: string;
  customer: string;
  createdAt: string;
  updatedAt: string;
  flags: string[];
  priority?: string;
  category?: string;
  sla?: Partial<Record<'firstResponse' | 'nextResponse' | 'resolution', SlaTargetView>>;
}

interface TicketMessageView {
  direction: string;
  from: string;
  to: string[];
  messageId: string;
  subject: string;
  text: string;
  classification: { kind: string; reason: string };
  /** Kinds of secret removed before the message was stored. */
  redacted?: string[];
  receivedAt: string;
}

interface TicketDetail extends TicketSummary {
  assignee?: string;
  firstRespondedAt?: string;
  events?: Array<{ at: string; type: string; actor: string; detail: Record<string, string> }>;
  messages: TicketMessageView[];
  /** Set when more messages follow: pass it back as `?cursor=`. */
  next?: string;
}

/** `tickets show` stops here and says so: a ticket this long is a case for the JSON API, not a terminal. */
const MAX_MESSAGE_PAGES = 1000;

function printMessages(messages: TicketMessageView[]): void {
  for (const message of messages) {
    print();
    print(`— ${message.receivedAt} ${message.direction} ${message.from} → ${message.to.join(', ')} (${message.classification.kind})`);
    print(`  ${message.subject}`);
    if (message.redacted?.length) print(`  (secrets removed before it was stored: ${message.redacted.join(', ')})`);
    print(message.text.split('\n').map((line) => `  ${line}`).join('\n'));
  }
}

function apiUrlOption() {
  return new Option('--api <url>', 'API base URL (the stack output ApiUrl on AWS; requests to execute-api hosts are SigV4-signed)')
    .env('CONCIERGE_API_URL')
    .default(DEFAULT_API_URL);
}

function signOption() {
  return new Option('--sign', 'SigV4-sign requests with the usual AWS credential chain even for a custom domain');
}

async function getJson<T>(apiUrl: string, path: string, sign = false, send?: RequestBody): Promise<T> {
  let url: URL;
  try {
    url = new URL(path, apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`);
  } catch {
    throw new CliError(`--api must be a URL, got ${apiUrl}`, 2);
  }
  let request: Request;
  try {
    request = await apiRequest(url, { force: sign }, send);
  } catch (error) {
    throw new CliError(`cannot sign the request with AWS credentials: ${(error as Error).message}`);
  }
  let response: Response;
  try {
    response = await fetch(request);
  } catch (error) {
    throw new CliError(`cannot reach the API at ${apiUrl} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}); is \`npm start\` running?`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CliError(`the API answered ${response.status} with something that is not JSON`);
  }
  if (!response.ok) {
    const message = typeof body === 'object' && body && 'error' in body ? String((body as { error: unknown }).error) : text;
    // The outbound guard's refusal says in `detail` what it found.
    const detail = typeof body === 'object' && body && 'detail' in body && typeof (body as { detail: unknown }).detail === 'string' ? `\n  ${(body as { detail: string }).detail}` : '';
    throw new CliError(`${response.status}: ${message}${detail}`);
  }
  return body as T;
}

/**
 * Control characters, C1 codes and bidirectional overrides from anyone's mail (subjects, text, addresses) would
 * reach the staff member's terminal as commands: clear the screen, recolour, hide or reorder text. They are
 * printed as `\uXXXX`, which is also a valid escape inside the JSON output.
 */
const TERMINAL_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function print(line = ''): void {
  process.stdout.write(`${terminalSafe(line)}\n`);
}

function table(rows: string[][]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  for (const row of rows) print(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
}

/** `K7Q3XM`, `#K7Q3XM` or `[#K7Q3XM]` as the API path of the ticket. */
function ticketPath(idOrRef: string): string {
  return `tickets/${encodeURIComponent(idOrRef.replace(/^\[?#/, '').replace(/\]$/, ''))}`;
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 100) throw new InvalidArgumentError('expected a whole number from 1 to 100');
  return parsed;
}

export function buildProgram(): Command {
  const program = new Command('concierge')
    .description('Concierge support desk: tickets, staff and customers over the API, raw mail into the local SMTP receiver')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  npx concierge send tests/fixtures/demo/first-message.eml      deliver a message to \`npm start\`
  npx concierge tickets list --customer alice@example.com
  npx concierge tickets show K7Q3XM
  npx concierge tickets update K7Q3XM --priority high --category kyc
  npx concierge sla report --from 2026-11-01 --to 2026-12-01
  npx concierge suppressions list                                (addresses nothing is sent to; lift <email> --reason "…")
  npx concierge staff add --name "Mia Chen" --email mia@desk.example --role manager --capacity 40
  npx concierge customers import vip-roster.csv                  (see: npx concierge customers import --help)
  CONCIERGE_API_URL=https://<id>.execute-api.<region>.amazonaws.com/v1/ npx concierge tickets list
                                                                 (AWS: signed with your AWS credentials)`,
    );

  const tickets = program.command('tickets').description('list, read, answer and update tickets');
  tickets
    .command('list')
    .description('newest tickets, or one customer\'s, a page at a time')
    .option('--customer <email>', 'only tickets opened by this address')
    .option('--assignee <staff-id>', 'only tickets assigned to this staff member (st-…)')
    .option('--limit <n>', 'how many on this page (1-100)', positiveInt, 25)
    .option('--cursor <cursor>', 'continue after the previous page (the cursor it printed)')
    .option('--json', 'print the API response as JSON')
    .addOption(apiUrlOption())
    .addOption(signOption())
    .action(async (options: { customer?: string; assignee?: string; limit: number; cursor?: string; json?: boolean; api: string; sign?: boolean }) => {
      const query = new URLSearchParams({
        limit: String(options.limit),
        ...(options.customer ? { customer: options.customer } : {}),
        ...(options.assignee ? { assignee: options.assignee } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      const body = await getJson<{ tickets: TicketSummary[]; next?: string }>(options.api, `tickets?${query}`, options.sign);
      if (options.json) return print(JSON.stringify(body, null, 2));
      if (body.tickets.length === 0) return print('No tickets.');
      table([
        ['REF', 'STATUS', 'PRIORITY', 'CUSTOMER', 'UPDATED', 'FLAGS', 'SUBJECT'],
        ...body.tickets.map((t) => [t.ref, t.status, t.priority ?? '', t.customer, t.updatedAt, t.flags.join(',') || '-', t.subject]),
      ]);
      if (body.next) {
        const again = ['npx concierge tickets list', ...(options.customer ? ['--customer', options.customer] : []), ...(options.assignee ? ['--assignee', options.assignee] : []), '--limit', String(options.limit), '--cursor', body.next];
        print();
        print(`More tickets: ${again.join(' ')}`);
      }
    });
  tickets
    .command('show')
    .description('one ticket with all its messages (read a page at a time from the API)')
    .argument('<id|ref>', 'ticket id (UUID) or reference (e.g. K7Q3XM)')
    .option('--json', 'print the ticket with every message as JSON')
    .addOption(apiUrlOption())
    .addOption(signOption())
    .action(async (idOrRef: string, options: { json?: boolean; api: string; sign?: boolean }) => {
      const path = ticketPath(idOrRef);
      let page = await getJson<TicketDetail>(options.api, path, options.sign);
      const { next: _first, ...ticket } = { ...page, messages: [...page.messages] };
      if (!options.json) {
        print(`[#${ticket.ref}] ${ticket.subject}`);
        print(`id ${ticket.id} · ${ticket.status} · ${ticket.priority ?? ''} · ${ticket.category ?? '-'} · customer ${ticket.customer} · flags ${ticket.flags.join(',') || '-'}`);
        print(`assignee ${ticket.assignee ?? '-'} · first response ${ticket.firstRespondedAt ?? '-'}`);
        const sla = slaLines(ticket.sla);
        for (const line of sla.length > 0 ? sla : ['-']) print(`SLA ${line}`);
        for (const event of ticket.events ?? []) {
          print(`  ${event.at} ${event.type} by ${event.actor}${Object.keys(event.detail).length > 0 ? ` (${Object.entries(event.detail).map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}`);
        }
        printMessages(page.messages);
      }
      for (let pages = 1; page.next; pages += 1) {
        if (pages >= MAX_MESSAGE_PAGES) {
          if (!options.json) print(`\n(more messages than ${pages} pages; see them with --json or the API: ${path}?cursor=${page.next})`);
          break;
        }
        page = await getJson<TicketDetail>(options.api, `${path}?${new URLSearchParams({ cursor: page.next })}`, options.sign);
        ticket.messages.push(...page.messages);
        if (!options.json) printMessages(page.messages);
      }
      if (options.json) {
        print(JSON.stringify(page.next ? { ...ticket, next: page.next } : ticket, null, 2));
      }
    });

  tickets
    .command('reply')
    .description('answer the customer as a staff member: sent from the support address with their name, threaded, and the ticket then waits on the customer')
    .argument('<id|ref>', 'ticket reference (e.g. K7Q3XM)')
    .requiredOption('--staff <staff-id>', 'who answers (st-…): the assignee, a lead, or anyone while the ticket is unassigned')
    .option('--text <text>', 'the answer')
    .option('--file <path>', 'read the answer from a UTF-8 file (- for standard input)')
    .option('--idempotency-key <key>', 'send at most once per key (8-128 letters, digits, . _ : -); a new one is made for each run')
    .addOption(apiUrlOption())
    .addOption(signOption())
    .action(async (idOrRef: string, options: { staff: string; text?: string; file?: string; idempotencyKey?: string; api: string; sign?: boolean }) => {
      if ((options.text === undefined) === (options.file === undefined)) throw new CliError('give the answer with exactly one of --text or --file', 2);
      let text = options.text ?? '';
      if (options.file !== undefined) {
        try {
          text = options.file === '-' ? await readStandardInput() : await readFile(options.file, 'utf8');
        } catch (error) {
          throw new CliError(`cannot read ${options.file}: ${(error as Error).message}`, 2);
        }
      }
      if (text.trim() === '') throw new CliError('the answer is empty', 2);
      const key = options.idempotencyKey ?? `cli-${randomUUID()}`;
      const result = await getJson<{ ticketId: string; status: string; repeated?: boolean }>(options.api, `${ticketPath(idOrRef)}/replies`, options.sign, {
        method: 'POST',
        json: { staffId: options.staff, text },
        headers: { 'idempotency-key': key },
      });
      print(result.repeated ? `Already sent to the customer of ${result.ticketId} (idempotency key ${key}).` : `Sent to the customer of ${result.ticketId}; the ticket now waits on the customer.`);
    });
  tickets
    .command('update')
    .description("change a ticket's status, assignee, priority or category (recorded on the ticket as events; priority and category move its SLA due times)")
    .argument('<id|ref>', 'ticket reference (e.g. K7Q3XM)')
    .addOption(new Option('--status <status>', 'new status').choices(['open', 'waiting-on-customer', 'closed']))
    .option('--assignee <staff-id>', 'assign to this staff member (st-…), or "none" to unassign')
    .addOption(new Option('--priority <priority>', 'new priority').choices(SLA_PRIORITIES))
    .addOption(new Option('--category <category>', 'new category').choices(CATEGORIES))
    .option('--json', 'print the ticket as the API answers')
    .addOption(apiUrlOption())
    .addOption(signOption())
    .action(async (idOrRef: string, options: { status?: string; assignee?: string; priority?: string; category?: string; json?: boolean; api: string; sign?: boolean }) => {
      if (options.status === undefined && options.assignee === undefined && options.priority === undefined && options.category === undefined) {
        throw new CliError('give --status, --assignee, --priority and/or --category', 2);
      }
      const patch = {
        ...(options.status ? { status: options.status } : {}),
        ...(options.assignee !== undefined ? { assignee: options.assignee === 'none' ? null : options.assignee } : {}),
        ...(options.priority ? { priority: options.priority } : {}),
        ...(options.category ? { category: options.category } : {}),
      };
      const ticket = await getJson<TicketSummary & { assignee?: string }>(options.api, ticketPath(idOrRef), options.sign, { method: 'PATCH', json: patch });
      if (options.json) return print(JSON.stringify(ticket, null, 2));
      print(`[#${ticket.ref}] ${ticket.status} · ${ticket.priority ?? '-'} · ${ticket.category ?? '-'} · ${ticket.assignee ? `assigned to ${ticket.assignee}` : 'unassigned'}`);
      for (const line of slaLines(ticket.sla)) print(`  ${line}`);
    });

  program
    .command('send')
    .description('deliver a raw .eml file to the local SMTP receiver, as a mail server would')
    .argument('<file.eml>', 'raw RFC 5322 message')
    .option('--host <host>', 'SMTP host', '127.0.0.1')
    .addOption(new Option('--port <port>', 'SMTP port').env('SMTP_PORT').default('2525'))
    .option('--to <address>', 'envelope recipient', 'support@concierge.test')
    .option('--from <address>', 'envelope sender (default: the From header)')
    .action(async (file: string, options: { host: string; port: string; to: string; from?: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`--port must be 1-65535, got ${options.port}`, 2);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) throw new CliError(`no such file: ${file}`, 2);
      if (info.size === 0) throw new CliError(`${file} is empty`, 2);
      if (info.size > MAX_SEND_BYTES) throw new CliError(`${file} is ${info.size} bytes; the receiver accepts at most ${MAX_SEND_BYTES}`, 2);
      const raw = await readFile(file);
      try {
        const response = await sendRawMessage({ host: options.host, port, raw, to: [options.to], ...(options.from ? { from: options.from } : {}) });
        print(`Delivered ${file} to ${options.to} (${response}).`);
      } catch (error) {
        const message = (error as Error).message;
        if ((error as { code?: string }).code === 'ESOCKET' || /ECONNREFUSED/.test(message)) {
          throw new CliError(`cannot reach the SMTP receiver at ${options.host}:${port}; is \`npm start\` running?`);
        }
        throw new CliError(`the receiver refused the message: ${message}`);
      }
    });

  const kit = {
    getJson,
    print,
    table,
    fail: (message: string, exitCode?: number) => new CliError(message, exitCode),
    apiUrlOption,
    signOption,
  };
  registerRosterCommands(program, kit);
  registerSlaCommands(program, kit);
  registerSuppressionCommands(program, kit);
  return program;
}

let closedOutputHandled = false;

/**
 * A reader that stops reading (`concierge tickets list | head -1`) closes the pipe: that is the reader's
 * choice, not a failure, so the CLI stops at once and quietly instead of dying on an unhandled EPIPE.
 */
function stopQuietlyWhenOutputCloses(): void {
  if (closedOutputHandled) return;
  closedOutputHandled = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      if (stream !== process.stderr) process.stderr.write(`concierge: cannot write output: ${error.message}\n`);
      process.exit(1);
    });
  }
}

export async function run(argv: string[]): Promise<number> {
  stopQuietlyWhenOutputCloses();
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliError) {
      process.stderr.write(`concierge: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`concierge: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/**
 * The staff API through the local HTTP server and through API Gateway proxy events handed to the handler:
 * the same answers for bad requests, wrong methods and unknown paths, and pages that continue by cursor and
 * stay within the response limits. Then the CLI over those pages, and writing into a pipe closed early.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MESSAGE_LIMIT, PAGE_BUDGET_BYTES } from '../../functions/api/tickets-api';
import { lambdaContext } from '../../scripts/local/api-server';
import { PROJECT_ROOT } from '../helpers/corpus';
import { CLI, runCli } from '../helpers/cli';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
let handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

interface TicketList {
  tickets: Array<{ id: string; ref: string; subject: string; createdAt: string }>;
  next?: string;
}
interface TicketPage {
  id: string;
  messages: Array<{ direction: string; subject: string; text: string; receivedAt: string }>;
  next?: string;
}

const many = 'many-tickets@paging.example';
const ticketIds: string[] = [];
let longTicketId = '';
const LONG_TICKET_FOLLOW_UPS = 19;

beforeAll(async () => {
  stack = await startTestStack();
  handler = (await import('../../functions/api/handler')).handler as unknown as typeof handler;
  for (let index = 0; index < 5; index += 1) {
    const result = await stack.deliver(composeMessage({ from: many, subject: `Question ${index}`, text: `Question number ${index}.` }));
    if (result.outcome !== 'ticket-created') throw new Error(`expected a ticket, got ${result.outcome}`);
    ticketIds.push(result.ticketId);
  }
  // A thread of long messages: about 60 KB of visible text each, so the whole ticket outgrows one page's budget.
  const firstId = '<long-thread-0@paging.example>';
  const opened = await stack.deliver(composeMessage({ from: 'long@paging.example', subject: 'Long thread', text: paragraph(0), messageId: firstId }));
  if (opened.outcome !== 'ticket-created') throw new Error(`expected a ticket, got ${opened.outcome}`);
  longTicketId = opened.ticketId;
  for (let index = 1; index <= LONG_TICKET_FOLLOW_UPS; index += 1) {
    const reply = composeMessage({ from: 'long@paging.example', subject: 'Re: Long thread', text: paragraph(index), messageId: `<long-thread-${index}@paging.example>`, inReplyTo: firstId });
    const result = await stack.deliver(reply);
    if (result.outcome !== 'follow-up') throw new Error(`expected a follow-up, got ${result.outcome}`);
  }
});

afterAll(async () => {
  await stack?.teardown();
});

function paragraph(index: number): string {
  const line = `Message ${index}: the withdrawal is still pending and here is everything I tried so far.`;
  return Array.from({ length: 700 }, () => line).join('\n');
}

async function http(method: string, path: string) {
  const response = await fetch(`${stack.apiUrl}${path}`, { method });
  return { status: response.status, allow: response.headers.get('allow'), body: (await response.json()) as { error?: string } };
}

/** The event API Gateway's Lambda proxy integration sends, for a resource template or a catch-all. */
function gatewayEvent(method: string, path: string, options: { resource?: string; pathParameters?: Record<string, string>; multi?: Record<string, string[]> } = {}): APIGatewayProxyEvent {
  const url = new URL(path, 'https://api.example');
  const query = Object.fromEntries(url.searchParams.entries());
  return {
    httpMethod: method,
    path: url.pathname,
    resource: options.resource ?? '/{proxy+}',
    pathParameters: options.pathParameters ?? { proxy: url.pathname.slice(1) },
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: options.multi ?? (Object.keys(query).length > 0 ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null),
    headers: {},
    multiValueHeaders: {},
    body: null,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

async function invoke(event: APIGatewayProxyEvent) {
  const result = await handler(event, lambdaContext('concierge-api'));
  return { status: result.statusCode, allow: (result.headers?.allow as string | undefined) ?? null, body: JSON.parse(result.body) as { error?: string } };
}

describe('requests the API does not serve', () => {
  const cases: Array<{ name: string; method: string; path: string; status: number; allow?: string; error: RegExp }> = [
    { name: 'a wrong method on a listing', method: 'POST', path: '/tickets', status: 405, allow: 'GET', error: /POST is not allowed on \/tickets/ },
    { name: 'a wrong method on a ticket', method: 'DELETE', path: '/tickets/K7Q3XM', status: 405, allow: 'GET, PATCH', error: /DELETE is not allowed/ },
    { name: 'an unknown path', method: 'GET', path: '/agents', status: 404, error: /no route GET \/agents/ },
    { name: 'an unknown query parameter', method: 'GET', path: '/tickets?customr=a@b.example', status: 400, error: /unknown query parameter 'customr'/ },
    { name: 'a query parameter on /health', method: 'GET', path: '/health?verbose=1', status: 400, error: /unknown query parameter 'verbose'/ },
    { name: 'a limit out of range', method: 'GET', path: '/tickets?limit=0', status: 400, error: /limit: expected a whole number from 1 to 100/ },
    { name: 'a limit that is not a number', method: 'GET', path: '/tickets?limit=1e2', status: 400, error: /limit/ },
    { name: 'a bad ticket id', method: 'GET', path: '/tickets/nope', status: 400, error: /expected a ticket id/ },
    { name: 'a cursor this API never issued', method: 'GET', path: '/tickets?cursor=bm90LWpzb24', status: 400, error: /cursor: not a cursor this API issued/ },
  ];

  for (const { name, method, path, status, allow, error } of cases) {
    it(`${name}: ${status} through the local server and through an API Gateway event alike`, async () => {
      // Act
      const local = await http(method, path);
      const gateway = await invoke(gatewayEvent(method, path));

      // Assess
      expect(local.status).toBe(status);
      expect(local.body.error).toMatch(error);
      expect(local.allow).toBe(allow ?? null);
      expect(gateway).toEqual(local);
    });
  }

  it('answers 405 for an event on a resource template whose method is not ours', async () => {
    const result = await invoke(gatewayEvent('PUT', '/tickets/K7Q3XM', { resource: '/tickets/{id}', pathParameters: { id: 'K7Q3XM' } }));
    expect(result).toEqual({ status: 405, allow: 'GET, PATCH', body: { error: 'PUT is not allowed on /tickets/K7Q3XM; allowed: GET, PATCH' } });
  });

  it('answers 400 for malformed percent-encoding and for a repeated query parameter', async () => {
    expect((await invoke(gatewayEvent('GET', '/tickets/%ZZ'))).status).toBe(400);
    const repeated = await invoke(gatewayEvent('GET', '/tickets?limit=2', { resource: '/tickets', pathParameters: {}, multi: { limit: ['2', '3'] } }));
    expect(repeated).toMatchObject({ status: 400, body: { error: "query parameter 'limit' is given more than once" } });
  });
});

describe('GET /tickets pages', () => {
  async function allPages(first: string): Promise<TicketList[]> {
    const pages: TicketList[] = [];
    let path: string | undefined = first;
    while (path) {
      const { status, body }: { status: number; body: TicketList } = await stack.api<TicketList>(path);
      expect(status).toBe(200);
      pages.push(body);
      path = body.next ? `${first}&cursor=${body.next}` : undefined;
    }
    return pages;
  }

  it("walks one customer's tickets newest first, two at a time, with no empty last page", async () => {
    // Act
    const pages = await allPages(`/tickets?customer=${many}&limit=2`);

    // Assess
    expect(pages.map((page) => page.tickets.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((page) => page.tickets.map((ticket) => ticket.id))).toEqual([...ticketIds].reverse());
  });

  it('walks the newest tickets across customers the same way', async () => {
    const whole = (await stack.api<TicketList>('/tickets?limit=100')).body;
    const pages = await allPages('/tickets?limit=3');
    expect(whole.next).toBeUndefined();
    expect(pages.flatMap((page) => page.tickets.map((ticket) => ticket.id))).toEqual(whole.tickets.map((ticket) => ticket.id));
    expect(pages.slice(0, -1).every((page) => page.tickets.length === 3 && page.next)).toBe(true);
  });

  it('refuses a tampered cursor, and one carried to another listing', async () => {
    // Prepare
    const { next } = (await stack.api<TicketList>(`/tickets?customer=${many}&limit=2`)).body;
    const decoded = JSON.parse(Buffer.from(next!, 'base64url').toString()) as { after: { id: string; createdAt: string } };
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    // Act
    const answers = await Promise.all([
      stack.api<{ error: string }>(`/tickets?customer=other@paging.example&cursor=${next}`),
      stack.api<{ error: string }>(`/tickets?cursor=${next}`),
      stack.api<{ error: string }>(`/tickets?customer=${many}&cursor=${forge({ ...decoded, after: { ...decoded.after, id: 'TICKET#x' } })}`),
      stack.api<{ error: string }>(`/tickets?customer=${many}&cursor=${forge({ ...decoded, pk: 'TICKET#x' })}`),
      stack.api<{ error: string }>(`/tickets?customer=${many}&cursor=${next}x!`),
      stack.api<{ error: string }>(`/tickets/${ticketIds[0]}?cursor=${next}`),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 400, 400]);
    expect(answers[0]?.body.error).toBe('cursor: it belongs to another listing');
  });
});

describe('GET /tickets/{id} pages its messages', () => {
  it('keeps each page within the byte budget and continues by cursor to the last message', async () => {
    // Act
    const pages: TicketPage[] = [];
    let cursor: string | undefined;
    do {
      const { status, body } = await stack.api<TicketPage>(`/tickets/${longTicketId}${cursor ? `?cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      pages.push(body);
      cursor = body.next;
    } while (cursor);

    // Assess
    const messages = pages.flatMap((page) => page.messages);
    const inbound = messages.filter((message) => message.direction === 'inbound');
    expect(inbound.map((message) => message.text.slice(0, 11))).toEqual(Array.from({ length: LONG_TICKET_FOLLOW_UPS + 1 }, (_, index) => `Message ${index}:`.padEnd(11).slice(0, 11)));
    // The budget, not the limit of 20, ends the first page.
    expect(pages[0]!.messages.length).toBeLessThan(DEFAULT_MESSAGE_LIMIT);
    expect(pages[0]!.messages.length).toBeGreaterThan(1);
    for (const page of pages) expect(Buffer.byteLength(JSON.stringify(page.messages))).toBeLessThanOrEqual(PAGE_BUDGET_BYTES + page.messages.length);
    expect(messages.map((message) => message.receivedAt)).toEqual([...messages.map((message) => message.receivedAt)].sort());
  });

  it('honours ?limit= and refuses a cursor from another ticket', async () => {
    const first = (await stack.api<TicketPage>(`/tickets/${longTicketId}?limit=2`)).body;
    expect(first.messages).toHaveLength(2);
    expect(first.next).toBeDefined();
    const second = (await stack.api<TicketPage>(`/tickets/${longTicketId}?limit=2&cursor=${first.next}`)).body;
    expect(second.messages[0]!.receivedAt >= first.messages[1]!.receivedAt).toBe(true);
    expect(second.messages).not.toContainEqual(first.messages[1]);
    const elsewhere = await stack.api<{ error: string }>(`/tickets/${ticketIds[0]}?cursor=${first.next}`);
    expect(elsewhere).toEqual({ status: 400, body: { error: 'cursor: it belongs to another ticket' } });
  });
});


const cli = (args: string[]) => runCli(stack.apiUrl, args);

describe('npx concierge over pages', () => {
  it('tickets list prints one page and the command for the next; --cursor continues', async () => {
    // Act
    const first = await cli(['tickets', 'list', '--customer', many, '--limit', '3']);
    const cursor = first.stdout.match(/--cursor (\S+)/)?.[1];
    const second = await cli(['tickets', 'list', '--customer', many, '--limit', '3', '--cursor', cursor ?? '']);

    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`More tickets: npx concierge tickets list --customer ${many} --limit 3 --cursor `);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('More tickets');
    const subjects = (output: string) => output.match(/Question \d/g) ?? [];
    expect([...subjects(first.stdout), ...subjects(second.stdout)]).toEqual(['Question 4', 'Question 3', 'Question 2', 'Question 1', 'Question 0']);
  });

  it('tickets show reads every page of messages, as text and as JSON', async () => {
    const text = await cli(['tickets', 'show', longTicketId]);
    const json = await cli(['tickets', 'show', longTicketId, '--json']);
    expect(text.code).toBe(0);
    expect(new Set(text.stdout.match(/^ {2}Message \d+:/gm)).size).toBe(LONG_TICKET_FOLLOW_UPS + 1);
    const ticket = JSON.parse(json.stdout) as TicketPage;
    expect(ticket.next).toBeUndefined();
    expect(ticket.messages.filter((message) => message.direction === 'inbound')).toHaveLength(LONG_TICKET_FOLLOW_UPS + 1);
  });

  it('a bad cursor is one line on stderr', async () => {
    const result = await cli(['tickets', 'list', '--cursor', 'tampered']);
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'concierge: 400: cursor: not a cursor this API issued\n' });
  });

  it('stops quietly when the reader closes the pipe early (`| head -1`)', async () => {
    // Prepare: a ticket whose text runs to far more than a pipe holds.
    const child = spawn(process.execPath, [CLI, 'tickets', 'show', longTicketId], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CONCIERGE_API_URL: stack.apiUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    // Act: read the first chunk, then close the read end as `head -1` does.
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));

    // Assess
    expect(first).toMatch(/^\[#[A-Z0-9]{6}\] Long thread/);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

/**
 * A local stand-in for the Amazon SES v1 sending API (SendRawEmail, SendEmail), plus a
 * browser mailbox for what it "delivered".
 *
 * It exists so that threading bugs show up on a laptop: real SES replaces the Message-ID of
 * every message it sends, so a stand-in that keeps the sender's id would let a handler that
 * records its own id (instead of the one SES returns) pass every local test and then break
 * every reply thread in production.
 *
 * POSTs are the SES query API (query-api.ts, raw-message.ts), GETs the browser mailbox (mailbox.ts), both
 * over the outbox on disk (outbox.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { htmlEscape, routeMailbox, sendPage } from './mailbox';
import { Outbox, type LocalSesEnvelope } from './outbox';
import { createSendActionHandler } from './query-api';

export type { LocalSesEnvelope } from './outbox';
export type { LocalSesMessageSummary } from './mailbox';

export interface LocalSesOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** 0 picks an ephemeral port. */
  port: number;
  /** Where delivered messages are written, one `.eml` per message; created if missing. */
  outboxDir: string;
  /** Region this endpoint pretends to be; decides the Message-ID domain. Default us-east-1. */
  region?: string;
  /** Largest accepted raw message; default 10 MiB (10485760 bytes), the SES v1 limit. */
  maxMessageBytes?: number;
  /** Told of each accepted message once it is in the outbox, before SES's answer goes back. */
  onAccepted?: (envelope: LocalSesEnvelope) => void;
}

export interface LocalSesEndpoint {
  /** Base URL to hand to `new SESClient({ endpoint })`; the mailbox is served at the same URL. */
  url: string;
  port: number;
  /** Stops listening, drops open connections, and waits for pending outbox writes. */
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
const DEFAULT_MAX_MESSAGE_BYTES = 10 * MIB;
/** Base64 inflates by 4/3 and the form adds a little; anything above this cannot be a valid send. */
const MIN_REQUEST_CAP = 15 * MIB;

export async function startLocalSesEndpoint(options: LocalSesOptions): Promise<LocalSesEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const requestCap = Math.max(MIN_REQUEST_CAP, Math.ceil((maxMessageBytes * 4) / 3) + MIB);
  const outbox = await Outbox.open(options.outboxDir);
  const sendAction = createSendActionHandler({ region, maxMessageBytes, requestCap, outbox, ...(options.onAccepted ? { onAccepted: options.onAccepted } : {}) });

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://local').pathname;
    if (req.method === 'POST') {
      void sendAction(req, res, pathname);
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      routeMailbox(outbox, pathname, res).catch((error: unknown) => {
        if (!res.headersSent) {
          sendPage(res, 500, 'Error', `<h1>Error</h1><pre>${htmlEscape(error instanceof Error ? error.message : String(error))}</pre>`);
        }
      });
      return;
    }
    res.writeHead(405, { allow: 'GET, HEAD, POST' });
    res.end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep sockets alive; without this close() would wait for them to time out.
        for (const socket of sockets) socket.destroy();
      }).then(async () => {
        await outbox.drain();
      });
      return closing;
    },
  };
}

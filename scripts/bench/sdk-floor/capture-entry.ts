/**
 * The inbound handler, recording every AWS request it makes (client, command, input) per message into
 * `CAPTURE_FILE`, for `replay-entry.ts`. Bundled unminified so class names survive.
 */
import { appendFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Client } from '@smithy/core/client';
import { handler as inbound } from '../../../functions/inbound/handler';
import { encodeMessageRequests, type RecordedRequest } from './recorded-requests';

const captureFile = process.env.CAPTURE_FILE;
if (!captureFile) throw new Error('CAPTURE_FILE is not set');

let recording: RecordedRequest[] | undefined;
const send = Client.prototype.send as (...args: unknown[]) => unknown;
Client.prototype.send = function recordingSend(this: Client<never, never, never, never>, command: { input: Record<string, unknown> }, ...rest: unknown[]) {
  const input = { ...command.input };
  if (input.Body instanceof Readable) input.Body = { streamLength: input.ContentLength };
  recording?.push({ client: this.constructor.name, command: command.constructor.name, input });
  return send.call(this, command, ...rest);
} as typeof Client.prototype.send;

export async function handler(event: unknown, context: Parameters<typeof inbound>[1]): Promise<unknown> {
  recording = [];
  try {
    return await inbound(event, context);
  } finally {
    appendFileSync(captureFile!, encodeMessageRequests(recording));
    recording = undefined;
  }
}

/**
 * The AWS requests one inbound message made, as recorded by `capture-entry.ts` and replayed by
 * `replay-entry.ts`: one length-prefixed V8-serialised list per handled message.
 */
import { serialize, deserialize } from 'node:v8';

export interface RecordedRequest {
  /** The client's class name as the bundle has it (esbuild may prefix it with `_`). */
  client: string;
  command: string;
  /** The command's input; a streamed body is recorded as its length only. */
  input: Record<string, unknown>;
}

export function encodeMessageRequests(requests: readonly RecordedRequest[]): Buffer {
  const body = serialize(requests);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

export function decodeRecordedMessages(file: Buffer): RecordedRequest[][] {
  const messages: RecordedRequest[][] = [];
  for (let at = 0; at < file.length; ) {
    const length = file.readUInt32BE(at);
    messages.push(deserialize(file.subarray(at + 4, at + 4 + length)) as RecordedRequest[]);
    at += 4 + length;
  }
  return messages;
}

/**
 * A copy of `value` with each name in `renames` (table, bucket) replaced wherever it appears whole, as a
 * `name/…` prefix (a CopySource) or as an object key (BatchGet's and BatchWrite's RequestItems), so requests
 * recorded against one table and bucket can be replayed against fresh ones. Binary values, sets and dates
 * are kept as they are.
 */
export function renameResources(value: unknown, renames: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    const whole = renames.get(value);
    if (whole !== undefined) return whole;
    for (const [from, to] of renames) if (value.startsWith(`${from}/`)) return to + value.slice(from.length);
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => renameResources(item, renames));
  if (value && typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Set) && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [renames.get(key) ?? key, renameResources(item, renames)]));
  }
  return value;
}

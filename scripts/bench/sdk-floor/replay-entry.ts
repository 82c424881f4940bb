/**
 * The SDK floor of the inbound handler: the AWS requests it made for each message (recorded by
 * `capture-entry.ts`), made again with the same client factories and the same command classes, and nothing
 * else: no parsing, no classification, no logging. `handler({ index })` replays message `index`, reading each
 * GetObject body through as the handler does. Environment: `REPLAY_FILE`, and `REPLAY_RENAMES`
 * (`old=new,…`) for the table and bucket of the stand-ins it replays against.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import * as s3Commands from '@aws-sdk/client-s3';
import * as sesCommands from '@aws-sdk/client-ses';
import * as documentCommands from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../functions/commons/clients/dynamodb';
import { createS3Client } from '../../../functions/commons/clients/s3';
import { createSesClient } from '../../../functions/commons/clients/ses';
import { decodeRecordedMessages, renameResources, type RecordedRequest } from './recorded-requests';

const renames = new Map((process.env.REPLAY_RENAMES ?? '').split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string]));
const messages: RecordedRequest[][] = decodeRecordedMessages(readFileSync(process.env.REPLAY_FILE!)).map((requests) =>
  requests.map((request) => ({ ...request, input: renameResources(request.input, renames) as Record<string, unknown> })),
);

const documentClient = createDocumentClient();
const s3 = createS3Client(process.env.S3_FORCE_PATH_STYLE === 'true');
const ses = createSesClient();

type CommandClass = new (input: unknown) => never;
const commandOf = (module: object, name: string): CommandClass => {
  const command = (module as Record<string, unknown>)[name];
  if (typeof command !== 'function') throw new Error(`no command ${name}`);
  return command as CommandClass;
};

async function replay(request: RecordedRequest): Promise<void> {
  if (request.client.endsWith('DynamoDBDocumentClient')) {
    await documentClient.send(new (commandOf(documentCommands, request.command))(request.input));
  } else if (request.client.endsWith('SESClient')) {
    await ses.send(new (commandOf(sesCommands, request.command))(request.input));
  } else if (request.client.endsWith('S3Client')) {
    const input = { ...request.input };
    const streamed = input.Body as { streamLength?: number } | undefined;
    if (streamed?.streamLength !== undefined) input.Body = Readable.from([Buffer.alloc(streamed.streamLength)], { objectMode: false });
    const output = (await s3.send(new (commandOf(s3Commands, request.command))(input))) as { Body?: AsyncIterable<Uint8Array> };
    if (output.Body) for await (const chunk of output.Body) void chunk;
  } else throw new Error(`no client ${request.client}`);
}

/** `failed` names the requests that failed (a condition the handler met too, e.g. a counter at its cap). */
export async function handler(event: { index: number }): Promise<{ results: []; failed: string[] }> {
  const failed: string[] = [];
  for (const request of messages[event.index] ?? []) {
    try {
      await replay(request);
    } catch (error) {
      failed.push(`${request.command}: ${(error as Error).name}`);
    }
  }
  return { results: [], failed };
}

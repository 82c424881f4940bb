/**
 * The SES v1 query API (awsQuery): @aws-sdk/client-ses sends an `application/x-www-form-urlencoded` POST
 * (`Action=SendRawEmail&Version=2010-12-01&RawMessage.Data=<base64>&Source=…&Destinations.member.N=…`) and
 * expects XML back; errors are `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>
 * </ErrorResponse>` and the SDK names the error after `<Code>`. Signatures are not checked: any credentials
 * are accepted.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { LocalSesEnvelope, Outbox } from './outbox';
import { acceptRaw, messageIdDomain, sesMessageId, type Accepted } from './raw-message';
import { SesError } from './ses-error';

const SES_XMLNS = 'http://ses.amazonaws.com/doc/2010-12-01/';
const SES_API_VERSION = '2010-12-01';
const MIB = 1024 * 1024;
/** How much of a refused upload is read and discarded so that the client gets to see the 413. */
const MAX_DISCARDED_BYTES = 64 * MIB;

function members(form: URLSearchParams, prefix: string): string[] {
  const indexed: [number, string][] = [];
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.member\\.(\\d+)$`);
  for (const [key, value] of form) {
    const match = pattern.exec(key);
    if (match?.[1]) indexed.push([Number(match[1]), value]);
  }
  return indexed.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

function tagsOf(form: URLSearchParams): { name: string; value: string }[] | undefined {
  const tags: { name: string; value: string }[] = [];
  for (let i = 1; form.has(`Tags.member.${i}.Name`); i++) {
    tags.push({ name: form.get(`Tags.member.${i}.Name`) ?? '', value: form.get(`Tags.member.${i}.Value`) ?? '' });
  }
  return tags.length > 0 ? tags : undefined;
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (value === null || value === '') {
    throw new SesError('MissingParameter', `The request must contain the parameter ${name}.`);
  }
  return value;
}

function decodeRawData(form: URLSearchParams): Buffer {
  // A client that sends '+' unescaped gets it turned into a space by form decoding; base64
  // never contains spaces, so putting the '+' back is lossless and avoids silent corruption.
  const data = required(form, 'RawMessage.Data').replace(/ /g, '+').replace(/[\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 === 1) {
    throw new SesError('InvalidParameterValue', 'RawMessage.Data is not valid base64.');
  }
  return Buffer.from(data, 'base64');
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function sendXml(res: ServerResponse, status: number, requestId: string, xml: string): void {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(xml),
    'x-amzn-requestid': requestId,
  });
  res.end(xml);
}

function sendSesError(res: ServerResponse, error: SesError, requestId: string): void {
  sendXml(
    res,
    error.status,
    requestId,
    `<ErrorResponse xmlns="${SES_XMLNS}"><Error><Type>${error.type}</Type><Code>${xmlEscape(error.code)}</Code>` +
      `<Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
}

function sendResult(res: ServerResponse, action: string, id: string, requestId: string): void {
  sendXml(
    res,
    200,
    requestId,
    `<${action}Response xmlns="${SES_XMLNS}"><${action}Result><MessageId>${id}</MessageId></${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

class BodyTooLarge extends Error {}

/** Buffers a request body, refusing (without reading further) once it passes `cap` bytes. */
function readBody(req: IncomingMessage, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > cap) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > cap) {
        req.off('data', onData);
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface SendActionContext {
  region: string;
  maxMessageBytes: number;
  /** Largest request body read; a larger one is answered 413. */
  requestCap: number;
  outbox: Outbox;
  /** Told of each message once it is in the outbox (the mailbox simulator's feedback starts here). */
  onAccepted?: (envelope: LocalSesEnvelope) => void;
}

/** Answers one POST: SendRawEmail or SendEmail, stored in the outbox, or the error SES would give. */
export function createSendActionHandler(context: SendActionContext): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  const { region, maxMessageBytes, requestCap, outbox } = context;

  /**
   * Answers 413 at once but ends the response only when the client has finished uploading
   * (discarding, not buffering, what it sends). Hanging up mid-upload makes the peer's TCP
   * stack reset the connection, and the client then reports "socket hang up" (and the SDK
   * retries) instead of the error.
   */
  function rejectOversized(req: IncomingMessage, res: ServerResponse, requestId: string): void {
    const error = new SesError(
      'InvalidParameterValue',
      `Request body is larger than ${requestCap} bytes; SES v1 messages may not exceed ${maxMessageBytes} bytes.`,
      413,
    );
    const xml =
      `<ErrorResponse xmlns="${SES_XMLNS}"><Error><Type>${error.type}</Type><Code>${error.code}</Code>` +
      `<Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    res.writeHead(413, {
      'content-type': 'text/xml',
      'content-length': Buffer.byteLength(xml),
      'x-amzn-requestid': requestId,
      connection: 'close',
    });
    res.write(xml);
    let discarded = 0;
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      // A client that keeps streaming long after being told no is not worth waiting for.
      if (discarded > MAX_DISCARDED_BYTES) req.socket.destroy();
    });
    req.on('end', () => res.end());
    req.resume();
  }

  async function sendAction(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const requestId = randomUUID();
    try {
      if (pathname.startsWith('/v2/')) {
        throw new SesError('UnknownOperationException', 'This local endpoint speaks the SES v1 API (@aws-sdk/client-ses), not SES v2.', 404);
      }
      const contentType = req.headers['content-type'] ?? '';
      if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        throw new SesError('InvalidParameterValue', `Expected an application/x-www-form-urlencoded (awsQuery) request, got '${contentType}'.`);
      }
      let body: Buffer;
      try {
        body = await readBody(req, requestCap);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        rejectOversized(req, res, requestId);
        return;
      }
      const form = new URLSearchParams(body.toString('utf8'));
      const action = form.get('Action');
      const now = new Date();
      const id = sesMessageId();
      let accepted: Accepted;
      let envelope: LocalSesEnvelope;
      if (action === 'SendRawEmail') {
        const source = form.get('Source') || undefined;
        accepted = acceptRaw(decodeRawData(form), { source, destinations: members(form, 'Destinations') }, id, region, maxMessageBytes, now);
        envelope = { sesMessageId: id, action, acceptedAt: now.toISOString(), region, source: accepted.source, destinations: accepted.destinations };
      } else if (action === 'SendEmail') {
        const source = required(form, 'Source');
        const to = members(form, 'Destination.ToAddresses');
        const cc = members(form, 'Destination.CcAddresses');
        const bcc = members(form, 'Destination.BccAddresses');
        const text = form.get('Message.Body.Text.Data');
        const html = form.get('Message.Body.Html.Data');
        const subject = form.get('Message.Subject.Data');
        if (subject === null) throw new SesError('MissingParameter', 'The request must contain the parameter Message.Subject.Data.');
        if (text === null && html === null) throw new SesError('MissingParameter', 'The request must contain the parameter Message.Body.');
        const replyTo = members(form, 'ReplyToAddresses');
        const composed = await new MailComposer({
          from: source,
          to: to.length > 0 ? to : undefined,
          cc: cc.length > 0 ? cc : undefined,
          replyTo: replyTo.length > 0 ? replyTo : undefined,
          subject,
          text: text ?? undefined,
          html: html ?? undefined,
          messageId: `<${id}@${messageIdDomain(region)}>`,
          date: now,
          newline: 'win',
        })
          .compile()
          .build();
        accepted = acceptRaw(composed, { source, destinations: [...to, ...cc, ...bcc] }, id, region, maxMessageBytes, now);
        envelope = { sesMessageId: id, action, acceptedAt: now.toISOString(), region, source: accepted.source, destinations: accepted.destinations };
      } else if (action === null) {
        throw new SesError('MissingAction', 'The request must contain the parameter Action.');
      } else {
        throw new SesError('InvalidAction', `Could not find operation ${action} for version ${form.get('Version') ?? SES_API_VERSION}. This local endpoint implements SendRawEmail and SendEmail.`);
      }
      const returnPath = form.get('ReturnPath');
      if (returnPath) envelope.returnPath = returnPath;
      const configurationSetName = form.get('ConfigurationSetName');
      if (configurationSetName) envelope.configurationSetName = configurationSetName;
      const tags = tagsOf(form);
      if (tags) envelope.tags = tags;

      await outbox.append(id, accepted.delivered, envelope);
      context.onAccepted?.(envelope);
      sendResult(res, action, id, requestId);
    } catch (error) {
      const sesError =
        error instanceof SesError
          ? error
          : new SesError('InternalFailure', `Local SES endpoint failed: ${error instanceof Error ? error.message : String(error)}`, 500, 'Receiver');
      if (!res.headersSent) sendSesError(res, sesError, requestId);
    }
  }

  return sendAction;
}

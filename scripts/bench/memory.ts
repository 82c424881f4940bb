/**
 * Peak memory of the inbound handler for a 25 MB message, as a multiple of the message's size:
 * `peakMemoryToMessageSize.attachment25MB` (a short text and one 25 MB attachment) and `.text25MB` (25 MB of
 * plain text). Each case runs in a fresh `node` process that imports the deployed bundle, handles one ordinary
 * message (as a warm container has: the heap at its working size, the code compiled), collects garbage, notes
 * its RSS, and handles the 25 MB message against the stand-ins (which run in this process); the figure is
 * (peak RSS − RSS before the message) / message bytes, peak RSS being the kernel's maxrss. `--cold` skips
 * the ordinary message, so the first message also pays for the heap's growth from start-up size.
 *
 *   npx tsx scripts/bench/memory.ts [--cold]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildDeployedBundle, deployedNodeOptions, INBOUND_ENTRY, ordinaryMessage, runChild, startStandIns } from './lambda-child';

export const MESSAGE_BYTES = 25 * 1024 * 1024;

export type MemoryCase = 'attachment25MB' | 'text25MB';

export interface MemoryFigure {
  messageBytes: number;
  /** (peak RSS − RSS before the message) / message bytes. */
  ratio: number;
  baselineRssBytes: number;
  peakRssBytes: number;
  /** Sampled every 5 ms, so a lower bound: JS heap and Buffer memory above their level before the message. */
  peakHeapAboveBaseline: number;
  peakExternalAboveBaseline: number;
  outcome: string;
}

function headerLines(sender: string, subject: string): string[] {
  return [
    `From: Customer <${sender}>`,
    'To: support@concierge.test',
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${randomBytes(8).toString('hex')}@client.example>`,
    'MIME-Version: 1.0',
  ];
}

/** A short note and one attachment of random bytes, base64 in 76-character lines, `bytes` long in all. */
export function attachmentMessage(sender: string, bytes = MESSAGE_BYTES): Buffer {
  const head = [
    ...headerLines(sender, 'Statement attached'),
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'My account statement is attached.',
    '--b',
    'Content-Type: application/pdf',
    'Content-Disposition: attachment; filename="statement.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');
  const tail = '\r\n--b--\r\n';
  const lineBytes = 78;
  const lines = Math.floor((bytes - head.length - tail.length) / lineBytes);
  const base64 = randomBytes(lines * 57).toString('base64');
  const body = Buffer.allocUnsafe(lines * lineBytes);
  for (let line = 0; line < lines; line += 1) {
    body.write(base64.slice(line * 76, line * 76 + 76), line * lineBytes, 'latin1');
    body.write('\r\n', line * lineBytes + 76, 'latin1');
  }
  return Buffer.concat([Buffer.from(head), body, Buffer.from(tail)]);
}

/** `bytes` of plain UTF-8 text in ordinary lines. */
export function textMessage(sender: string, bytes = MESSAGE_BYTES): Buffer {
  const head = Buffer.from([...headerLines(sender, 'Full export of my trade log'), 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', ''].join('\r\n'));
  const line = Buffer.from('2026-11-21 07:00:00 BTC/USDT buy 0.01500000 at 91234.56 order 8812734 filled\r\n');
  const body = Buffer.allocUnsafe(bytes - head.length);
  for (let at = 0; at < body.length; at += line.length) line.copy(body, at, 0, Math.min(line.length, body.length - at));
  return Buffer.concat([head, body]);
}

/** Both cases, each in its own fresh process. */
export async function measurePeakMemory(
  progress: (line: string) => void = () => undefined,
  options: { warm?: boolean } = {},
): Promise<Record<MemoryCase, MemoryFigure>> {
  const workDir = mkdtempSync(join(tmpdir(), 'concierge-memory-'));
  progress('memory: bundling inbound as deployed');
  const bundle = await buildDeployedBundle(INBOUND_ENTRY, join(workDir, 'inbound'));
  progress('memory: starting the stand-ins');
  const standIns = await startStandIns();
  try {
    const figures = {} as Record<MemoryCase, MemoryFigure>;
    const cases: Array<[MemoryCase, (sender: string) => Buffer]> = [
      ['attachment25MB', attachmentMessage],
      ['text25MB', textMessage],
    ];
    for (const [name, compose] of cases) {
      progress(`memory: ${name}`);
      const raw = compose(`memory-${name.toLowerCase()}-${randomBytes(4).toString('hex')}@customer.example`);
      const event = await standIns.sesEvent(raw, 'bounce-handler@customer.example');
      const warmSender = `memory-warm-${randomBytes(4).toString('hex')}@customer.example`;
      const warmup = options.warm === false ? [] : [await standIns.sesEvent(ordinaryMessage(warmSender), warmSender)];
      const result = await runChild<{
        baselineRss: number;
        peakRss: number;
        baselineHeap: number;
        baselineExternal: number;
        peakHeap: number;
        peakExternal: number;
        results: Array<{ results: Array<{ outcome: string; reason?: string }> }>;
      }>({
        mode: 'memory',
        target: bundle.file,
        input: { events: [event], warmup },
        workDir,
        env: standIns.handlerEnv,
        nodeOptions: deployedNodeOptions(),
        nodeFlags: ['--expose-gc'],
      });
      const outcome = result.results[0]?.results[0];
      figures[name] = {
        messageBytes: raw.length,
        ratio: (result.peakRss - result.baselineRss) / raw.length,
        baselineRssBytes: result.baselineRss,
        peakRssBytes: result.peakRss,
        peakHeapAboveBaseline: result.peakHeap - result.baselineHeap,
        peakExternalAboveBaseline: result.peakExternal - result.baselineExternal,
        outcome: outcome ? `${outcome.outcome}${outcome.reason ? ` (${outcome.reason})` : ''}` : 'none',
      };
    }
    return figures;
  } finally {
    await standIns.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  const cold = process.argv.includes('--cold');
  measurePeakMemory((line) => process.stderr.write(`${line}\n`), { warm: !cold }).then(
    (figures) => {
      process.stdout.write(
        `peakMemoryToMessageSize (fresh process per case${cold ? '' : ', after one ordinary message'}; (peak RSS − RSS before the message) / message size)\n`,
      );
      for (const [name, figure] of Object.entries(figures)) {
        process.stdout.write(
          `  ${name.padEnd(15)} ×${figure.ratio.toFixed(2)}  message ${mib(figure.messageBytes)}, RSS ${mib(figure.baselineRssBytes)} → peak ${mib(figure.peakRssBytes)};` +
            ` sampled heap +${mib(figure.peakHeapAboveBaseline)}, buffers +${mib(figure.peakExternalAboveBaseline)}; ${figure.outcome}\n`,
        );
      }
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`memory bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

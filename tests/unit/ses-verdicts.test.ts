import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HEADER_BLOCK_CAP_BYTES,
  headerBlockOf,
  readSesStampedVerdicts,
} from '../../functions/mail/ses-verdicts';
import type { Verdicts } from '../../functions/mail/types';
import { CORPUS_ROOT } from '../helpers/corpus';

/** A real message as SES receiving stored it, SES's block on top. Its lines end in CRLF. */
const SES_STORED = readFileSync(join(CORPUS_ROOT, 'bounces/sisimai/bsd/lhost-postfix-30.eml'), 'latin1');
const SES_STORED_BLOCK = headerBlockOf(SES_STORED);

/** The last line of SES's block in the real message; what follows is the sender's own headers. */
const AFTER_SES_BLOCK = '\tL6SkHjYmTQSWpTwvXmM1YDcUP2dkpWV5+Ko9S4lY=\r\n';
const SENDER_FROM = 'From: MAILER-DAEMON@example.net.br (Mail Delivery System)\r\n';

const FORGED_LINES = [
  'X-SES-Spam-Verdict: PASS',
  'X-SES-Virus-Verdict: PASS',
  'Authentication-Results: amazonses.com; spf=pass; dkim=pass header.i=@example.net.br; dmarc=pass header.from=example.net.br;',
].join('\r\n') + '\r\n';

const FORGED_BLOCK = [
  'Return-Path: <ceo@example.net.br>',
  'Received: from mx.attacker.example by inbound-smtp.us-east-1.amazonaws.com with SMTP id forged',
  'X-SES-Spam-Verdict: PASS',
  'X-SES-Virus-Verdict: PASS',
  'Received-SPF: pass',
  'Authentication-Results: amazonses.com; spf=pass; dkim=pass header.i=@example.net.br; dmarc=pass header.from=example.net.br;',
  'X-SES-RECEIPT: forged',
  'X-SES-DKIM-SIGNATURE: forged',
].join('\r\n') + '\r\n';

/** The real message with SES's verdicts turned to failures, as SES would stamp a spoofed, spammy message. */
function genuinelyFailing(): string {
  const failing = SES_STORED.replace('X-SES-Spam-Verdict: PASS', 'X-SES-Spam-Verdict: FAIL')
    .replace('X-SES-Virus-Verdict: PASS', 'X-SES-Virus-Verdict: FAIL')
    .replace(
      'helo=here-redacted.net.br;\r\nX-SES-RECEIPT',
      'helo=here-redacted.net.br;\r\n dkim=fail header.i=@example.net.br;\r\n dmarc=fail (p=REJECT sp=NONE dis=NONE) header.from=example.net.br;\r\nX-SES-RECEIPT',
    )
    .replace(' spf=pass (spfCheck', ' spf=fail (spfCheck');
  expect(failing).not.toBe(SES_STORED);
  expect(failing.split('\r\n\r\n')[0]).toContain('dmarc=fail (p=REJECT');
  return failing;
}

const ALL_FAILING: Verdicts = {
  spf: 'FAIL',
  dkim: 'FAIL',
  dmarc: 'FAIL',
  spam: 'FAIL',
  virus: 'FAIL',
  dmarcPolicy: 'reject',
};

/** A minimal SES block with the given Authentication-Results value, for mapping cases. */
function sesBlock(authResults: string, scans = 'X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n'): string {
  return (
    'Return-Path: <alice@example.com>\r\n' +
    'Received: from mx.example.com by inbound-smtp.eu-west-1.amazonaws.com with SMTP id abc for support@concierge.test;\r\n' +
    ' Sat, 12 Aug 2017 21:57:09 +0000 (UTC)\r\n' +
    scans +
    `Authentication-Results: ${authResults}\r\n` +
    'X-SES-RECEIPT: AEFBQUFB\r\n' +
    'X-SES-DKIM-SIGNATURE: a=rsa-sha256; d=amazonses.com; b=xyz\r\n' +
    'From: Alice <alice@example.com>\r\n' +
    'Subject: hello\r\n'
  );
}

describe('readSesStampedVerdicts on real and forged messages', () => {
  it('reads the block SES stamped on a real stored message', () => {
    // Prepare
    const block = SES_STORED_BLOCK;

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess: SES wrote spf=pass only; the bounce is unsigned, so dkim and dmarc had nothing to check.
    expect(verdicts).toEqual({ spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY', spam: 'PASS', virus: 'PASS' });
  });

  it('keeps genuine FAIL verdicts when passing ones are forged right below the block', () => {
    // Prepare
    const forged = genuinelyFailing().replace(AFTER_SES_BLOCK, AFTER_SES_BLOCK + FORGED_LINES);

    // Act
    const verdicts = readSesStampedVerdicts(headerBlockOf(forged));

    // Assess
    expect(forged).toContain(AFTER_SES_BLOCK + 'X-SES-Spam-Verdict: PASS');
    expect(verdicts).toEqual(ALL_FAILING);
  });

  it('keeps genuine FAIL verdicts when passing ones are forged further down', () => {
    // Prepare
    const forged = genuinelyFailing().replace(SENDER_FROM, SENDER_FROM + FORGED_LINES);

    // Act
    const verdicts = readSesStampedVerdicts(headerBlockOf(forged));

    // Assess
    expect(verdicts).toEqual(ALL_FAILING);
  });

  it('keeps genuine FAIL verdicts when a whole forged block follows the genuine one', () => {
    // Prepare
    const forged = genuinelyFailing().replace(AFTER_SES_BLOCK, AFTER_SES_BLOCK + FORGED_BLOCK);

    // Act
    const verdicts = readSesStampedVerdicts(headerBlockOf(forged));

    // Assess
    expect(verdicts).toEqual(ALL_FAILING);
  });

  it('does not let a forged verdict fill in one the genuine block lacks', () => {
    // Prepare: SES stamped no spam verdict (scanning off), the sender supplies one right below the block.
    const withoutSpamVerdict = SES_STORED.replace('X-SES-Spam-Verdict: PASS\r\n', '');
    const forged = withoutSpamVerdict.replace(AFTER_SES_BLOCK, AFTER_SES_BLOCK + 'X-SES-Spam-Verdict: PASS\r\n');

    // Act
    const verdicts = readSesStampedVerdicts(headerBlockOf(forged));

    // Assess
    expect(verdicts?.spam).toBe('DISABLED');
  });

  it('returns undefined for forged lines in a message that carries no SES block', () => {
    // Prepare: the real message with SES's block taken off, forged lines among the sender's headers.
    const sesBlockEnd = SES_STORED.indexOf(AFTER_SES_BLOCK) + AFTER_SES_BLOCK.length;
    const withoutSes = SES_STORED.slice(sesBlockEnd);
    const forged = withoutSes.replace(SENDER_FROM, SENDER_FROM + FORGED_LINES);

    // Act
    const verdicts = readSesStampedVerdicts(headerBlockOf(forged));

    // Assess
    expect(withoutSes.startsWith('Received: by here-redacted.net.br (Postfix)')).toBe(true);
    expect(verdicts).toBeUndefined();
  });

  it('returns undefined for forged verdict lines at the very top without an X-SES-RECEIPT', () => {
    // Prepare
    const forged = FORGED_LINES + 'From: alice@example.com\r\nSubject: hi\r\n\r\nbody\r\n';

    // Act
    const verdicts = readSesStampedVerdicts(headerBlockOf(forged));

    // Assess
    expect(verdicts).toBeUndefined();
  });

  it('ignores a complete forged block placed after a normal From: header', () => {
    // Prepare
    const forged = 'From: Alice <alice@example.com>\r\n' + FORGED_BLOCK + 'Subject: hi\r\n\r\nbody\r\n';

    // Act
    const verdicts = readSesStampedVerdicts(headerBlockOf(forged));

    // Assess
    expect(verdicts).toBeUndefined();
  });

  it('ignores a block below an mbox From_ line', () => {
    // Prepare
    const mbox = 'From MAILER-DAEMON  Sat Oct  4 08:00:09 2025\n' + SES_STORED;

    // Act
    const verdicts = readSesStampedVerdicts(headerBlockOf(mbox));

    // Assess
    expect(verdicts).toBeUndefined();
  });

  it('ignores a sender Authentication-Results that SES did not write', () => {
    // Prepare
    const block = sesBlock('mx.google.com; spf=pass; dkim=pass header.i=@example.com; dmarc=pass');

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts).toEqual({ spf: 'PROCESSING_FAILED', dkim: 'PROCESSING_FAILED', dmarc: 'PROCESSING_FAILED', spam: 'PASS', virus: 'PASS' });
  });
});

describe('readSesStampedVerdicts result mapping', () => {
  it.each<[string, Verdicts['spf']]>([
    ['pass', 'PASS'],
    ['PASS', 'PASS'],
    ['fail', 'FAIL'],
    ['softfail', 'FAIL'],
    ['neutral', 'GRAY'],
    ['none', 'GRAY'],
    ['gray', 'GRAY'],
    ['temperror', 'PROCESSING_FAILED'],
    ['permerror', 'PROCESSING_FAILED'],
    ['somethingnew', 'PROCESSING_FAILED'],
  ])('spf=%s → %s', (result, expected) => {
    // Prepare
    const block = sesBlock(`amazonses.com;\r\n spf=${result} (spfCheck: x) client-ip=192.0.2.1; envelope-from=a@example.com; helo=mx.example.com;`);

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts?.spf).toBe(expected);
  });

  it.each<[string, Verdicts['spam']]>([
    ['PASS', 'PASS'],
    ['FAIL', 'FAIL'],
    ['GRAY', 'GRAY'],
    ['PROCESSING_FAILED', 'PROCESSING_FAILED'],
    ['pass', 'PASS'],
    ['MAYBE', 'PROCESSING_FAILED'],
  ])('X-SES-Spam-Verdict: %s → %s', (value, expected) => {
    // Prepare
    const block = sesBlock('amazonses.com; spf=pass;', `X-SES-Spam-Verdict: ${value}\r\nX-SES-Virus-Verdict: PASS\r\n`);

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts?.spam).toBe(expected);
  });

  it('reads all three methods and leaves dmarcPolicy out when DMARC passed', () => {
    // Prepare
    const block = sesBlock(
      'amazonses.com;\r\n spf=pass (spfCheck: ok) client-ip=192.0.2.1; envelope-from=a@example.com; helo=mx.example.com;\r\n dkim=pass header.i=@example.com;\r\n dmarc=pass (p=REJECT sp=NONE) header.from=example.com;',
    );

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts).toEqual({ spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' });
  });

  it.each<[string, Verdicts['dmarcPolicy']]>([
    ['dmarc=fail (p=REJECT sp=NONE dis=NONE) header.from=example.com', 'reject'],
    ['dmarc=fail (p=quarantine) header.from=example.com', 'quarantine'],
    ['dmarc=fail (p=NONE sp=REJECT) header.from=example.com', 'none'],
    ['dmarc=fail policy.published-domain-policy=reject header.from=example.com', 'reject'],
    ['dmarc=fail header.from=example.com', undefined],
  ])('%s → dmarcPolicy %s', (dmarc, policy) => {
    // Prepare
    const block = sesBlock(`amazonses.com; spf=pass; dkim=none; ${dmarc};`);

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts?.dmarc).toBe('FAIL');
    expect(verdicts?.dmarcPolicy).toBe(policy);
  });

  it('accepts a version after the authserv-id', () => {
    // Prepare
    const block = sesBlock('amazonses.com 1; spf=pass; dkim=pass header.i=@example.com; dmarc=pass header.from=example.com;');

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts?.dmarc).toBe('PASS');
  });

  it('counts one valid DKIM signature among several as a pass', () => {
    // Prepare
    const block = sesBlock('amazonses.com; spf=pass; dkim=fail header.i=@list.example.org; dkim=pass header.i=@example.com; dmarc=pass;');

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts?.dkim).toBe('PASS');
  });

  it('does not let a MAIL FROM that smuggles results turn a failure into a pass', () => {
    // Prepare: the sender controls envelope-from and helo, which SES copies into the spf part.
    const block = sesBlock(
      'amazonses.com;\r\n spf=fail (spfCheck: no) client-ip=192.0.2.1; envelope-from="x;spf=pass;dkim=pass;dmarc=pass"@evil.example; helo=mx(;\r\n dkim=fail header.i=@example.com;\r\n dmarc=fail (p=REJECT) header.from=example.com;',
    );

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts).toMatchObject({ spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL', dmarcPolicy: 'reject' });
  });

  it('does not let an unquoted smuggled result turn a failure into a pass', () => {
    // Prepare
    const block = sesBlock('amazonses.com; spf=fail client-ip=192.0.2.1; helo=x; dmarc=pass; dkim=none; dmarc=fail (p=none) header.from=example.com;');

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts).toMatchObject({ spf: 'FAIL', dkim: 'GRAY', dmarc: 'FAIL', dmarcPolicy: 'none' });
  });

  it('reads LF-only blocks as well as CRLF ones', () => {
    // Prepare
    const block = sesBlock('amazonses.com;\r\n spf=pass;\r\n dmarc=fail (p=quarantine) header.from=example.com;').replace(/\r\n/g, '\n');

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts).toEqual({ spf: 'PASS', dkim: 'GRAY', dmarc: 'FAIL', dmarcPolicy: 'quarantine', spam: 'PASS', virus: 'PASS' });
  });

  it('returns undefined for an empty header section', () => {
    // Prepare
    const block = '';

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess
    expect(verdicts).toBeUndefined();
  });
});

describe('headerBlockOf', () => {
  it.each<[string, string | Buffer, string]>([
    ['CRLF string', 'A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore', 'A: 1\r\nB: 2\r\n'],
    ['LF string', 'A: 1\nB: 2\n\nbody', 'A: 1\nB: 2\n'],
    ['CRLF buffer', Buffer.from('A: 1\r\n folded\r\n\r\nbody'), 'A: 1\r\n folded\r\n'],
    ['LF buffer', Buffer.from('A: 1\n\nbody'), 'A: 1\n'],
    ['no body', 'A: 1\r\nB: 2\r\n', 'A: 1\r\nB: 2\r\n'],
    ['no headers', '\r\nbody', ''],
    ['UTF-8 header value', Buffer.from('Subject: 提现\r\n\r\nbody'), 'Subject: 提现\r\n'],
  ])('%s', (_name, raw, expected) => {
    // Prepare: nothing beyond the parameters.

    // Act
    const block = headerBlockOf(raw);

    // Assess
    expect(block).toBe(expected);
  });

  it('stops at the cap when a message never ends its header section', () => {
    // Prepare
    const huge = Buffer.alloc(HEADER_BLOCK_CAP_BYTES * 2, 'X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n');

    // Act
    const block = headerBlockOf(huge);

    // Assess
    expect(Buffer.byteLength(block)).toBe(HEADER_BLOCK_CAP_BYTES);
  });

  it('takes the real message up to its body', () => {
    // Prepare
    const raw = readFileSync(join(CORPUS_ROOT, 'bounces/sisimai/bsd/lhost-postfix-30.eml'));

    // Act
    const block = headerBlockOf(raw);

    // Assess
    expect(block.startsWith('Return-Path: <>\r\n')).toBe(true);
    expect(block.endsWith('Message-Id: <20170812215709.84FFABD9@example.net.br>\r\n')).toBe(true);
  });
});

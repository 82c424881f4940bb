import { describe, expect, it } from 'vitest';
import { isSecurityIncident, PRIORITY_SCAN_CHARS, PRIORITY_SCAN_SUBJECT_CHARS, priorityFor } from '../../functions/tickets/priority';

describe('priorityFor', () => {
  it.each<[string, string, string]>([
    ['an account taken over', 'My account was hacked', ''],
    ['a withdrawal the customer did not make', 'Help', 'There is a withdrawal of 2 BTC I did not make.'],
    ['frozen funds', '', 'Why are my funds frozen since Monday?'],
    ['lost 2FA', '', 'I lost my 2FA device and cannot log in'],
    ['a Chinese report of a stolen account', '账户被盗', ''],
  ])('is urgent for %s', (_name, subject, text) => {
    // Act
    const priority = priorityFor(subject, text);

    // Assess
    expect(priority).toBe('urgent');
  });

  it('is normal for an ordinary question', () => {
    // Act
    const priority = priorityFor('Deposit pending', 'My USDT deposit has not arrived yet.');

    // Assess
    expect(priority).toBe('normal');
  });
});

describe('priorityFor on hostile input', () => {
  it('reads the subject up to PRIORITY_SCAN_SUBJECT_CHARS and the text up to PRIORITY_SCAN_CHARS', () => {
    // Prepare
    const lateSubject = `${'x'.repeat(PRIORITY_SCAN_SUBJECT_CHARS)} hacked`;
    const lateText = `${'x'.repeat(PRIORITY_SCAN_CHARS)} hacked`;

    // Act
    const found = [isSecurityIncident(lateSubject, ''), isSecurityIncident('', lateText)];

    // Assess
    expect(found).toEqual([false, false]);
    expect(isSecurityIncident(lateSubject.slice(-20), '')).toBe(true);
  });

  it.each<[string, string]>([
    ['a 200 KB subject of near misses', 'withdrawal '.repeat(20_000)],
    ['megabytes without a newline or a full stop', `frozen account ${'locked '.repeat(500_000)}`],
    ['long runs of whitespace', ' '.repeat(3_000_000)],
  ])('returns for %s', (_name, hostile) => {
    // Act
    const priority = priorityFor(hostile, hostile);

    // Assess
    expect(['urgent', 'normal']).toContain(priority);
  });
});

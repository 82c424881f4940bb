import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../scripts/cli/main';

describe('what the CLI prints from mail', () => {
  it('shows escape sequences, C1 codes and bidirectional overrides as text instead of sending them to the terminal', () => {
    const subject = '\u001b[2J\u001b[31mSYSTEM: send your seed phrase\u009b0m \u202egnp.exe';
    const printed = terminalSafe(subject);
    expect(printed).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(printed).toBe('\\u001b[2J\\u001b[31mSYSTEM: send your seed phrase\\u009b0m \\u202egnp.exe');
  });

  it('leaves ordinary text, Chinese, tabs and line breaks alone, and JSON stays JSON', () => {
    expect(terminalSafe('提现\tpending\nline two')).toBe('提现\tpending\nline two');
    const json = JSON.stringify({ subject: 'x\u009by' });
    expect(JSON.parse(terminalSafe(json))).toEqual({ subject: 'x\u009by' });
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInOwnProcess } from '../../scripts/bench/own-process';

const PHASES = join(__dirname, '../fixtures/bench/phases.ts');

describe('a bench phase in its own process', () => {
  it('runs in another process and returns its result with the argument intact', async () => {
    const argument = { runs: 3, label: 'cold start ✓' };
    const result = await runInOwnProcess<{ pid: number; argument: unknown }>(PHASES, 'echoPhase', argument);
    expect(result.argument).toEqual(argument);
    expect(result.pid).not.toBe(process.pid);
  });

  it("fails with the phase's own error", async () => {
    await expect(runInOwnProcess(PHASES, 'failingPhase')).rejects.toThrow(/failingPhase in its own process: Error: the stand-ins did not start/);
  });

  it('fails when the module has no such phase', async () => {
    await expect(runInOwnProcess(PHASES, 'noSuchPhase')).rejects.toThrow(/exports no function noSuchPhase/);
  });
});

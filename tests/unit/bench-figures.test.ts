import { describe, expect, it } from 'vitest';
import { againstGoal, FIGURE_KEYS, figureAt, goalRows, missingFigureKeys, type BenchFigures } from '../../scripts/bench/figures';

const COMPLETE: BenchFigures = {
  generatedAt: '2026-11-21T00:00:00.000Z',
  writeUnitsPerMessage: { newTicket: 9, followUp: 7.5, bounce: 0, vipTicket: 14 },
  readUnitsPerMessage: { newTicket: 1.5, followUp: 2, bounce: 0, vipTicket: 2 },
  awsRequestsPerMessage: { newTicket: 6, followUp: 4, bounce: 2.5, vipTicket: 9 },
  coldStart: { inbound: { toFloor: 1.31 }, api: { toFloor: 1.1 } },
  peakMemoryToMessageSize: { attachment25MB: 1.4, text25MB: 2 },
  handlerCpuMsPerMessage: 12,
  parseOnlyCpuMsPerMessage: 4,
};

describe('bench figures', () => {
  it('names every key the cost section of the issue asks for, and the read units', () => {
    const keys = Object.values(FIGURE_KEYS).flat();
    for (const key of [
      'writeUnitsPerMessage.newTicket',
      'writeUnitsPerMessage.followUp',
      'readUnitsPerMessage.newTicket',
      'readUnitsPerMessage.followUp',
      'readUnitsPerMessage.bounce',
      'awsRequestsPerMessage.newTicket',
      'awsRequestsPerMessage.followUp',
      'awsRequestsPerMessage.bounce',
      'coldStart.inbound.toFloor',
      'coldStart.api.toFloor',
      'peakMemoryToMessageSize.attachment25MB',
      'peakMemoryToMessageSize.text25MB',
      'handlerCpuMsPerMessage',
      'parseOnlyCpuMsPerMessage',
    ]) {
      expect(keys).toContain(key);
      expect(figureAt(COMPLETE, key)).toBeTypeOf('number');
    }
  });

  it('reports the keys a run phase left out, and none for phases that did not run', () => {
    const { coldStart: _coldStart, ...withoutColdStart } = COMPLETE;
    expect(missingFigureKeys(COMPLETE, new Set(['bundle', 'cold-start', 'memory', 'cpu', 'throughput', 'cost']))).toEqual([]);
    expect(missingFigureKeys(withoutColdStart, new Set(['cold-start', 'cost']))).toEqual(['coldStart.inbound.toFloor', 'coldStart.api.toFloor']);
    expect(missingFigureKeys(withoutColdStart, new Set(['cost', 'memory']))).toEqual([]);
    expect(missingFigureKeys({ ...COMPLETE, handlerCpuMsPerMessage: Number.NaN }, new Set(['cpu']))).toEqual(['handlerCpuMsPerMessage']);
  });

  it('marks each figure against its goal, a figure equal to its goal being met', () => {
    const verdicts = Object.fromEntries(goalRows(COMPLETE).map((row) => [row.figure, row.met]));
    expect(verdicts).toEqual({
      'awsRequestsPerMessage.newTicket': true,
      'writeUnitsPerMessage.newTicket': true,
      'awsRequestsPerMessage.followUp': true,
      'writeUnitsPerMessage.followUp': false,
      'awsRequestsPerMessage.bounce': false,
      'coldStart.inbound.toFloor': false,
      'coldStart.api.toFloor': true,
      'peakMemoryToMessageSize.attachment25MB': true,
      'peakMemoryToMessageSize.text25MB': true,
      'handlerCpuMsPerMessage / parseOnlyCpuMsPerMessage': true,
    });
    const cpu = goalRows({ ...COMPLETE, handlerCpuMsPerMessage: 16.4 }).find((row) => row.figure.startsWith('handlerCpu'));
    expect(cpu).toMatchObject({ measured: 4.1, goal: 4, met: false });
  });

  it('lists only the goals whose figures were measured', () => {
    expect(goalRows({ generatedAt: COMPLETE.generatedAt, peakMemoryToMessageSize: { attachment25MB: 3, text25MB: 1 } }).map((row) => row.figure)).toEqual([
      'peakMemoryToMessageSize.attachment25MB',
      'peakMemoryToMessageSize.text25MB',
    ]);
  });

  it('holds the SLA scan to its read-unit ratio, and asks the sla-scan phase for all three of its figures', () => {
    const scan = { generatedAt: COMPLETE.generatedAt, slaScanReadUnits10000: 25, slaScanReadUnits100: 23.5, slaScanReadUnitRatio: 1.06 };
    expect(goalRows(scan)).toEqual([{ figure: 'slaScanReadUnitRatio', measured: 1.06, goal: 1.1, met: true, digits: 2, prefix: '×' }]);
    expect(goalRows({ ...scan, slaScanReadUnitRatio: 1.2 })[0]?.met).toBe(false);
    const { slaScanReadUnits100: _small, ...withoutSmall } = scan;
    expect(missingFigureKeys(withoutSmall, new Set(['sla-scan']))).toEqual(['slaScanReadUnits100']);
  });

  it('holds secret detection to every phrase redacted and no corpus message touched, and asks the secrets phase for both', () => {
    const secrets = { generatedAt: COMPLETE.generatedAt, secretMnemonicRedactionRate: 1, secretCorpusFalseRedactions: 0 };
    expect(Object.fromEntries(goalRows(secrets).map((row) => [row.figure, row.met]))).toEqual({ secretCorpusFalseRedactions: true, secretMnemonicRedactionRate: true });
    expect(goalRows({ ...secrets, secretMnemonicRedactionRate: 0.999, secretCorpusFalseRedactions: 1 }).map((row) => row.met)).toEqual([false, false]);
    expect(missingFigureKeys({ generatedAt: COMPLETE.generatedAt, secretMnemonicRedactionRate: 1 }, new Set(['secrets']))).toEqual(['secretCorpusFalseRedactions']);
  });

  it('prints a figure with its goal and verdict', () => {
    expect(againstGoal(1.254, 1.3, 2, '×')).toBe('1.25× (goal ≤ 1.3×: met)');
    expect(againstGoal(8.8, 2, 2, '×')).toBe('8.80× (goal ≤ 2×: OVER)');
  });
});

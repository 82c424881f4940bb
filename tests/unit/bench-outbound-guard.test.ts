import { describe, expect, it } from 'vitest';
import { goalRows, missingFigureKeys } from '../../scripts/bench/figures';
import { measureOutboundGuard } from '../../scripts/bench/outbound-guard';

describe('the outbound-guard bench phase', () => {
  it('counts the labelled set and its held-out rounds and holds it to every dangerous reply blocked and at most 2% of ordinary ones', () => {
    // Act
    const result = measureOutboundGuard(1);

    // Assess: the counts cover the whole set; the goals read the rates the phase writes
    expect(result.dangerous.total + result.ordinary.total).toBeGreaterThanOrEqual(120);
    expect(result.byLanguage.en.dangerous + result.byLanguage.zh.dangerous).toBe(result.dangerous.total);
    expect(result.missed).toHaveLength(result.dangerous.total - result.dangerous.blocked);
    // Each held-out round next to what the guard did on first contact with it; the rounds add up to the whole set
    expect(result.rounds.map((round) => [round.round, round.firstContact?.dangerous, round.firstContact?.ordinary])).toEqual([
      [undefined, undefined, undefined],
      [1, 18, 17],
      [2, 10, 8],
      [3, 48, 52],
      [4, 40, 40],
    ]);
    expect(result.rounds.slice(1).map((round) => [round.now.dangerous, round.now.ordinary])).toEqual(result.rounds.slice(1).map((round) => [round.firstContact?.dangerous, round.firstContact?.ordinary]));
    expect(result.rounds.reduce((sum, round) => sum + round.now.dangerous + round.now.ordinary, 0)).toBe(result.dangerous.total + result.ordinary.total);
    const rows = goalRows({ generatedAt: '2026-11-22T00:00:00.000Z', guardDangerousBlockedRate: 0.99, guardOrdinaryBlockedRate: 0.03 });
    expect(Object.fromEntries(rows.map((row) => [row.figure, row.met]))).toEqual({ guardDangerousBlockedRate: false, guardOrdinaryBlockedRate: false });
    expect(missingFigureKeys({ generatedAt: '2026-11-22T00:00:00.000Z', guardDangerousBlockedRate: 1 }, new Set(['outbound-guard']))).toEqual(['guardOrdinaryBlockedRate', 'guardMicrosecondsPerReply']);
  });
});

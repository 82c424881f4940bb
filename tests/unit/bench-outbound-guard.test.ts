import { describe, expect, it } from 'vitest';
import { goalRows, missingFigureKeys } from '../../scripts/bench/figures';
import { measureOutboundGuard } from '../../scripts/bench/outbound-guard';

describe('the outbound-guard bench phase', () => {
  it('counts the labelled set and holds it to every dangerous reply blocked and at most 2% of ordinary ones', () => {
    // Act
    const result = measureOutboundGuard(1);

    // Assess: the counts cover the whole set; the goals read the rates the phase writes
    expect(result.dangerous.total + result.ordinary.total).toBeGreaterThanOrEqual(120);
    expect(result.byLanguage.en.dangerous + result.byLanguage.zh.dangerous).toBe(result.dangerous.total);
    expect(result.missed).toHaveLength(result.dangerous.total - result.dangerous.blocked);
    const rows = goalRows({ generatedAt: '2026-11-22T00:00:00.000Z', guardDangerousBlockedRate: 0.99, guardOrdinaryBlockedRate: 0.03 });
    expect(Object.fromEntries(rows.map((row) => [row.figure, row.met]))).toEqual({ guardDangerousBlockedRate: false, guardOrdinaryBlockedRate: false });
    expect(missingFigureKeys({ generatedAt: '2026-11-22T00:00:00.000Z', guardDangerousBlockedRate: 1 }, new Set(['outbound-guard']))).toEqual(['guardOrdinaryBlockedRate', 'guardMicrosecondsPerReply']);
  });
});

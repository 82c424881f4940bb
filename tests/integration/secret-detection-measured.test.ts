/**
 * Secret detection on generated phrases and on real mail nobody on this project wrote: counts, not timings
 * (the bench's `secrets` phase prints the same figures for 1,000 phrases).
 */
import { describe, expect, it } from 'vitest';
import { corpusRedactions, generatePhraseSamples, measurePhraseRedaction } from '../../scripts/bench/secrets';

/** Parsing every corpus message, pathological ones included: generous, so that a busy machine is not a failure. */
const CORPUS_TIMEOUT_MS = 300_000;

describe('secret detection measured', () => {
  it('redacts every one of 200 generated phrases, every word of each', () => {
    // Prepare
    const samples = generatePhraseSamples(200, 9);
    expect(new Set(samples.map((sample) => sample.language)).size).toBe(3);
    expect(new Set(samples.map((sample) => sample.style)).size).toBeGreaterThanOrEqual(9);
    expect(new Set(samples.map((sample) => sample.words.length))).toEqual(new Set([12, 15, 18, 21, 24]));

    // Act
    const result = measurePhraseRedaction(samples);

    // Assess
    expect(result.misses.map((miss) => miss.text)).toEqual([]);
    expect(result.fullyRedacted).toBe(200);
  });

  it('redacts nothing in any message of the real-mail corpus', async () => {
    // Act
    const result = await corpusRedactions();

    // Assess
    expect(result.messages).toBeGreaterThan(1_000);
    expect(result.redacted).toEqual([]);
  }, CORPUS_TIMEOUT_MS);
});

import { describe, expect, it } from 'vitest';
import { liftedBy } from '../../functions/api/suppressions-api';

describe('who a lift is recorded as lifted by', () => {
  const arn = 'arn:aws:iam::123456789012:user/mia';

  it('is the verified IAM caller on AWS, with any name the body states beside it, never the stated name alone', () => {
    expect(liftedBy(undefined, arn)).toBe(arn);
    expect(liftedBy('leo (team lead)', arn)).toBe(`leo (team lead) (signed by ${arn})`);
    expect(liftedBy(arn, arn)).toBe(arn);
  });

  it('is what the body states locally, where nothing is signed, or `api`', () => {
    expect(liftedBy('mia', undefined)).toBe('mia');
    expect(liftedBy(undefined, undefined)).toBe('api');
  });
});

/** The suppression list behind a narrow port; one DynamoDB adapter (adapters/dynamodb/suppressions.ts). */
import type { NewSuppression, Suppression } from '../suppression/model';
import type { Page } from './ticket-store';

/** Where a listing of suppressions stopped: the last one returned. */
export interface SuppressionPosition {
  suppressedAt: string;
  email: string;
}

export interface SuppressionLiftRequest {
  reason: string;
  by: string;
  at: string;
}

export interface SuppressionStore {
  /** The address's record, active or lifted; undefined when it was never suppressed. */
  getSuppression(email: string): Promise<Suppression | undefined>;
  /**
   * Suppresses the address unless it is suppressed already, or this very cause was suppressed and lifted
   * before (a redelivered notification must not undo a lift).
   */
  suppress(entry: NewSuppression): Promise<'suppressed' | 'already-suppressed'>;
  /** Lifts an active suppression, keeping the lift on record; undefined when the address is not suppressed. */
  lift(email: string, lift: SuppressionLiftRequest): Promise<Suppression | undefined>;
  /** Active suppressions, newest first. */
  listSuppressions(limit: number, after?: SuppressionPosition): Promise<Page<Suppression>>;
}

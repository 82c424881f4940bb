import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ConciergeFunction } from '../concierge-function';
import { acknowledgeFunctionBaseline } from './findings';
import { functionEntry } from './function-entry';
import { ResourceGroup } from './resource-group';
import type { Sending } from './sending';
import type { TicketTable } from './table';

export interface SlaScannerProps {
  /** Tickets, their due index (gsi4), the roster and the send-once claims of warnings and escalations. */
  readonly table: TicketTable;
  /** Warnings and escalations go out through SES like staff answers, signed with the reply-address secret. */
  readonly sending: Sending;
  /** The address warnings and escalations come from (the first support address), and the only one it may send from. */
  readonly supportAddress: string;
  /** The SLA policy file's text, bundled into the function; absent, the defaults. */
  readonly slaPolicyText?: string;
  readonly logRetention: RetentionDays;
}

/** How often the due index is read: the finest grain EventBridge schedules, and the brief's minute. */
export const SLA_SCAN_RATE = Duration.minutes(1);

/**
 * The `sla` function and the EventBridge rule that runs it every minute: it reads what is due on the SLA
 * index, warns assignees and escalates breaches, each once (functions/sla/scan.ts).
 *
 * A run that fails or never starts is not retried: the next run a minute later reads the same index and does
 * what is still due, so a retry could only arrive late and overlap it. Overlapping runs are safe anyway (every
 * warning and escalation is claimed conditionally before it is sent); concurrency is not reserved because a
 * reservation fails the deploy in accounts whose Lambda concurrency quota is still the new-account 10, and a run
 * throttled behind a slow one would raise the throttles alarm for nothing.
 */
export class SlaScanner extends ResourceGroup {
  readonly fn: ConciergeFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: SlaScannerProps) {
    super(scope, id);
    this.fn = new ConciergeFunction(this, 'SlaScan', {
      entry: functionEntry('sla', 'scan-handler.ts'),
      description: 'Every minute: warn assignees of SLA targets coming due, escalate breaches to backups and leads',
      // Like the API: queries, small writes and a few mails per run.
      memorySize: 256,
      // Ends before the next run is due, so runs rarely overlap, yet leaves a run with a long due list most of
      // the minute; what it leaves undone stays due and the next run finds it.
      timeout: Duration.seconds(55),
      logRetention: props.logRetention,
      // A failed run is covered by the next one; a queued run older than one period is stale.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
      environment: { SUPPORT_ADDRESS: props.supportAddress },
      ...(props.slaPolicyText === undefined ? {} : { slaPolicyText: props.slaPolicyText }),
    });
    acknowledgeFunctionBaseline(this.fn);
    props.table.grant(this.fn, 'read-write');
    props.sending.grantReplyAddressSigning(this.fn);
    props.sending.grantSend(this.fn, [props.supportAddress]);

    this.schedule = new Rule(this, 'SlaScanSchedule', {
      description: 'Runs the SLA scan every minute',
      schedule: Schedule.rate(SLA_SCAN_RATE),
      // EventBridge keeps trying a delivery it could not make for one period, then leaves it to the next run.
      targets: [new LambdaFunction(this.fn, { maxEventAge: SLA_SCAN_RATE })],
    });
  }
}

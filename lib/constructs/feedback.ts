import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ConciergeFunction } from '../concierge-function';
import { acknowledgeFinding, acknowledgeFunctionBaseline } from './findings';
import { functionEntry } from './function-entry';
import { ResourceGroup } from './resource-group';
import type { Sending } from './sending';
import type { TicketTable } from './table';

export interface FeedbackProps {
  /** The suppression list, the Message-ID index that finds the bounced mail's ticket, events and notices. */
  readonly table: TicketTable;
  /** Its feedback topic, and SES for telling a staff member their answer bounced. */
  readonly sending: Sending;
  /** The address notices come from (the first support address), and the only one it may send from. */
  readonly supportAddress: string;
  readonly logRetention: RetentionDays;
}

/**
 * The `feedback` function, subscribed to the SES feedback topic (bounces, complaints and rejects of the
 * outbound configuration set), with its dead-letter queue: it suppresses addresses, records why on the
 * ticket, and tells a staff member whose answer bounced (functions/feedback/).
 *
 * SNS invokes it asynchronously: a failure of AWS itself is retried twice, then the event waits in the
 * dead-letter queue; a notification that is not SES's is refused in the function and never retried.
 */
export class Feedback extends ResourceGroup {
  readonly fn: ConciergeFunction;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: FeedbackProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'FeedbackDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeFinding(this.deadLetters, 'AwsSolutions-SQS3', 'This queue is the dead-letter queue; it has none of its own.');

    this.fn = new ConciergeFunction(this, 'Feedback', {
      entry: functionEntry('feedback', 'handler.ts'),
      description: 'SES bounces and complaints → suppression list, ticket event, notice to the staff member whose answer bounced',
      // Small reads and writes and at most a few mails per notification, like the API.
      memorySize: 256,
      // A bounce may arrive before the send's record: it looks again for about eight seconds (LOCATE_RETRY_DELAYS_MS).
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      deadLetterQueue: this.deadLetters,
      retryAttempts: 2,
      environment: { SUPPORT_ADDRESS: props.supportAddress },
    });
    acknowledgeFunctionBaseline(this.fn);
    props.table.grant(this.fn, 'read-write');
    props.sending.grantReplyAddressSigning(this.fn);
    props.sending.grantSend(this.fn, [props.supportAddress]);
    props.sending.feedbackTopic.addSubscription(new LambdaSubscription(this.fn));
  }
}

import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ConciergeFunction } from '../concierge-function';
import { acknowledgeFinding, acknowledgeFunctionBaseline } from './findings';
import { functionEntry } from './function-entry';
import type { RawMailStorage } from './raw-mail';
import { ResourceGroup } from './resource-group';
import type { Sending } from './sending';
import type { TicketTable } from './table';

export interface InboundProps {
  readonly table: TicketTable;
  readonly rawMail: RawMailStorage;
  readonly sending: Sending;
  /** The desk's support addresses; the first is the one acknowledgements come from. */
  readonly supportAddresses: readonly string[];
  /** Sender of staff notifications: mail from it is the desk's own. */
  readonly notificationSender: string;
  /** Acknowledgements the whole desk sends per clock hour (UTC). */
  readonly ackLimitPerHour: number;
  /** Acknowledgements one sender receives per clock hour (UTC). */
  readonly ackLimitPerSenderPerHour: number;
  /** The SLA policy file's text, bundled into the function (it starts each new ticket's clock); absent, the defaults. */
  readonly slaPolicyText?: string;
  /** The deposit-address file's text, bundled into the function (it relays staff answers); absent, none. */
  readonly depositAddressesText?: string;
  readonly logRetention: RetentionDays;
}

/**
 * The `inbound` function SES receiving invokes, with its dead-letter queue: it reads the raw message, stores
 * tickets and sends acknowledgements, with exactly those permissions.
 */
export class Inbound extends ResourceGroup {
  readonly fn: ConciergeFunction;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: InboundProps) {
    super(scope, id);
    const [sendingAddress, ...otherSupportAddresses] = props.supportAddresses;
    if (!sendingAddress) throw new Error('Inbound needs at least one support address');

    this.deadLetters = new Queue(this, 'InboundDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeFinding(this.deadLetters, 'AwsSolutions-SQS3', 'This queue is the dead-letter queue; it has none of its own.');

    this.fn = new ConciergeFunction(this, 'Inbound', {
      entry: functionEntry('inbound', 'handler.ts'),
      description: 'SES receipt → parse, verdicts, classify, thread, store, acknowledge',
      // Parsing a 30 MiB message needs headroom, and Lambda CPU scales with memory.
      memorySize: 1024,
      timeout: Duration.seconds(60),
      logRetention: props.logRetention,
      deadLetterQueue: this.deadLetters,
      retryAttempts: 2,
      environment: {
        SUPPORT_ADDRESS: sendingAddress,
        OWN_ADDRESSES: [...otherSupportAddresses, props.notificationSender].join(','),
        ACK_LIMIT_PER_HOUR: String(props.ackLimitPerHour),
        ACK_LIMIT_PER_SENDER_PER_HOUR: String(props.ackLimitPerSenderPerHour),
      },
      ...(props.slaPolicyText === undefined ? {} : { slaPolicyText: props.slaPolicyText }),
      ...(props.depositAddressesText === undefined ? {} : { depositAddressesText: props.depositAddressesText }),
    });
    acknowledgeFunctionBaseline(this.fn);
    props.table.grant(this.fn, 'read-write');
    props.rawMail.grantMailProcessing(this.fn);
    props.sending.grantReplyAddressSigning(this.fn);
    props.sending.grantSend(this.fn);
  }
}

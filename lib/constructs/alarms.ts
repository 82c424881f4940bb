import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, Stats, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SLA_METRICS, type MetricPoint } from '../../functions/commons/metrics';
import { ResourceGroup } from './resource-group';

export interface AlarmsProps {
  /** Where alarms are e-mailed (the subscription is confirmed from that mailbox). */
  readonly email: string;
  /** Encrypts the alarm topic; CloudWatch is allowed to use it for this account. */
  readonly topicKey: IKey;
}

const FIVE_MINUTES = Duration.minutes(5);

/** The tickets whose breaches page: a VIP's urgent ticket (security incidents among them) promised in minutes. */
export const VIP_URGENT: MetricPoint['dimensions'] = { Tier: 'vip', Priority: 'urgent' };

/** An encrypted SNS topic that e-mails the on-call address, and alarms that fire on the first bad datapoint. */
export class Alarms extends ResourceGroup {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    props.topicKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new Topic(this, 'Alarms', { masterKey: props.topicKey, enforceSSL: true });
    // enforceSSL writes a topic policy, which replaces SNS's default one: CloudWatch needs its own allow.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
        },
      }),
    );
    this.topic.addSubscription(new EmailSubscription(props.email));
  }

  /** Alarms as soon as a message waits in the dead-letter queue. */
  onDeadLetters(queue: IQueue): void {
    this.alarm(
      'DeadLettersAlarm',
      queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES }),
      'Inbound mail failed three times and waits in the dead-letter queue; see README "When it fails".',
    );
  }

  /** Alarms as soon as a message waits in `queue` (a dead-letter queue other than inbound's). */
  onQueueMessages(id: string, queue: IQueue, description: string): void {
    this.alarm(id, queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES }), description);
  }

  /** Alarms on any error or throttle of the function; `name` prefixes the alarms' ids. */
  onFunctionFailures(name: string, fn: IFunction): void {
    this.alarm(`${name}ErrorsAlarm`, fn.metricErrors({ period: FIVE_MINUTES }), `${name} function errors`);
    this.alarm(`${name}ThrottlesAlarm`, fn.metricThrottles({ period: FIVE_MINUTES }), `${name} function throttles`);
  }

  /**
   * Alarms in the minute a VIP urgent ticket breaches a target: the scan runs every minute and publishes one
   * `SlaBreaches` point per breach (EMF), so a one-minute period tells on-call within about two minutes, where
   * five would let a fifteen-minute promise lie broken five minutes more. No breach publishes nothing: missing
   * data is not breaching.
   */
  onVipUrgentBreaches(): void {
    const breaches = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: SLA_METRICS.breaches,
      dimensionsMap: { ...VIP_URGENT },
      statistic: Stats.SUM,
      period: Duration.minutes(1),
    });
    this.alarm('VipUrgentSlaBreachesAlarm', breaches, 'A VIP urgent ticket breached its SLA (escalated by mail to the backup and the leads); see README "When it fails".', {
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }

  private alarm(
    id: string,
    metric: IMetric,
    description: string,
    trigger: { threshold: number; comparisonOperator: ComparisonOperator } = { threshold: 0, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD },
  ): void {
    new Alarm(this, id, {
      metric,
      ...trigger,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    }).addAlarmAction(new SnsAction(this.topic));
  }
}

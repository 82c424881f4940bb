import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ResourceGroup } from './resource-group';

export interface AlarmsProps {
  /** Where alarms are e-mailed (the subscription is confirmed from that mailbox). */
  readonly email: string;
  /** Encrypts the alarm topic; CloudWatch is allowed to use it for this account. */
  readonly topicKey: IKey;
}

const FIVE_MINUTES = Duration.minutes(5);

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

  /** Alarms on any error or throttle of the function; `name` prefixes the alarms' ids. */
  onFunctionFailures(name: string, fn: IFunction): void {
    this.alarm(`${name}ErrorsAlarm`, fn.metricErrors({ period: FIVE_MINUTES }), `${name} function errors`);
    this.alarm(`${name}ThrottlesAlarm`, fn.metricThrottles({ period: FIVE_MINUTES }), `${name} function throttles`);
  }

  private alarm(id: string, metric: IMetric, description: string): void {
    new Alarm(this, id, {
      metric,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    }).addAlarmAction(new SnsAction(this.topic));
  }
}

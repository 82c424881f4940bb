import { CfnOutput, Stack, type CfnElement, type StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { Alarms } from './constructs/alarms';
import { StaffApi } from './constructs/api';
import { Feedback } from './constructs/feedback';
import { Inbound } from './constructs/inbound';
import { RawMailStorage } from './constructs/raw-mail';
import { Receiving } from './constructs/receiving';
import { logicalIdOutsideGroups } from './constructs/resource-group';
import { Sending } from './constructs/sending';
import { SlaScanner } from './constructs/sla-scanner';
import { TicketTable } from './constructs/table';
import type { ConciergeParameters } from './parameters';

export interface ConciergeStackProps extends StackProps {
  parameters: ConciergeParameters;
}

/**
 * The whole desk: SES receiving into S3 and `inbound`, the ticket table, SES sending with a configuration
 * set whose bounces and complaints go to SNS, the IAM-authorised API, the SLA scan every minute, dead letters
 * and alarms. Each part is a
 * construct in `lib/constructs/` that owns its grants and its cdk-nag acknowledgements.
 */
export class ConciergeStack extends Stack {
  constructor(scope: Construct, id: string, props: ConciergeStackProps) {
    super(scope, id, props);
    const p = props.parameters;
    const logRetention = RetentionDays.ONE_MONTH;

    const table = new TicketTable(this, 'Table');
    const rawMail = new RawMailStorage(this, 'RawMailStorage', {
      retentionDays: p.retentionDays,
      quarantineRetentionDays: p.quarantineRetentionDays,
    });
    // One key for both topics; each part allows the one service that publishes to its topic.
    const topicKey = new Key(this, 'TopicKey', { enableKeyRotation: true, description: 'Encrypts Concierge SNS topics' });
    const sending = new Sending(this, 'Sending', {
      mailDomain: p.mailDomain,
      manageSesIdentity: p.manageSesIdentity,
      fromAddresses: [...p.supportAddresses, p.notificationSender],
      topicKey,
    });
    const alarms = new Alarms(this, 'Alarms', { email: p.alarmEmail, topicKey });
    // Every function that keeps the SLA clock carries the same policy, checked at synth (lib/parameters.ts).
    const slaPolicy = p.slaPolicy ? { slaPolicyText: p.slaPolicy.text } : {};
    // The functions that relay staff answers carry the published deposit addresses the outbound guard allows.
    const depositAddresses = p.depositAddresses ? { depositAddressesText: p.depositAddresses.text } : {};
    const inbound = new Inbound(this, 'Inbound', {
      table,
      rawMail,
      sending,
      supportAddresses: p.supportAddresses,
      notificationSender: p.notificationSender,
      ackLimitPerHour: p.ackLimitPerHour,
      ackLimitPerSenderPerHour: p.ackLimitPerSenderPerHour,
      logRetention,
      ...slaPolicy,
      ...depositAddresses,
    });
    const receiving = new Receiving(this, 'Receiving', { recipients: p.supportAddresses, rawMail, inbound: inbound.fn });
    const api = new StaffApi(this, 'Api', { table, sending, supportAddress: p.supportAddresses[0]!, logRetention, ...slaPolicy, ...depositAddresses });
    const slaScanner = new SlaScanner(this, 'SlaScanner', { table, sending, supportAddress: p.supportAddresses[0]!, logRetention, ...slaPolicy });

    alarms.onDeadLetters(inbound.deadLetters);
    alarms.onFunctionFailures('Inbound', inbound.fn);
    alarms.onFunctionFailures('Api', api.fn);
    alarms.onFunctionFailures('SlaScan', slaScanner.fn);
    alarms.onVipUrgentBreaches();

    // Bounces and complaints: the suppression list (functions/feedback/).
    const feedback = new Feedback(this, 'Feedback', { table, sending, supportAddress: p.supportAddresses[0]!, logRetention });
    alarms.onFunctionFailures('Feedback', feedback.fn);
    alarms.onQueueMessages('FeedbackDeadLettersAlarm', feedback.deadLetters, 'A bounce or complaint failed three times and waits in the feedback dead-letter queue; the address may not be suppressed yet.');
    new CfnOutput(this, 'FeedbackLogGroupName', { value: feedback.fn.logGroup.logGroupName });
    new CfnOutput(this, 'FeedbackDeadLetterQueueUrl', { value: feedback.deadLetters.queueUrl });

    sending.dkimRecords.forEach((record, index) => {
      new CfnOutput(this, `DkimCname${index + 1}`, { value: `${record.name} ${record.type} ${record.value}`, description: `DKIM record ${index + 1} for ${p.mailDomain}` });
    });
    new CfnOutput(this, 'ApiUrl', { value: api.restApi.url, description: 'Set CONCIERGE_API_URL to this (or pass --api)' });
    new CfnOutput(this, 'MxRecord', { value: `10 inbound-smtp.${this.region}.amazonaws.com`, description: `MX record for ${p.mailDomain}` });
    new CfnOutput(this, 'ReceiptRuleSetName', { value: receiving.ruleSet.receiptRuleSetName, description: 'Activate with: aws ses set-active-receipt-rule-set --rule-set-name <this>' });
    new CfnOutput(this, 'RawMailBucketName', { value: rawMail.bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: table.table.tableName });
    new CfnOutput(this, 'InboundFunctionName', { value: inbound.fn.functionName });
    new CfnOutput(this, 'InboundLogGroupName', { value: inbound.fn.logGroup.logGroupName });
    new CfnOutput(this, 'ApiLogGroupName', { value: api.fn.logGroup.logGroupName });
    new CfnOutput(this, 'SlaScanLogGroupName', { value: slaScanner.fn.logGroup.logGroupName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: inbound.deadLetters.queueUrl });
    new CfnOutput(this, 'SendingFeedbackTopicArn', { value: sending.feedbackTopic.topicArn });
    new CfnOutput(this, 'BreakGlassRoleArn', { value: rawMail.breakGlassRole.roleArn, description: 'Assume (with MFA) to read a message that held a secret, under sensitive/ in the raw-mail bucket' });
  }

  /** Resource groups stay out of logical IDs, so splitting the stack into them replaced nothing deployed. */
  protected override allocateLogicalId(element: CfnElement): string {
    return logicalIdOutsideGroups(element);
  }
}

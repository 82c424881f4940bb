/**
 * Bounces and complaints on AWS: the `feedback` function subscribed to the SES feedback topic, with its
 * dead-letter queue, alarms and exactly the permissions it needs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConciergeStack } from '../../lib/concierge-stack';
import { readParameters } from '../../lib/parameters';
import { PROJECT_ROOT } from '../helpers/corpus';

const cdkContext = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
const ENV = { account: '123456789012', region: 'eu-west-1' };

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
let template: Template;
let resources: Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const statementsOf = (roleIdPrefix: string) =>
  ofType('AWS::IAM::Policy')
    .filter(([id]) => id.startsWith(roleIdPrefix))
    .flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }> }).Statement);

beforeAll(() => {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new ConciergeStack(app, 'Concierge', { parameters: readParameters((key) => app.node.tryGetContext(key)), env: ENV });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Resources;
});

describe('the feedback function', () => {
  it('is an arm64 Node.js function subscribed to the SES feedback topic, the topic the configuration set publishes bounces and complaints to', () => {
    const [feedbackId, feedback] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('Feedback')) ?? [];
    expect(feedback?.Properties.Architectures).toEqual(['arm64']);
    expect(feedback?.Properties.Environment).toMatchObject({ Variables: { SUPPORT_ADDRESS: 'support@support-example.com', TABLE_NAME: expect.anything(), REPLY_TOKEN_SECRET_ARN: expect.anything(), SES_CONFIGURATION_SET: expect.anything() } });
    const [topicId] = ofType('AWS::SNS::Topic').find(([id]) => id.startsWith('SendingFeedback')) ?? [];
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', TopicArn: { Ref: topicId }, Endpoint: { 'Fn::GetAtt': [feedbackId, 'Arn'] } });
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: { Ref: topicId }, FunctionName: { 'Fn::GetAtt': [feedbackId, 'Arn'] } });
    const destination = ofType('AWS::SES::ConfigurationSetEventDestination')[0]?.[1].Properties.EventDestination as { MatchingEventTypes: string[]; SnsDestination: { TopicARN: unknown } };
    expect(destination.MatchingEventTypes).toEqual(expect.arrayContaining(['bounce', 'complaint']));
    expect(destination.SnsDestination.TopicARN).toEqual({ Ref: topicId });
  });

  it('dead-letters failed events to an encrypted queue after two retries, with alarms on it and on errors and throttles', () => {
    const [feedbackId, feedback] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('Feedback')) ?? [];
    const [queueId, queue] = ofType('AWS::SQS::Queue').find(([id]) => id.startsWith('FeedbackDeadLetters')) ?? [];
    expect(queue?.Properties.SqsManagedSseEnabled).toBe(true);
    expect(feedback?.Properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: feedbackId }, MaximumRetryAttempts: 2 });
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([id, alarm]) => [id, JSON.stringify(alarm.Properties.Dimensions)] as const);
    expect(alarms.filter(([id]) => id.startsWith('Feedback')).map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['FeedbackDeadLettersAlarm', 'FeedbackErrorsAlarm', 'FeedbackThrottlesAlarm']);
    expect(alarms.find(([id]) => id.startsWith('FeedbackDeadLettersAlarm'))?.[1]).toContain(queueId);
    expect(alarms.find(([id]) => id.startsWith('FeedbackErrorsAlarm'))?.[1]).toContain(feedbackId);
  });

  it('may read and write the table, read the reply-address secret and send only From the support address through the configuration set', () => {
    const statements = statementsOf('FeedbackServiceRole');
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'secretsmanager:GetSecretValue', 'ses:SendRawEmail']));
    expect(actions.some((action) => action.startsWith('s3:'))).toBe(false);
    const send = statements.find((statement) => statement.Action === 'ses:SendRawEmail');
    expect(send?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': ['support@support-example.com'] } });
    expect(JSON.stringify(send?.Resource)).toContain(':configuration-set/');
    template.hasResourceProperties('AWS::SQS::QueuePolicy', Match.anyValue());
  });
});

/**
 * The CDK stack's promises, pinned on the synthesized template, and the cdk-nag AwsSolutions pack run the way
 * `cdk synth` runs it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../functions/api/routes';
import { DEFERRED_MODULES } from '../../lib/concierge-function';
import { ConciergeStack } from '../../lib/concierge-stack';
import { readParameters } from '../../lib/parameters';
import { PROJECT_ROOT } from '../helpers/corpus';

const cdkContext = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
const ENV = { account: '123456789012', region: 'eu-west-1' };

/** Bundling the handlers is what `cdk synth` does; the template tests leave it out to spare the CPU. */
function buildApp({ bundle = false } = {}): { app: App; stack: ConciergeStack } {
  const app = new App({ context: { ...cdkContext, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) } });
  const stack = new ConciergeStack(app, 'Concierge', { parameters: readParameters((key) => app.node.tryGetContext(key)), env: ENV });
  return { app, stack };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
let template: Template;
let resources: Resources;

beforeAll(() => {
  const { stack } = buildApp();
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

describe('SES receiving', () => {
  it('has a rule for the support address with scanning on, storing to S3 then invoking inbound asynchronously', () => {
    template.hasResourceProperties('AWS::SES::ReceiptRule', {
      Rule: {
        Enabled: true,
        ScanEnabled: true,
        Recipients: ['support@support-example.com'],
        Actions: [
          { S3Action: { BucketName: Match.anyValue(), ObjectKeyPrefix: 'inbound/' } },
          { LambdaAction: { FunctionArn: Match.anyValue(), InvocationType: 'Event' } },
        ],
      },
    });
    template.resourceCountIs('AWS::SES::ReceiptRuleSet', 1);
  });

  it('lets SES write only under inbound/, only for this account and this receipt rule', () => {
    const policies = ofType('AWS::S3::BucketPolicy').flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
    const sesStatements = policies.filter((statement) => JSON.stringify(statement.Principal).includes('ses.amazonaws.com'));
    expect(sesStatements).toHaveLength(1);
    const [statement] = sesStatements;
    expect(statement?.Action).toBe('s3:PutObject');
    expect(JSON.stringify(statement?.Resource)).toContain('/inbound/*');
    expect(statement?.Condition).toMatchObject({ StringEquals: { 'aws:SourceAccount': ENV.account }, ArnLike: { 'aws:SourceArn': expect.anything() } });
    expect(JSON.stringify(statement?.Condition)).toContain('receipt-rule-set/Concierge-receipt-rules:receipt-rule/Concierge-support');
  });

  it('creates the rule only after SES may write the bucket and invoke the function (SES checks both)', () => {
    const rules = Object.values(template.toJSON().Resources as Record<string, { Type: string; DependsOn?: string[] }>).filter((r) => r.Type === 'AWS::SES::ReceiptRule');
    const dependsOn = rules[0]?.DependsOn ?? [];
    expect(dependsOn.some((id) => id.startsWith('RawMailPolicy'))).toBe(true);
    expect(dependsOn.some((id) => id.startsWith('InboundAllowSesReceiptRule'))).toBe(true);
  });

  it('lets only this receipt rule invoke inbound', () => {
    const sesPermissions = ofType('AWS::Lambda::Permission').filter(([, permission]) => permission.Properties.Principal === 'ses.amazonaws.com');
    expect(sesPermissions).toHaveLength(1);
    expect(sesPermissions[0]?.[1].Properties.SourceAccount).toBe(ENV.account);
    expect(JSON.stringify(sesPermissions[0]?.[1].Properties.SourceArn)).toContain('receipt-rule/Concierge-support');
  });
});

describe('raw-mail bucket', () => {
  it('is encrypted, private, TLS-only and expires raw, attachment and quarantined mail', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'inbound/', ExpirationInDays: 90, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'attachments/', ExpirationInDays: 90 }),
          Match.objectLike({ Prefix: 'quarantine/', ExpirationInDays: 30 }),
        ]),
      },
    });
    for (const [, policy] of ofType('AWS::S3::BucketPolicy')) {
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });
});

describe('ticket table', () => {
  it('is on demand, encrypted, with point-in-time recovery, TTL and its four indexes', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'gsi1', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }] }),
        Match.objectLike({ IndexName: 'gsi2', KeySchema: [{ AttributeName: 'gsi2pk', KeyType: 'HASH' }, { AttributeName: 'gsi2sk', KeyType: 'RANGE' }] }),
        Match.objectLike({ IndexName: 'gsi3', KeySchema: [{ AttributeName: 'gsi3pk', KeyType: 'HASH' }, { AttributeName: 'gsi3sk', KeyType: 'RANGE' }] }),
        Match.objectLike({ IndexName: 'gsi4', KeySchema: [{ AttributeName: 'gsi4pk', KeyType: 'HASH' }, { AttributeName: 'gsi4sk', KeyType: 'RANGE' }] }),
      ],
    });
  });
});

describe('functions', () => {
  it('every function runs Node.js 22 or newer on arm64, traced, with an explicit log group', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(2);
    for (const [, fn] of functions) {
      expect(Number(String(fn.Properties.Runtime).match(/^nodejs(\d+)\.x$/)?.[1])).toBeGreaterThanOrEqual(22);
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', LogGroup: expect.anything() });
    }
    for (const [, group] of ofType('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('inbound dead-letters failed events to an encrypted queue after two retries', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
    const inbound = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('Inbound'));
    expect(inbound?.[1].Properties.DeadLetterConfig).toEqual({ TargetArn: expect.anything() });
  });

  it('no IAM statement grants a wildcard action', () => {
    const statements = [
      ...ofType('AWS::IAM::Policy').flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement),
      ...ofType('AWS::IAM::Role').flatMap(([, r]) => ((r.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<{ Action: string | string[] }> } }>) ?? []).flatMap((p) => p.PolicyDocument.Statement)),
    ];
    expect(statements.length).toBeGreaterThan(0);
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
  });
});

describe('API', () => {
  it('every route requires IAM authorisation and validates its request', () => {
    const methods = ofType('AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS');
    const routeMethods = methods.filter(([, m]) => m.Properties.HttpMethod !== 'ANY');
    expect(routeMethods.map(([, m]) => m.Properties.HttpMethod).sort()).toEqual(API_ROUTES.map((route) => route.method).sort());
    for (const [, method] of methods) {
      expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(method.Properties.RequestValidatorId).toBeDefined();
    }
    template.hasResourceProperties('AWS::ApiGateway::Stage', { AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() } });
  });
});

describe('SES sending and alarms', () => {
  it('publishes bounces and complaints of the outbound configuration set to SNS', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: { Enabled: true, MatchingEventTypes: Match.arrayWith(['bounce', 'complaint']), SnsDestination: { TopicARN: Match.anyValue() } },
    });
  });

  it('alarms on dead letters, function errors and throttles, to the alarm address', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties.MetricName);
    expect(alarms).toEqual(expect.arrayContaining(['ApproximateNumberOfMessagesVisible', 'Errors', 'Throttles']));
    const subscription = ofType('AWS::SNS::Subscription').find(([, s]) => s.Properties.Protocol === 'email');
    expect(subscription?.[1].Properties.Endpoint).toBe('oncall@support-example.com');
    const alarmTopic = JSON.stringify(subscription?.[1].Properties.TopicArn);
    for (const [, alarm] of ofType('AWS::CloudWatch::Alarm')) expect(JSON.stringify(alarm.Properties.AlarmActions)).toBe(`[${alarmTopic}]`);
    // The topic's policy must let CloudWatch publish: enforceSSL's policy replaces SNS's default one.
    const topicPolicy = ofType('AWS::SNS::TopicPolicy').find(([, policy]) => JSON.stringify(policy.Properties.Topics) === `[${alarmTopic}]`);
    const statements = (topicPolicy?.[1].Properties.PolicyDocument as { Statement: Array<{ Effect: string; Principal?: { Service?: string }; Action: string }> }).Statement;
    expect(statements.some((st) => st.Effect === 'Allow' && st.Principal?.Service === 'cloudwatch.amazonaws.com' && st.Action === 'sns:Publish')).toBe(true);
  });

  it('lets inbound and the API (relayed answers) send only From the desk’s own addresses, the SLA scan only From the support address, through its configuration set', () => {
    const senders = ofType('AWS::IAM::Policy').flatMap(([id, p]) =>
      (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement.filter((statement) => statement.Action === 'ses:SendRawEmail').map((statement) => [id.replace(/ServiceRole.*/, ''), statement] as const),
    );
    expect(senders.map(([role]) => role).sort()).toEqual(['Api', 'Feedback', 'Inbound', 'SlaScan']);
    for (const [role, statement] of senders) {
      const from = role === 'SlaScan' || role === 'Feedback' ? ['support@support-example.com'] : ['support@support-example.com', 'desk@support-example.com'];
      expect(statement.Condition, role).toEqual({ StringEquals: { 'ses:FromAddress': from } });
      expect(JSON.stringify(statement.Resource), role).toContain(':configuration-set/');
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('synthesizes, handlers bundled, with no unacknowledged finding', () => {
    // Prepare
    const { app } = buildApp({ bundle: true });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act
    const assembly = app.synth();

    // Assess: every handler as the bench builds it, the deferred modules beside it and out of it
    const bundles = readdirSync(assembly.directory)
      .map((entry) => join(assembly.directory, entry))
      .filter((dir) => existsSync(join(dir, 'index.mjs')));
    expect(bundles.length).toBeGreaterThan(1);
    for (const dir of bundles) {
      for (const name of Object.keys(DEFERRED_MODULES)) expect(existsSync(join(dir, 'deferred', `${name}.cjs`)), `${dir} ${name}`).toBe(true);
      // A header name only nodemailer's composer knows: it is deferred, not bundled.
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).not.toContain('OTP-Token');
    }
  });

  it('acknowledges each finding with a reason, on the part it belongs to, never stack-wide', () => {
    // Prepare
    const { app, stack } = buildApp();

    // Act
    const acknowledgements = stack.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ id, reason, construct }))),
    );

    // Assess
    expect(acknowledgements.length).toBeGreaterThan(10);
    for (const { id, reason, construct } of acknowledgements) {
      expect(reason, id).toMatch(/\S.{19,}/);
      expect(construct instanceof Stack || construct === app, `${id} on ${construct.node.path}`).toBe(false);
    }
  });

  it('fails synth on a finding nobody acknowledged', () => {
    // Prepare: an unencrypted-logs, HTTP-allowed bucket added to the stack
    const { app, stack } = buildApp();
    new Bucket(stack as Stack, 'CarelessBucket');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|AwsSolutions-S10|Validation failed/);
  });
});

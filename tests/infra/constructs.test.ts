/**
 * The stack's parts on their own terms: logical IDs that survive the split into constructs, the table built
 * from the SDK-free schema, and the parameters that reach the functions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { API_ROUTES } from '../../functions/api/routes';
import { describe, expect, it } from 'vitest';
import { TABLE_SCHEMA } from '../../functions/adapters/dynamodb/table-schema';
import { ConciergeStack } from '../../lib/concierge-stack';
import { readParameters } from '../../lib/parameters';
import { ResourceGroup } from '../../lib/constructs/resource-group';
import { TicketTable, type TableSchema } from '../../lib/constructs/table';
import { PROJECT_ROOT } from '../helpers/corpus';

const cdkContext = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
const ENV = { account: '123456789012', region: 'eu-west-1' };

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function synthesize(extraContext: Record<string, unknown> = {}): Resources {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...extraContext } });
  const stack = new ConciergeStack(app, 'Concierge', { parameters: readParameters((key) => app.node.tryGetContext(key)), env: ENV });
  return Template.fromStack(stack).toJSON().Resources as Resources;
}

const inboundEnvironment = (resources: Resources) => {
  const inbound = Object.entries(resources).find(([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.startsWith('Inbound'));
  return (inbound?.[1].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
};

describe('logical IDs', () => {
  /**
   * Every resource deployed before the stack was split into constructs, by the logical ID it was deployed
   * under. A changed logical ID replaces the resource on update: the table and buckets are retained and a new
   * empty one is created, a replaced bucket or topic policy deletes the policy its successor just wrote, named
   * SES resources fail to create twice, the API gets a new URL and the alarm subscription must be confirmed
   * again. (The API's Lambda permissions and its Deployment are left out: they are replaced harmlessly.)
   */
  const DEPLOYED: Array<[type: string, logicalIds: string[]]> = [
    ['AWS::DynamoDB::GlobalTable', ['Tickets83B11BB2']],
    ['AWS::S3::Bucket', ['AccessLogs8B620ECA', 'RawMailA1B12CE5']],
    ['AWS::S3::BucketPolicy', ['AccessLogsPolicyABDC4D2D', 'RawMailPolicyE300B447']],
    ['AWS::SecretsManager::Secret', ['ReplyTokenSecretBE0BE1D8']],
    ['AWS::KMS::Key', ['TopicKeyB2E0C9CB']],
    ['AWS::SNS::Topic', ['Alarms04B5A0BF', 'SendingFeedback7D2AAC00']],
    ['AWS::SNS::TopicPolicy', ['AlarmsPolicy5C860CFE', 'SendingFeedbackPolicy404FC9DC']],
    ['AWS::SNS::Subscription', ['AlarmsoncallsupportexamplecomD3AAE4A2']],
    ['AWS::SES::ConfigurationSet', ['Outbound93131C1F']],
    ['AWS::SES::ConfigurationSetEventDestination', ['OutboundBouncesAndComplaints863BBC8C']],
    ['AWS::SES::EmailIdentity', ['MailDomainBA8757BD']],
    ['AWS::SES::ReceiptRuleSet', ['ReceiptRules259D9F96']],
    ['AWS::SES::ReceiptRule', ['SupportRuleBEC13E01']],
    ['AWS::SQS::Queue', ['InboundDeadLettersE1D1B897']],
    ['AWS::SQS::QueuePolicy', ['InboundDeadLettersPolicy0F78A9CF']],
    ['AWS::Logs::LogGroup', ['InboundLogs875DDB56', 'ApiLogs3D05D88B', 'ApiAccessLogsE9DF007D']],
    ['AWS::IAM::Role', ['InboundServiceRole6877589D', 'ApiServiceRole1BD550DA', 'StaffApiCloudWatchRole994F9DC0']],
    ['AWS::IAM::Policy', ['InboundServiceRoleDefaultPolicy918A1C7C', 'ApiServiceRoleDefaultPolicyB24862FE']],
    ['AWS::Lambda::Function', ['InboundADA8BFE6', 'ApiF70053CD']],
    ['AWS::Lambda::EventInvokeConfig', ['InboundEventInvokeConfigE0080B79']],
    ['AWS::Lambda::Permission', ['InboundAllowSesReceiptRule807BA2FC']],
    ['AWS::ApiGateway::RestApi', ['StaffApiA888CE22']],
    ['AWS::ApiGateway::Account', ['StaffApiAccountA368F43B']],
    ['AWS::ApiGateway::Stage', ['StaffApiDeploymentStagev1C3AAED4E']],
    ['AWS::ApiGateway::Resource', ['StaffApihealthEA71F001', 'StaffApitickets3DA4FB42', 'StaffApiticketsid077359B7']],
    ['AWS::ApiGateway::Method', ['StaffApihealthGETF1B0CAFB', 'StaffApiticketsGETC3DFBEAE', 'StaffApiticketsidGET11CE7A71']],
    ['AWS::ApiGateway::RequestValidator', ['StaffApiValidator014AF332']],
    ['AWS::CloudWatch::Alarm', ['DeadLettersAlarm3F8DE0AC', 'InboundErrorsAlarmE1E3FE29', 'InboundThrottlesAlarmA80C41AE', 'ApiErrorsAlarm77A8953B', 'ApiThrottlesAlarmEF45997D']],
  ];

  it('every deployed resource keeps its logical ID and type', () => {
    // Act
    const resources = synthesize();

    // Assess
    for (const [type, logicalIds] of DEPLOYED) {
      for (const logicalId of logicalIds) expect(resources[logicalId]?.Type, logicalId).toBe(type);
    }
  });

  it('a resource group stays out of logical IDs; an id clash after leaving it out fails synth', () => {
    // Prepare
    class Group extends ResourceGroup {}
    const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
    const stack = new ConciergeStack(app, 'Concierge', { parameters: readParameters((key) => app.node.tryGetContext(key)), env: ENV });
    new Bucket(new Group(stack, 'SomeGroup'), 'Careless');
    new Bucket(new Construct(stack, 'PlainScope'), 'Careless');
    new Bucket(new Group(stack, 'OtherGroup'), 'RawMail');

    // Act / Assess
    expect(stack.getLogicalId(stack.node.findChild('SomeGroup').node.findChild('Careless').node.defaultChild as never)).toMatch(/^Careless[0-9A-F]{8}$/);
    expect(stack.getLogicalId(stack.node.findChild('PlainScope').node.findChild('Careless').node.defaultChild as never)).toMatch(/^PlainScopeCareless[0-9A-F]{8}$/);
    expect(() => Template.fromStack(stack)).toThrow(/already contains 'RawMailA1B12CE5'/);
  });
});

describe('ticket table from the table schema', () => {
  const tableOf = (schema?: TableSchema) => {
    const stack = new Stack(new App(), 'TableOnly', { env: ENV });
    new TicketTable(stack, 'Table', schema ? { schema } : {});
    return Object.values(Template.fromStack(stack).toJSON().Resources as Resources).find((r) => r.Type === 'AWS::DynamoDB::GlobalTable')!.Properties;
  };

  it('takes keys, TTL and indexes from TABLE_SCHEMA, projecting everything when an index names no attributes', () => {
    // Act
    const table = tableOf();

    // Assess
    expect(table.KeySchema).toEqual([
      { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
    ]);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true });
    const indexes = table.GlobalSecondaryIndexes as Array<{ IndexName: string; KeySchema: unknown; Projection: unknown }>;
    expect(indexes.map((index) => index.IndexName)).toEqual([TABLE_SCHEMA.customerIndex.name, TABLE_SCHEMA.recentIndex.name, TABLE_SCHEMA.assigneeIndex.name, TABLE_SCHEMA.slaDueIndex.name]);
    for (const [index, schema] of [[indexes[0], TABLE_SCHEMA.customerIndex], [indexes[1], TABLE_SCHEMA.recentIndex], [indexes[2], TABLE_SCHEMA.assigneeIndex], [indexes[3], TABLE_SCHEMA.slaDueIndex]] as const) {
      expect(index?.KeySchema).toEqual([
        { AttributeName: schema.partitionKey, KeyType: 'HASH' },
        { AttributeName: schema.sortKey, KeyType: 'RANGE' },
      ]);
      expect(index?.Projection).toEqual('projectedAttributes' in schema ? expect.objectContaining({ ProjectionType: 'INCLUDE' }) : { ProjectionType: 'ALL' });
    }
  });

  it('projects only the named attributes of an index that lists them (INCLUDE), every attribute otherwise (ALL)', () => {
    // Prepare
    const { projectedAttributes: _, ...recentIndexWithoutProjection } = TABLE_SCHEMA.recentIndex;
    const schema: TableSchema = {
      ...TABLE_SCHEMA,
      customerIndex: { ...TABLE_SCHEMA.customerIndex, projectedAttributes: ['ref', 'subject', 'status'] },
      recentIndex: recentIndexWithoutProjection,
    };

    // Act
    const indexes = tableOf(schema).GlobalSecondaryIndexes as Array<{ IndexName: string; Projection: unknown }>;

    // Assess
    expect(indexes.find((index) => index.IndexName === TABLE_SCHEMA.customerIndex.name)?.Projection).toEqual({
      ProjectionType: 'INCLUDE',
      NonKeyAttributes: ['ref', 'subject', 'status'],
    });
    expect(indexes.find((index) => index.IndexName === TABLE_SCHEMA.recentIndex.name)?.Projection).toEqual({ ProjectionType: 'ALL' });
  });

  it('deploys the ticket indexes with only attributes that never change after creation', () => {
    const indexes = tableOf(TABLE_SCHEMA).GlobalSecondaryIndexes as Array<{ IndexName: string; Projection: { ProjectionType: string; NonKeyAttributes?: string[] } }>;
    for (const index of indexes) expect(index.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['id', 'customer', 'createdAt'] });
  });
});

describe('SES identity', () => {
  it('with manageSesIdentity=false, creates no identity and prints no DKIM records; otherwise three', () => {
    const synth = (manageSesIdentity: string) => {
      const app = new App({ context: { ...cdkContext, manageSesIdentity, 'aws:cdk:bundling-stacks': [] } });
      const stack = new ConciergeStack(app, 'Concierge', { parameters: readParameters((key) => app.node.tryGetContext(key)), env: ENV });
      const template = Template.fromStack(stack).toJSON() as { Resources: Resources; Outputs: Record<string, { Value: unknown }> };
      return {
        identities: Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::SES::EmailIdentity').length,
        dkimOutputs: Object.keys(template.Outputs).filter((id) => id.startsWith('DkimCname')),
      };
    };
    expect(synth('false')).toEqual({ identities: 0, dkimOutputs: [] });
    expect(synth('true')).toEqual({ identities: 1, dkimOutputs: ['DkimCname1', 'DkimCname2', 'DkimCname3'] });
  });
});

describe('acknowledgement caps', () => {
  it('gives inbound the desk-wide and per-sender hourly caps, 200 and 5 when the context names neither', () => {
    // Prepare
    const context = { ...cdkContext };
    delete context.ackLimitPerHour;
    delete context.ackLimitPerSenderPerHour;

    // Act
    const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    const stack = new ConciergeStack(app, 'Concierge', { parameters: readParameters((key) => app.node.tryGetContext(key)), env: ENV });

    // Assess
    expect(inboundEnvironment(Template.fromStack(stack).toJSON().Resources as Resources)).toMatchObject({
      ACK_LIMIT_PER_HOUR: '200',
      ACK_LIMIT_PER_SENDER_PER_HOUR: '5',
    });
  });

  it('takes both caps from the context, as `-c key=value` passes them (strings)', () => {
    expect(inboundEnvironment(synthesize({ ackLimitPerHour: '50', ackLimitPerSenderPerHour: '2' }))).toMatchObject({
      ACK_LIMIT_PER_HOUR: '50',
      ACK_LIMIT_PER_SENDER_PER_HOUR: '2',
    });
  });

  it('refuses a cap of zero and a per-sender cap above the desk-wide one, naming the parameter', () => {
    const read = (extra: Record<string, unknown>) => () => readParameters((key) => ({ ...cdkContext, ...extra })[key]);
    expect(read({ ackLimitPerHour: 0 })).toThrow(/ackLimitPerHour/);
    expect(read({ ackLimitPerHour: 'many' })).toThrow(/ackLimitPerHour/);
    expect(read({ ackLimitPerHour: 3, ackLimitPerSenderPerHour: 5 })).toThrow(/ackLimitPerSenderPerHour \(5\) is above ackLimitPerHour \(3\)/);
  });
});

describe('staff API methods', () => {
  it('sends every other method on a known path to the function (IAM-authorised), which answers 405', () => {
    // Act
    const resources = synthesize();

    // Assess
    const methods = Object.values(resources).filter((resource) => resource.Type === 'AWS::ApiGateway::Method');
    const anyMethods = methods.filter((method) => method.Properties.HttpMethod === 'ANY');
    // One catch-all method per resource that has routes (the root and intermediate paths have none).
    expect(anyMethods).toHaveLength(new Set(API_ROUTES.map((route) => route.resource)).size);
    for (const method of methods) expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
  });
});

describe('sensitive raw mail', () => {
  type Statement = { Sid?: string; Effect: string; Action: string | string[]; Principal?: unknown; Resource: unknown; Condition?: unknown };
  const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
  const resources = synthesize();
  const [keyId, key] = Object.entries(resources).find(([id, resource]) => resource.Type === 'AWS::KMS::Key' && id.startsWith('SensitiveMailKey'))!;
  const keyStatements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
  const roleId = Object.entries(resources).find(([id, resource]) => resource.Type === 'AWS::IAM::Role' && id.startsWith('BreakGlass'))![0];
  const policyOf = (roleLogicalId: string) =>
    Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes(roleLogicalId))
      .flatMap((resource) => (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  const inboundRoleId = Object.keys(resources).find((id) => id.startsWith('InboundServiceRole'))!;

  it('has its own rotated key whose policy lets nobody but the break-glass role decrypt, and that role only with MFA', () => {
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const decrypters = keyStatements.filter((statement) => actionsOf(statement).some((action) => action === 'kms:*' || action === 'kms:Decrypt'));
    expect(decrypters).toHaveLength(1);
    expect(JSON.stringify(decrypters[0]!.Principal)).toContain(roleId);
    // the account may administer the key, not use it
    const administration = keyStatements.find((statement) => statement.Sid === 'AdministerWithoutUse')!;
    expect(actionsOf(administration).some((action) => /^kms:(\*|Decrypt|Encrypt|GenerateDataKey|ReEncrypt)/.test(action))).toBe(false);
    const assume = (resources[roleId]!.Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement[0]!;
    expect(assume.Condition).toEqual({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } });
  });

  it('lets inbound encrypt with the key and move mail there, never decrypt; the break-glass role reads the prefix', () => {
    const inbound = policyOf(inboundRoleId);
    const inboundKeyActions = inbound.filter((statement) => JSON.stringify(statement.Resource).includes(keyId)).flatMap(actionsOf);
    expect(inboundKeyActions).toEqual(['kms:GenerateDataKey']);
    expect(JSON.stringify(keyStatements.filter((statement) => JSON.stringify(statement.Principal).includes(inboundRoleId)).flatMap(actionsOf))).toBe('["kms:GenerateDataKey"]');
    expect(inbound.some((statement) => actionsOf(statement).includes('s3:PutObject') && JSON.stringify(statement.Resource).includes('/sensitive/*'))).toBe(true);
    expect(inbound.some((statement) => actionsOf(statement).includes('s3:GetObject') && JSON.stringify(statement.Resource).includes('/sensitive/'))).toBe(false);
    const breakGlass = policyOf(roleId);
    expect(breakGlass.some((statement) => actionsOf(statement).includes('s3:GetObject') && JSON.stringify(statement.Resource).includes('/sensitive/*'))).toBe(true);
    expect(inboundEnvironment(resources)).toMatchObject({ SENSITIVE_MAIL_PREFIX: 'sensitive/', SENSITIVE_MAIL_KEY_ID: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  it('expires the sensitive prefix after 30 days', () => {
    const bucket = Object.entries(resources).find(([id, resource]) => resource.Type === 'AWS::S3::Bucket' && id.startsWith('RawMail'))![1];
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Array<{ Id: string; Prefix?: string; ExpirationInDays?: number }> }).Rules;
    expect(rules.find((rule) => rule.Id === 'expire-sensitive')).toMatchObject({ Prefix: 'sensitive/', ExpirationInDays: 30 });
  });
});

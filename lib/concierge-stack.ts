import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  RestApi,
  type IResource,
} from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConfigurationSet,
  ConfigurationSetTlsPolicy,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  ReceiptRule,
  ReceiptRuleSet,
  TlsPolicy,
  type IReceiptRuleAction,
  type ReceiptRuleActionConfig,
} from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { API_ROUTES } from '../functions/api/routes';
import { TABLE_SCHEMA } from '../functions/adapters/dynamodb/table-schema';
import { ConciergeFunction } from './concierge-function';
import type { ConciergeParameters } from './parameters';

export interface ConciergeStackProps extends StackProps {
  parameters: ConciergeParameters;
}

const RAW_MAIL_PREFIX = 'inbound/';
const ATTACHMENT_PREFIX = 'attachments/';
const QUARANTINE_PREFIX = 'quarantine/';
const FUNCTIONS_DIR = join(import.meta.dirname, '..', 'functions');

/** The SES receipt actions as plain configuration: the bucket policy and invoke permission are written below, scoped to this rule. */
const s3Action = (bucketName: string, objectKeyPrefix: string): IReceiptRuleAction => ({
  bind: (): ReceiptRuleActionConfig => ({ s3Action: { bucketName, objectKeyPrefix } }),
});
const lambdaAction = (functionArn: string): IReceiptRuleAction => ({
  bind: (): ReceiptRuleActionConfig => ({ lambdaAction: { functionArn, invocationType: 'Event' } }),
});

/**
 * The whole desk: SES receiving into S3 and `inbound`, the ticket table, SES sending with a configuration
 * set whose bounces and complaints go to SNS, the IAM-authorised API, dead letters and alarms.
 */
export class ConciergeStack extends Stack {
  constructor(scope: Construct, id: string, props: ConciergeStackProps) {
    super(scope, id, props);
    const p = props.parameters;
    const logRetention = RetentionDays.ONE_MONTH;
    const ruleSetName = `${this.stackName}-receipt-rules`;
    const ruleName = `${this.stackName}-support`;
    const ruleArn = `arn:${this.partition}:ses:${this.region}:${this.account}:receipt-rule-set/${ruleSetName}:receipt-rule/${ruleName}`;

    // --- Storage -------------------------------------------------------------------------------------
    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(p.retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({ id: 'AwsSolutions-S1', reason: 'This is the access-log bucket itself; logging it into itself would loop.' });

    const rawMail = new Bucket(this, 'RawMail', {
      // SSE-S3 rather than KMS: SES receiving writes with S3-managed keys without a key policy to maintain.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'raw-mail/',
      lifecycleRules: [
        { id: 'expire-raw-mail', prefix: RAW_MAIL_PREFIX, expiration: Duration.days(p.retentionDays) },
        { id: 'expire-attachments', prefix: ATTACHMENT_PREFIX, expiration: Duration.days(p.retentionDays) },
        { id: 'expire-quarantine', prefix: QUARANTINE_PREFIX, expiration: Duration.days(p.quarantineRetentionDays) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // SES may write raw mail only on behalf of this account's receipt rule.
    rawMail.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowSesReceiptRulePut',
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [rawMail.arnForObjects(`${RAW_MAIL_PREFIX}*`)],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account }, ArnLike: { 'aws:SourceArn': ruleArn } },
      }),
    );

    const table = new TableV2(this, 'Tickets', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [TABLE_SCHEMA.customerIndex, TABLE_SCHEMA.recentIndex].map((index) => ({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
      })),
    });

    const replyTokenSecret = new Secret(this, 'ReplyTokenSecret', {
      description: 'Signs per-ticket reply addresses (support+<ref>-<signature>@domain)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(replyTokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotating the signing secret would invalidate every reply address customers already hold; rotate by hand with a grace period when needed.',
    });

    // --- Notifications (alarms, SES feedback) ------------------------------------------------------
    const topicKey = new Key(this, 'TopicKey', { enableKeyRotation: true, description: 'Encrypts Concierge SNS topics' });
    for (const service of ['ses.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      topicKey.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal(service)],
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      );
    }
    const alarmTopic = new Topic(this, 'Alarms', { masterKey: topicKey, enforceSSL: true });
    // enforceSSL writes a topic policy, which replaces SNS's default one: CloudWatch needs its own allow.
    alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:*` },
        },
      }),
    );
    alarmTopic.addSubscription(new EmailSubscription(p.alarmEmail));
    const feedbackTopic = new Topic(this, 'SendingFeedback', { masterKey: topicKey, enforceSSL: true });

    // --- SES sending --------------------------------------------------------------------------------
    const configurationSet = new ConfigurationSet(this, 'Outbound', {
      configurationSetName: `${this.stackName}-outbound`,
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
    });
    configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: EventDestination.snsTopic(feedbackTopic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT, EmailSendingEvent.REJECT],
    });
    if (p.manageSesIdentity) {
      const identity = new EmailIdentity(this, 'MailDomain', { identity: Identity.domain(p.mailDomain), configurationSet });
      // Easy DKIM: three CNAME records the engineer adds to the domain's DNS.
      const dkim = [
        [identity.dkimDnsTokenName1, identity.dkimDnsTokenValue1],
        [identity.dkimDnsTokenName2, identity.dkimDnsTokenValue2],
        [identity.dkimDnsTokenName3, identity.dkimDnsTokenValue3],
      ] as const;
      dkim.forEach(([name, value], index) => {
        new CfnOutput(this, `DkimCname${index + 1}`, { value: `${name} CNAME ${value}`, description: `DKIM record ${index + 1} for ${p.mailDomain}` });
      });
    }

    // --- Functions -----------------------------------------------------------------------------------
    const deadLetters = new Queue(this, 'InboundDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue; it has none of its own.' });

    const inbound = new ConciergeFunction(this, 'Inbound', {
      entry: join(FUNCTIONS_DIR, 'inbound', 'handler.ts'),
      description: 'SES receipt → parse, verdicts, classify, thread, store, acknowledge',
      // Parsing a 30 MiB message needs headroom, and Lambda CPU scales with memory.
      memorySize: 1024,
      timeout: Duration.seconds(60),
      logRetention,
      deadLetterQueue: deadLetters,
      retryAttempts: 2,
      environment: {
        RAW_MAIL_BUCKET: rawMail.bucketName,
        RAW_MAIL_PREFIX,
        ATTACHMENT_PREFIX,
        QUARANTINE_PREFIX,
        SUPPORT_ADDRESS: p.supportAddresses[0]!,
        OWN_ADDRESSES: [...p.supportAddresses.slice(1), p.notificationSender].join(','),
        REPLY_TOKEN_SECRET_ARN: replyTokenSecret.secretArn,
        SES_CONFIGURATION_SET: configurationSet.configurationSetName,
      },
    });
    inbound.bindTable(table, 'read-write');
    inbound.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [rawMail.arnForObjects(`${RAW_MAIL_PREFIX}*`)] }));
    inbound.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [rawMail.arnForObjects(`${ATTACHMENT_PREFIX}*`), rawMail.arnForObjects(`${QUARANTINE_PREFIX}*`)],
      }),
    );
    inbound.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [replyTokenSecret.secretArn] }));
    // SES authorises a send against the sender's identity and, in the sandbox, each recipient's identity too,
    // so the grant names every identity but only for mail From the desk's own addresses.
    inbound.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendRawEmail'],
        resources: [
          `arn:${this.partition}:ses:${this.region}:${this.account}:identity/*`,
          `arn:${this.partition}:ses:${this.region}:${this.account}:configuration-set/${configurationSet.configurationSetName}`,
        ],
        conditions: { StringEquals: { 'ses:FromAddress': [...p.supportAddresses, p.notificationSender] } },
      }),
    );
    inbound.addPermission('AllowSesReceiptRule', {
      principal: new ServicePrincipal('ses.amazonaws.com'),
      sourceAccount: this.account,
      sourceArn: ruleArn,
    });

    const api = new ConciergeFunction(this, 'Api', {
      entry: join(FUNCTIONS_DIR, 'api', 'handler.ts'),
      description: 'Staff and operator API behind API Gateway (IAM)',
      memorySize: 256,
      timeout: Duration.seconds(10),
      logRetention,
    });
    api.bindTable(table, 'read');

    // --- SES receiving --------------------------------------------------------------------------------
    const ruleSet = new ReceiptRuleSet(this, 'ReceiptRules', { receiptRuleSetName: ruleSetName });
    const rule = new ReceiptRule(this, 'SupportRule', {
      ruleSet,
      receiptRuleName: ruleName,
      recipients: p.supportAddresses,
      scanEnabled: true,
      tlsPolicy: TlsPolicy.OPTIONAL,
      // Order matters: the raw message is in S3 before inbound runs.
      actions: [s3Action(rawMail.bucketName, RAW_MAIL_PREFIX), lambdaAction(inbound.functionArn)],
    });
    // SES checks it may write and invoke when the rule is created.
    rule.node.addDependency(rawMail.policy!);
    rule.node.addDependency(inbound.permissionsNode.findChild('AllowSesReceiptRule'));

    // --- API ------------------------------------------------------------------------------------------
    const accessLogGroup = new LogGroup(this, 'ApiAccessLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const restApi = new RestApi(this, 'StaffApi', {
      description: 'Concierge staff and operator API (IAM-authorised)',
      cloudWatchRole: true,
      // The logging role is an account-wide API Gateway setting that other APIs may rely on: keep it.
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.INFO,
        metricsEnabled: true,
        accessLogDestination: new LogGroupLogDestination(accessLogGroup),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const validator = new RequestValidator(this, 'StaffApiValidator', { restApi, validateRequestParameters: true, validateRequestBody: true });
    const integration = new LambdaIntegration(api, { allowTestInvoke: false });
    for (const route of API_ROUTES) {
      let resource: IResource = restApi.root;
      const requestParameters: Record<string, boolean> = {};
      for (const part of route.resource.split('/').filter(Boolean)) {
        resource = resource.getResource(part) ?? resource.addResource(part);
        if (part.startsWith('{')) requestParameters[`method.request.path.${part.slice(1, -1)}`] = true;
      }
      if (route.resource === '/tickets') {
        requestParameters['method.request.querystring.customer'] = false;
        requestParameters['method.request.querystring.limit'] = false;
      }
      resource.addMethod(route.method, integration, { requestValidator: validator, requestParameters });
    }

    // --- Alarms ---------------------------------------------------------------------------------------
    const alarm = (id: string, metric: IMetric, description: string) =>
      new Alarm(this, id, {
        metric,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }).addAlarmAction(new SnsAction(alarmTopic));
    alarm('DeadLettersAlarm', deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }), 'Inbound mail failed three times and waits in the dead-letter queue; see README "When it fails".');
    for (const [name, fn] of [['Inbound', inbound], ['Api', api]] as const) {
      alarm(`${name}ErrorsAlarm`, fn.metricErrors({ period: Duration.minutes(5) }), `${name} function errors`);
      alarm(`${name}ThrottlesAlarm`, fn.metricThrottles({ period: Duration.minutes(5) }), `${name} function throttles`);
    }

    // --- Outputs --------------------------------------------------------------------------------------
    new CfnOutput(this, 'ApiUrl', { value: restApi.url, description: 'Set CONCIERGE_API_URL to this (or pass --api)' });
    new CfnOutput(this, 'MxRecord', { value: `10 inbound-smtp.${this.region}.amazonaws.com`, description: `MX record for ${p.mailDomain}` });
    new CfnOutput(this, 'ReceiptRuleSetName', { value: ruleSet.receiptRuleSetName, description: 'Activate with: aws ses set-active-receipt-rule-set --rule-set-name <this>' });
    new CfnOutput(this, 'RawMailBucketName', { value: rawMail.bucketName });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'InboundFunctionName', { value: inbound.functionName });
    new CfnOutput(this, 'InboundLogGroupName', { value: inbound.logGroup.logGroupName });
    new CfnOutput(this, 'ApiLogGroupName', { value: api.logGroup.logGroupName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetters.queueUrl });
    new CfnOutput(this, 'SendingFeedbackTopicArn', { value: feedbackTopic.topicArn });

    this.suppressWithReasons(restApi);
    this.acknowledgeScopedWildcards(
      inbound,
      api,
      this.getLogicalId(table.node.defaultChild as CfnElement),
      this.getLogicalId(rawMail.node.defaultChild as CfnElement),
    );
  }

  private suppressWithReasons(restApi: RestApi): void {
    Validations.of(restApi).acknowledge({ id: 'AwsSolutions-APIG3', reason: 'IAM-authorised staff API, not public; WAF adds cost without a threat it addresses here.' });
    Validations.of(restApi).acknowledge({ id: 'AwsSolutions-COG4', reason: 'Staff and operators authenticate with IAM (SigV4), not Cognito.' });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWS-maintained, grants only log writes for the functions.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'AWS-maintained role API Gateway needs to write execution logs.',
    });
  }

  /** Wildcard-resource findings, acknowledged on the one policy each belongs to, never stack-wide. */
  private acknowledgeScopedWildcards(inbound: ConciergeFunction, api: ConciergeFunction, tableId: string, bucketId: string): void {
    const policyOf = (fn: ConciergeFunction) => fn.role!.node.findChild('DefaultPolicy');
    // cdk-nag names unresolved pseudo-parameters the way CloudFormation does.
    const nagRegion = Token.isUnresolved(this.region) ? '<AWS::Region>' : this.region;
    const nagAccount = Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account;
    const xray = 'X-Ray trace writes (xray:PutTraceSegments, PutTelemetryRecords) have no resource-level permissions.';
    const indexes = 'Queries by customer and by month use the table’s own GSIs, and only those.';
    const findings: Array<[ConciergeFunction, string, string]> = [
      [inbound, 'Resource::*', xray],
      [api, 'Resource::*', xray],
      [inbound, `Resource::<${tableId}.Arn>/index/*`, indexes],
      [api, `Resource::<${tableId}.Arn>/index/*`, indexes],
      [inbound, `Resource::<${bucketId}.Arn>/inbound/*`, 'inbound reads raw messages SES stored under inbound/, keyed by SES message id.'],
      [inbound, `Resource::<${bucketId}.Arn>/attachments/*`, 'inbound writes attachments under attachments/<SES message id>/.'],
      [inbound, `Resource::<${bucketId}.Arn>/quarantine/*`, 'inbound copies quarantined messages to quarantine/<SES message id>.'],
      [inbound, `Resource::arn:<AWS::Partition>:ses:${nagRegion}:${nagAccount}:identity/*`, 'SES checks the sender’s and, in the sandbox, each recipient’s identity; the statement is limited to From addresses of the desk by ses:FromAddress.'],
    ];
    for (const [fn, finding, reason] of findings) {
      Validations.of(policyOf(fn)).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
  }
}

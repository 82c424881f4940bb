import { Duration, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { AccountPrincipal, ArnPrincipal, PolicyDocument, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ConciergeFunction } from '../concierge-function';
import { acknowledgeFinding, acknowledgeWildcard } from './findings';
import { ResourceGroup } from './resource-group';

/** Where each kind of object lives in the raw-mail bucket; lifecycle rules and grants are per prefix. */
export const RAW_MAIL_PREFIXES = {
  /** Messages as SES received them, keyed by SES message id. */
  received: 'inbound/',
  attachments: 'attachments/',
  quarantine: 'quarantine/',
  /** Raw messages that held a secret, moved out of `inbound/`: their own KMS key, only the break-glass role reads. */
  sensitive: 'sensitive/',
} as const;

/** A message that held a secret is kept this long, for an investigation, and no longer. */
export const SENSITIVE_RETENTION_DAYS = 30;

/** What may administer the sensitive key without being able to use it: no Decrypt, Encrypt or GenerateDataKey. */
const KEY_ADMINISTRATION_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

export interface RawMailStorageProps {
  /** Days received mail and attachments are kept. */
  readonly retentionDays: number;
  /** Days quarantined mail is kept. */
  readonly quarantineRetentionDays: number;
}

/**
 * The raw-mail bucket (received mail, attachments, quarantine, sensitive mail) and the bucket its access logs
 * go to; the sensitive prefix's own KMS key, and the break-glass role that alone may read what it encrypts.
 */
export class RawMailStorage extends ResourceGroup {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;
  readonly sensitiveKey: Key;
  /** Assumed by a person of this account, with MFA, to read a message that held a secret. */
  readonly breakGlassRole: Role;

  constructor(scope: Construct, id: string, props: RawMailStorageProps) {
    super(scope, id);
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeFinding(this.accessLogs, 'AwsSolutions-S1', 'This is the access-log bucket itself; logging it into itself would loop.');

    this.bucket = new Bucket(this, 'RawMail', {
      // SSE-S3 rather than KMS: SES receiving writes with S3-managed keys without a key policy to maintain.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'raw-mail/',
      lifecycleRules: [
        { id: 'expire-raw-mail', prefix: RAW_MAIL_PREFIXES.received, expiration: Duration.days(props.retentionDays) },
        { id: 'expire-attachments', prefix: RAW_MAIL_PREFIXES.attachments, expiration: Duration.days(props.retentionDays) },
        { id: 'expire-quarantine', prefix: RAW_MAIL_PREFIXES.quarantine, expiration: Duration.days(props.quarantineRetentionDays) },
        { id: 'expire-sensitive', prefix: RAW_MAIL_PREFIXES.sensitive, expiration: Duration.days(SENSITIVE_RETENTION_DAYS) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const stack = Stack.of(this);
    this.breakGlassRole = new Role(this, 'BreakGlass', {
      assumedBy: new AccountPrincipal(stack.account).withConditions({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } }),
      description: `Break-glass: reads raw messages that held a secret (${RAW_MAIL_PREFIXES.sensitive}), for an investigation`,
      maxSessionDuration: Duration.hours(1),
    });
    // The key policy is the only one (no account-wide kms:*): IAM policies alone cannot let anyone else decrypt.
    this.sensitiveKey = new Key(this, 'SensitiveMailKey', {
      enableKeyRotation: true,
      description: 'Encrypts raw messages that held a secret; only the break-glass role may decrypt',
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({ sid: 'AdministerWithoutUse', principals: [new ArnPrincipal(`arn:${stack.partition}:iam::${stack.account}:root`)], actions: KEY_ADMINISTRATION_ACTIONS, resources: ['*'] }),
          new PolicyStatement({
            sid: 'BreakGlassReads',
            principals: [this.breakGlassRole],
            actions: ['kms:Decrypt', 'kms:DescribeKey'],
            resources: ['*'],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
          }),
        ],
      }),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const sensitiveObjects = this.bucket.arnForObjects(`${RAW_MAIL_PREFIXES.sensitive}*`);
    this.breakGlassRole.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [sensitiveObjects] }));
    this.breakGlassRole.addToPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${RAW_MAIL_PREFIXES.sensitive}*`] } } }));
    this.breakGlassRole.addToPolicy(new PolicyStatement({ actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: [this.sensitiveKey.keyArn] }));
    const bucketId = stack.getLogicalId(this.bucket.node.defaultChild as CfnElement);
    acknowledgeFinding(
      this.breakGlassRole.node.findChild('DefaultPolicy'),
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${RAW_MAIL_PREFIXES.sensitive}*]`,
      'The break-glass role reads any message under the sensitive prefix: which one an investigation needs is not known in advance.',
    );
  }

  /**
   * Lets `fn` read received mail, write attachments and quarantined copies, and move a message that held a
   * secret to the sensitive prefix (encrypting, never decrypting), nothing else, and tells it the bucket and
   * prefixes.
   */
  grantMailProcessing(fn: ConciergeFunction): void {
    fn.addEnvironment('RAW_MAIL_BUCKET', this.bucket.bucketName);
    fn.addEnvironment('RAW_MAIL_PREFIX', RAW_MAIL_PREFIXES.received);
    fn.addEnvironment('ATTACHMENT_PREFIX', RAW_MAIL_PREFIXES.attachments);
    fn.addEnvironment('QUARANTINE_PREFIX', RAW_MAIL_PREFIXES.quarantine);
    const received = this.bucket.arnForObjects(`${RAW_MAIL_PREFIXES.received}*`);
    const attachments = this.bucket.arnForObjects(`${RAW_MAIL_PREFIXES.attachments}*`);
    const quarantine = this.bucket.arnForObjects(`${RAW_MAIL_PREFIXES.quarantine}*`);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [received] }));
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [attachments, quarantine] }));

    // A message that held a secret moves: copied to the sensitive prefix under its key, deleted from inbound/.
    // The function may encrypt with the key (S3 asks KMS for a data key) but never decrypt what it wrote.
    fn.addEnvironment('SENSITIVE_MAIL_PREFIX', RAW_MAIL_PREFIXES.sensitive);
    fn.addEnvironment('SENSITIVE_MAIL_KEY_ID', this.sensitiveKey.keyArn);
    const sensitive = this.bucket.arnForObjects(`${RAW_MAIL_PREFIXES.sensitive}*`);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [sensitive] }));
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:DeleteObject'], resources: [received] }));
    // Whether a redelivered message was moved already: a listing of its one key (and S3 answers 404, not 403,
    // for a key that is gone only to a caller that may list).
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${RAW_MAIL_PREFIXES.sensitive}*`, `${RAW_MAIL_PREFIXES.received}*`] } } }));
    fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [this.sensitiveKey.keyArn] }));
    this.sensitiveKey.addToResourcePolicy(
      new PolicyStatement({
        sid: `${fn.node.id}EncryptsSensitiveMail`,
        principals: [fn.role!],
        actions: ['kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );

    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    const finding = (prefix: string) => `Resource::<${bucketId}.Arn>/${prefix}*`;
    acknowledgeWildcard(fn, finding(RAW_MAIL_PREFIXES.received), `${fn.node.id} reads raw messages SES stored under ${RAW_MAIL_PREFIXES.received}, keyed by SES message id.`);
    acknowledgeWildcard(fn, finding(RAW_MAIL_PREFIXES.attachments), `${fn.node.id} writes attachments under ${RAW_MAIL_PREFIXES.attachments}<SES message id>/.`);
    acknowledgeWildcard(fn, finding(RAW_MAIL_PREFIXES.quarantine), `${fn.node.id} copies quarantined messages to ${RAW_MAIL_PREFIXES.quarantine}<SES message id>.`);
    acknowledgeWildcard(fn, finding(RAW_MAIL_PREFIXES.sensitive), `${fn.node.id} moves a raw message that held a secret to ${RAW_MAIL_PREFIXES.sensitive}<SES message id>; it cannot decrypt it there.`);
  }
}

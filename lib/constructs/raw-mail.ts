import { Duration, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
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
} as const;

export interface RawMailStorageProps {
  /** Days received mail and attachments are kept. */
  readonly retentionDays: number;
  /** Days quarantined mail is kept. */
  readonly quarantineRetentionDays: number;
}

/** The raw-mail bucket (received mail, attachments, quarantine) and the bucket its access logs go to. */
export class RawMailStorage extends ResourceGroup {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

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
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets `fn` read received mail and write attachments and quarantined copies, nothing else, and tells it
   * the bucket and prefixes.
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

    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    const finding = (prefix: string) => `Resource::<${bucketId}.Arn>/${prefix}*`;
    acknowledgeWildcard(fn, finding(RAW_MAIL_PREFIXES.received), `${fn.node.id} reads raw messages SES stored under ${RAW_MAIL_PREFIXES.received}, keyed by SES message id.`);
    acknowledgeWildcard(fn, finding(RAW_MAIL_PREFIXES.attachments), `${fn.node.id} writes attachments under ${RAW_MAIL_PREFIXES.attachments}<SES message id>/.`);
    acknowledgeWildcard(fn, finding(RAW_MAIL_PREFIXES.quarantine), `${fn.node.id} copies quarantined messages to ${RAW_MAIL_PREFIXES.quarantine}<SES message id>.`);
  }
}

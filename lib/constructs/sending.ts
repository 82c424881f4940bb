import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigurationSet, ConfigurationSetTlsPolicy, EmailIdentity, EmailSendingEvent, EventDestination, Identity } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { ConciergeFunction } from '../concierge-function';
import { acknowledgeFinding, acknowledgeWildcard, nagEnvironment } from './findings';
import { ResourceGroup } from './resource-group';

export interface SendingProps {
  /** The domain the desk sends from. */
  readonly mailDomain: string;
  /** Create the SES domain identity with Easy DKIM (false when it already exists in the account and region). */
  readonly manageSesIdentity: boolean;
  /** The only From addresses functions may send with. */
  readonly fromAddresses: readonly string[];
  /** Encrypts the feedback topic; SES is allowed to use it for this account. */
  readonly topicKey: IKey;
}

/** A DNS record the engineer adds for the domain. */
export interface DnsRecord {
  readonly name: string;
  readonly type: 'CNAME';
  readonly value: string;
}

/**
 * SES sending: a configuration set that requires TLS and publishes bounces, complaints and rejects to an SNS
 * topic, the domain identity with Easy DKIM, and the secret that signs per-ticket reply addresses.
 */
export class Sending extends ResourceGroup {
  readonly configurationSet: ConfigurationSet;
  readonly feedbackTopic: Topic;
  readonly replyTokenSecret: Secret;
  /** The three DKIM CNAME records, when the stack manages the identity. */
  readonly dkimRecords: readonly DnsRecord[];
  private readonly fromAddresses: readonly string[];

  constructor(scope: Construct, id: string, props: SendingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.fromAddresses = props.fromAddresses;

    this.replyTokenSecret = new Secret(this, 'ReplyTokenSecret', {
      description: 'Signs per-ticket reply addresses (support+<ref>-<signature>@domain)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeFinding(
      this.replyTokenSecret,
      'AwsSolutions-SMG4',
      'Rotating the signing secret would invalidate every reply address customers already hold; rotate by hand with a grace period when needed.',
    );

    props.topicKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.feedbackTopic = new Topic(this, 'SendingFeedback', { masterKey: props.topicKey, enforceSSL: true });

    this.configurationSet = new ConfigurationSet(this, 'Outbound', {
      configurationSetName: `${stack.stackName}-outbound`,
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
    });
    this.configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: EventDestination.snsTopic(this.feedbackTopic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT, EmailSendingEvent.REJECT],
    });

    if (props.manageSesIdentity) {
      const identity = new EmailIdentity(this, 'MailDomain', { identity: Identity.domain(props.mailDomain), configurationSet: this.configurationSet });
      this.dkimRecords = [
        { name: identity.dkimDnsTokenName1, type: 'CNAME', value: identity.dkimDnsTokenValue1 },
        { name: identity.dkimDnsTokenName2, type: 'CNAME', value: identity.dkimDnsTokenValue2 },
        { name: identity.dkimDnsTokenName3, type: 'CNAME', value: identity.dkimDnsTokenValue3 },
      ];
    } else {
      this.dkimRecords = [];
    }
  }

  /** Lets `fn` read the reply-address signing secret and tells it where the secret is. */
  grantReplyAddressSigning(fn: ConciergeFunction): void {
    fn.addEnvironment('REPLY_TOKEN_SECRET_ARN', this.replyTokenSecret.secretArn);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.replyTokenSecret.secretArn] }));
  }

  /**
   * Lets `fn` send raw mail through the configuration set, From the desk's own addresses only, or from those of
   * them `fromAddresses` names.
   */
  grantSend(fn: ConciergeFunction, fromAddresses: readonly string[] = this.fromAddresses): void {
    const stack = Stack.of(this);
    const notTheDesks = fromAddresses.filter((address) => !this.fromAddresses.includes(address));
    if (fromAddresses.length === 0 || notTheDesks.length > 0) {
      throw new Error(`${fn.node.id} may send only From the desk's own addresses (${this.fromAddresses.join(', ')}), not ${notTheDesks.join(', ') || 'none'}`);
    }
    fn.addEnvironment('SES_CONFIGURATION_SET', this.configurationSet.configurationSetName);
    // SES authorises a send against the sender's identity and, in the sandbox, each recipient's identity too,
    // so the grant names every identity but only for mail From the desk's own addresses.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendRawEmail'],
        resources: [
          `arn:${stack.partition}:ses:${stack.region}:${stack.account}:identity/*`,
          `arn:${stack.partition}:ses:${stack.region}:${stack.account}:configuration-set/${this.configurationSet.configurationSetName}`,
        ],
        conditions: { StringEquals: { 'ses:FromAddress': [...fromAddresses] } },
      }),
    );
    const { region, account } = nagEnvironment(this);
    acknowledgeWildcard(
      fn,
      `Resource::arn:<AWS::Partition>:ses:${region}:${account}:identity/*`,
      'SES checks the sender’s and, in the sandbox, each recipient’s identity; the statement is limited to From addresses of the desk by ses:FromAddress.',
    );
  }
}

import { Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ReceiptRule, ReceiptRuleSet, TlsPolicy, type IReceiptRuleAction, type ReceiptRuleActionConfig } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { RAW_MAIL_PREFIXES, type RawMailStorage } from './raw-mail';
import { ResourceGroup } from './resource-group';

export interface ReceivingProps {
  /** Addresses the receipt rule accepts (SES matches each with any `+label` too). */
  readonly recipients: readonly string[];
  /** Where SES stores each raw message, under the received-mail prefix. */
  readonly rawMail: RawMailStorage;
  /** Invoked asynchronously once the raw message is stored. */
  readonly inbound: IFunction;
}

/**
 * The permission id on the inbound function; the rule depends on it. Kept stable: it is part of the
 * permission's logical ID.
 */
const INVOKE_PERMISSION_ID = 'AllowSesReceiptRule';

/** The SES receipt actions as plain configuration: the bucket policy and invoke permission are written below, scoped to this rule. */
const s3Action = (bucketName: string, objectKeyPrefix: string): IReceiptRuleAction => ({
  bind: (): ReceiptRuleActionConfig => ({ s3Action: { bucketName, objectKeyPrefix } }),
});
const lambdaAction = (functionArn: string): IReceiptRuleAction => ({
  bind: (): ReceiptRuleActionConfig => ({ lambdaAction: { functionArn, invocationType: 'Event' } }),
});

/**
 * SES receiving: a receipt rule set with one rule that scans the message, stores it in the raw-mail bucket,
 * then invokes `inbound`. SES may write the bucket and invoke the function only for this rule.
 */
export class Receiving extends ResourceGroup {
  readonly ruleSet: ReceiptRuleSet;

  constructor(scope: Construct, id: string, props: ReceivingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const ruleSetName = `${stack.stackName}-receipt-rules`;
    const ruleName = `${stack.stackName}-support`;
    // Written out rather than taken from the rule: the rule depends on these grants, so they cannot refer to it.
    const ruleArn = `arn:${stack.partition}:ses:${stack.region}:${stack.account}:receipt-rule-set/${ruleSetName}:receipt-rule/${ruleName}`;
    const rawMail = props.rawMail.bucket;

    // SES may write raw mail only on behalf of this account's receipt rule.
    rawMail.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowSesReceiptRulePut',
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [rawMail.arnForObjects(`${RAW_MAIL_PREFIXES.received}*`)],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': ruleArn } },
      }),
    );
    props.inbound.addPermission(INVOKE_PERMISSION_ID, {
      principal: new ServicePrincipal('ses.amazonaws.com'),
      sourceAccount: stack.account,
      sourceArn: ruleArn,
    });

    this.ruleSet = new ReceiptRuleSet(this, 'ReceiptRules', { receiptRuleSetName: ruleSetName });
    const rule = new ReceiptRule(this, 'SupportRule', {
      ruleSet: this.ruleSet,
      receiptRuleName: ruleName,
      recipients: [...props.recipients],
      scanEnabled: true,
      tlsPolicy: TlsPolicy.OPTIONAL,
      // Order matters: the raw message is in S3 before inbound runs.
      actions: [s3Action(rawMail.bucketName, RAW_MAIL_PREFIXES.received), lambdaAction(props.inbound.functionArn)],
    });
    // SES checks it may write and invoke when the rule is created.
    rule.node.addDependency(rawMail.policy!);
    rule.node.addDependency(props.inbound.permissionsNode.findChild(INVOKE_PERMISSION_ID));
  }
}

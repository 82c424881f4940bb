import { Stack, Token, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { ConciergeFunction } from '../concierge-function';

/**
 * Acknowledges one cdk-nag finding on `scope` and what it contains, never more widely. The reason shows in
 * the synth report and in the audit trail, so it says why the finding is acceptable here.
 */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges a wildcard-resource finding (AwsSolutions-IAM5) on the one role policy it belongs to. */
export function acknowledgeWildcard(fn: ConciergeFunction, finding: string, reason: string): void {
  acknowledgeFinding(fn.role!.node.findChild('DefaultPolicy'), `AwsSolutions-IAM5[${finding}]`, reason);
}

/** The region and account as cdk-nag prints them in findings: CloudFormation's pseudo-parameters when unresolved. */
export function nagEnvironment(scope: IConstruct): { region: string; account: string } {
  const { region, account } = Stack.of(scope);
  return {
    region: Token.isUnresolved(region) ? '<AWS::Region>' : region,
    account: Token.isUnresolved(account) ? '<AWS::AccountId>' : account,
  };
}

/** What every ConciergeFunction brings with it: the basic execution role and X-Ray trace writes. */
export function acknowledgeFunctionBaseline(fn: ConciergeFunction): void {
  acknowledgeFinding(
    fn.role!,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'AWS-maintained, grants only log writes for the function.',
  );
  acknowledgeWildcard(fn, 'Resource::*', 'X-Ray trace writes (xray:PutTraceSegments, PutTelemetryRecords) have no resource-level permissions.');
}

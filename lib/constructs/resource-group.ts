import { Names, Stack, type CfnElement } from 'aws-cdk-lib';
import { Construct, type Node } from 'constructs';

/**
 * A construct that groups the desk's resources for the reader and stays out of their CloudFormation logical
 * IDs. The stack was one flat scope before it was split into groups, and a resource whose logical ID changes
 * is replaced on update: a new empty table beside the retained old one, a bucket policy deleted after its
 * replacement was written, a new API URL, an alarm subscription to confirm again, and a failed update for
 * every resource with a fixed name (receipt rule set, configuration set, email identity).
 */
export abstract class ResourceGroup extends Construct {}

/**
 * The logical ID CDK would give `element` if no resource group stood between it and its stack: CDK's own
 * algorithm (`Names.nodeUniqueId`) over the ids on the path, groups left out.
 */
export function logicalIdOutsideGroups(element: CfnElement): string {
  const stack = Stack.of(element);
  const scopes = element.node.scopes;
  const path = scopes.slice(scopes.indexOf(stack) + 1).filter((scope) => !(scope instanceof ResourceGroup));
  // nodeUniqueId reads only `scopes`, dropping the first one (here the stack) as it drops the app.
  return Names.nodeUniqueId({ scopes: [stack, ...path] } as unknown as Node);
}

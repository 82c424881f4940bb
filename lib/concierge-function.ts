import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface ConciergeFunctionProps extends Pick<NodejsFunctionProps, 'entry' | 'description' | 'environment' | 'deadLetterQueue' | 'retryAttempts' | 'reservedConcurrentExecutions'> {
  /** Chosen from measurement; see README "Sizing". */
  memorySize: number;
  timeout: Duration;
  logRetention: RetentionDays;
}

/** DynamoDB actions by access level, spelled out so no grant carries a wildcard action. */
const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'],
  write: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
} as const;

/**
 * How every function is bundled and started; `scripts/bench` builds and runs its bundles with exactly these,
 * so cold-start figures describe what deploys.
 */
export const DEPLOYED_BUNDLING = {
  minify: true,
  sourceMap: true,
  format: OutputFormat.ESM,
  target: 'node22', // runs on 22 and newer
  mainFields: ['module', 'main'],
  // Ship the SDK versions the tests ran against, not whichever the runtime happens to carry.
  bundleAwsSDK: true,
  // Some dependencies are CommonJS and call require(); ESM bundles need it defined.
  banner: "import { createRequire as __concierge_createRequire } from 'module'; const require = __concierge_createRequire(import.meta.url);",
} as const satisfies NodejsFunctionProps['bundling'];

export const DEPLOYED_NODE_OPTIONS = '--enable-source-maps';

/**
 * Every Concierge Lambda: Node.js 24 on arm64, bundled by esbuild per function (minified, ESM, source maps),
 * its own log group with retention, JSON logs, X-Ray tracing.
 */
export class ConciergeFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ConciergeFunctionProps) {
    const { logRetention, ...functionProps } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    super(scope, id, {
      ...functionProps,
      // The newest Lambda Node.js runtime (cdk-nag L1); the brief asks for 22 or newer.
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      handler: 'handler',
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      environment: {
        NODE_OPTIONS: DEPLOYED_NODE_OPTIONS,
        POWERTOOLS_SERVICE_NAME: 'concierge',
        ...functionProps.environment,
      },
      bundling: { ...DEPLOYED_BUNDLING, mainFields: [...DEPLOYED_BUNDLING.mainFields] },
    });
  }

  /** Sets TABLE_NAME and grants exactly the table actions this function needs, indexes included. */
  bindTable(table: ITable, access: 'read' | 'read-write'): void {
    this.addEnvironment('TABLE_NAME', table.tableName);
    const actions = access === 'read' ? [...TABLE_ACTIONS.read] : [...TABLE_ACTIONS.read, ...TABLE_ACTIONS.write];
    this.addToRolePolicy(new PolicyStatement({ actions, resources: [table.tableArn, `${table.tableArn}/index/*`] }));
  }
}

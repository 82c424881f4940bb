import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BUNDLED_SLA_POLICY_DEFINE } from '../functions/sla/policy-file';
import { BUNDLED_DEPOSIT_ADDRESSES_DEFINE } from '../functions/secrets/deposit-address-file';

export interface ConciergeFunctionProps extends Pick<NodejsFunctionProps, 'entry' | 'description' | 'environment' | 'deadLetterQueue' | 'retryAttempts' | 'maxEventAge' | 'reservedConcurrentExecutions'> {
  /** Modules this function defers besides DEFERRED_MODULES (FUNCTION_DEFERRED_MODULES). */
  readonly extraDeferredModules?: Readonly<Record<string, string>>;
  /** The SLA policy file's text, compiled into the bundle (functions/sla/policy-file.ts); absent, the defaults. */
  readonly slaPolicyText?: string;
  /** The deposit-address file's text, compiled into the bundle (functions/secrets/deposit-address-file.ts); absent, none. */
  readonly depositAddressesText?: string;
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
 * Modules behind a stand-in in lib/bundling/lazy, each built into `deferred/<name>.cjs` beside the bundle
 * from this entry file (relative to the project root, where CDK runs esbuild).
 */
export const DEFERRED_MODULES: Readonly<Record<string, string>> = {
  'iconv-lite': 'node_modules/iconv-lite/lib/index.js',
  'encoding-japanese': 'node_modules/encoding-japanese/src/index.js',
  'html-to-text': 'node_modules/html-to-text/lib/html-to-text.cjs',
  'linkify-it': 'node_modules/linkify-it/build/index.cjs.js',
  tldts: 'node_modules/tldts/dist/cjs/index.js',
  he: 'node_modules/he/he.js',
  'nodemailer/lib/mail-composer': 'node_modules/nodemailer/dist/cjs/mail-composer/index.js',
};

/**
 * Modules deferred in one function only, beside DEFERRED_MODULES: the API sends mail only when a staff member
 * answers through it, so the SES client, the MIME encoders and the Secrets Manager client (the reply-address
 * secret is read on the first answer) wait for that. `inbound` sends mail for nearly every message and keeps
 * them in its bundle.
 */
export const FUNCTION_DEFERRED_MODULES = {
  api: {
    '@aws-sdk/client-ses': 'node_modules/@aws-sdk/client-ses/dist-cjs/index.js',
    '@aws-sdk/client-secrets-manager': 'node_modules/@aws-sdk/client-secrets-manager/dist-cjs/index.js',
    libmime: 'node_modules/libmime/lib/libmime.js',
    libqp: 'node_modules/libqp/lib/libqp.js',
  },
} as const satisfies Record<string, Record<string, string>>;

/** Every module deferred in a function that also defers `extra`. */
export function deferredModulesWith(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...DEFERRED_MODULES, ...extra };
}

export function deferredAliases(modules: Readonly<Record<string, string>> = DEFERRED_MODULES): string[] {
  return Object.keys(modules).map((name) => `${name}=./lib/bundling/lazy/${name}.cjs`);
}

/** Shell commands that build the deferred modules into `<outputDir>/deferred/`, run after the main bundle. */
export function deferredModuleCommands(inputDir: string, outputDir: string, target: string, modules: Readonly<Record<string, string>> = DEFERRED_MODULES): string[] {
  return Object.entries(modules).map(
    ([name, entry]) =>
      `npx --no-install esbuild ${JSON.stringify(`${inputDir}/${entry}`)} --bundle --platform=node --format=cjs --minify --target=${target} --log-level=error --outfile=${JSON.stringify(`${outputDir}/deferred/${name}.cjs`)}`,
  );
}

/**
 * How every function is bundled and started; `scripts/bench` builds and runs its bundles with exactly these,
 * so cold-start figures describe what deploys.
 */
export const DEPLOYED_BUNDLING = {
  minify: true,
  // Measured (`npx tsx scripts/bench/cold-start.ts --source-maps on|off`): a source map with
  // --enable-source-maps costs about a tenth of a cold start's CPU and more on every error stack; minified
  // stack traces still name the file and offset, and the map can be rebuilt from the commit.
  sourceMap: false,
  format: OutputFormat.ESM,
  target: 'node22', // runs on 22 and newer
  mainFields: ['module', 'main'],
  // Ship the SDK versions the tests ran against, not whichever the runtime happens to carry.
  bundleAwsSDK: true,
  // Some dependencies are CommonJS and call require(); ESM bundles need it defined.
  banner: "import { createRequire as __concierge_createRequire } from 'module'; const require = __concierge_createRequire(import.meta.url);",
  // Modules an ordinary message never calls are loaded on first use (lib/bundling/lazy/README.md).
  esbuildArgs: { '--alias': deferredAliases() },
} as const satisfies NodejsFunctionProps['bundling'];

/**
 * The esbuild `define` that compiles an SLA policy's text into a bundle: `loadConfiguredSlaPolicy` reads
 * BUNDLED_SLA_POLICY_DEFINE, which esbuild replaces with this string literal.
 */
export function slaPolicyDefine(slaPolicyText: string | undefined): Record<string, string> {
  return slaPolicyText === undefined ? {} : { [BUNDLED_SLA_POLICY_DEFINE]: JSON.stringify(slaPolicyText) };
}

/** The esbuild `define` that compiles the deposit-address list into a bundle, as slaPolicyDefine does the policy. */
export function depositAddressesDefine(depositAddressesText: string | undefined): Record<string, string> {
  return depositAddressesText === undefined ? {} : { [BUNDLED_DEPOSIT_ADDRESSES_DEFINE]: JSON.stringify(depositAddressesText) };
}

/** NODE_OPTIONS every function starts with; empty since source maps are off (see sourceMap above). */
export const DEPLOYED_NODE_OPTIONS: string = '';

/**
 * Every Concierge Lambda: Node.js 24 on arm64, bundled by esbuild per function (minified, ESM, rare modules deferred),
 * its own log group with retention, JSON logs, X-Ray tracing.
 */
export class ConciergeFunction extends NodejsFunction {
  /** What esbuild replaces in this function's bundle (empty unless an SLA policy or deposit-address list is bundled). */
  readonly bundlingDefine: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ConciergeFunctionProps) {
    const { logRetention, extraDeferredModules, slaPolicyText, depositAddressesText, ...functionProps } = props;
    const deferred = deferredModulesWith(extraDeferredModules);
    const define = { ...slaPolicyDefine(slaPolicyText), ...depositAddressesDefine(depositAddressesText) };
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
        ...(DEPLOYED_NODE_OPTIONS ? { NODE_OPTIONS: DEPLOYED_NODE_OPTIONS } : {}),
        POWERTOOLS_SERVICE_NAME: 'concierge',
        ...functionProps.environment,
      },
      bundling: {
        ...DEPLOYED_BUNDLING,
        mainFields: [...DEPLOYED_BUNDLING.mainFields],
        esbuildArgs: { '--alias': deferredAliases(deferred) },
        // Only the main bundle reads the policy; the deferred modules are built without it.
        define,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) => deferredModuleCommands(inputDir, outputDir, DEPLOYED_BUNDLING.target, deferred),
        },
      },
    });
    this.bundlingDefine = define;
  }

  /** Sets TABLE_NAME and grants exactly the table actions this function needs, indexes included. */
  bindTable(table: ITable, access: 'read' | 'read-write'): void {
    this.addEnvironment('TABLE_NAME', table.tableName);
    const actions = access === 'read' ? [...TABLE_ACTIONS.read] : [...TABLE_ACTIONS.read, ...TABLE_ACTIONS.write];
    this.addToRolePolicy(new PolicyStatement({ actions, resources: [table.tableArn, `${table.tableArn}/index/*`] }));
  }
}

/**
 * The SLA engine on AWS: the scan function and its schedule, what it may touch, the alarm on VIP urgent
 * breaches, and the `slaPolicyFile` parameter, checked at synth and compiled into every function that keeps
 * the SLA clock.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE, SLA_METRICS } from '../../functions/commons/metrics';
import { DEFAULT_SLA_POLICY, parseSlaPolicyText, type SlaPolicy } from '../../functions/sla/policy';
import { BUNDLED_SLA_POLICY_DEFINE } from '../../functions/sla/policy-file';
import { ConciergeFunction, DEFERRED_MODULES } from '../../lib/concierge-function';
import { ConciergeStack } from '../../lib/concierge-stack';
import { readParameters } from '../../lib/parameters';
import { bundledProbe } from '../helpers/bundled-probe';
import { PROJECT_ROOT } from '../helpers/corpus';

const cdkContext = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
const ENV = { account: '123456789012', region: 'eu-west-1' };
const EXAMPLE_POLICY = join(PROJECT_ROOT, 'docs', 'sla-policy.example.json');
/** Seconds, so a deployed desk could be tried end to end; far from every default. */
const QUICK_POLICY = `{
  "warnAt": 0.5,
  "targets": { "vip": { "urgent": { "firstResponse": "PT20S" } } }
}
`;

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

const workDir = mkdtempSync(join(tmpdir(), 'concierge-sla-infra-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function policyFile(name: string, text: string): string {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
}

function buildStack(extraContext: Record<string, unknown> = {}): ConciergeStack {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...extraContext } });
  return new ConciergeStack(app, 'Concierge', { parameters: readParameters((key) => app.node.tryGetContext(key)), env: ENV });
}

/** The stack's functions by construct id. */
const functionsOf = (stack: Stack) => new Map(stack.node.findAll().filter((c): c is ConciergeFunction => c instanceof ConciergeFunction).map((fn) => [fn.node.id, fn]));

describe('the SLA scan', () => {
  let resources: Resources;
  let scanId: string;
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const ref = (id: string) => JSON.stringify({ Ref: id });

  beforeAll(() => {
    resources = Template.fromStack(buildStack()).toJSON().Resources as Resources;
    scanId = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('SlaScan'))![0];
  });

  it('runs every minute, invoked by its own EventBridge rule', () => {
    // Act
    const rules = ofType('AWS::Events::Rule');

    // Assess
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0]!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [scanId, 'Arn'] } })]);
    const invoke = ofType('AWS::Lambda::Permission').filter(([, permission]) => permission.Properties.Principal === 'events.amazonaws.com');
    expect(invoke.map(([, permission]) => [permission.Properties.FunctionName, permission.Properties.SourceArn])).toEqual([
      [{ 'Fn::GetAtt': [scanId, 'Arn'] }, { 'Fn::GetAtt': [rules[0]![0], 'Arn'] }],
    ]);
  });

  it('leaves a failed or late run to the next one: no retry, nothing older than a minute, no dead letters', () => {
    const [, rule] = ofType('AWS::Events::Rule')[0]!;
    const [target] = rule.Properties.Targets as Array<Record<string, unknown>>;
    expect(target?.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 60 });
    expect(target?.DeadLetterConfig).toBeUndefined();
    const invokeConfig = ofType('AWS::Lambda::EventInvokeConfig').find(([, config]) => JSON.stringify(config.Properties.FunctionName) === ref(scanId));
    expect(invokeConfig?.[1].Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    const scan = resources[scanId]!.Properties;
    expect(scan.DeadLetterConfig).toBeUndefined();
    // Ends before the next run is due.
    expect(scan.Timeout).toBe(55);
    expect(scan.Runtime).toBe('nodejs24.x');
    expect(scan.Handler).toBe('index.handler');
  });

  it('gets the environment the API gets: table, support address, reply secret, configuration set', () => {
    const variables = (resources[scanId]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const api = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('Api'))![1];
    const apiVariables = (api.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const name of ['TABLE_NAME', 'SUPPORT_ADDRESS', 'REPLY_TOKEN_SECRET_ARN', 'SES_CONFIGURATION_SET']) {
      expect(variables[name], name).toBeDefined();
      expect(variables[name], name).toEqual(apiVariables[name]);
    }
    expect(variables.SUPPORT_ADDRESS).toBe('support@support-example.com');
  });

  it('reads and writes the table and its indexes, reads the reply secret, and sends only From the support address', () => {
    // Prepare
    const policy = ofType('AWS::IAM::Policy').find(([, p]) => JSON.stringify(p.Properties.Roles).includes('SlaScanServiceRole'))![1];
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const withAction = (action: string) => statements.filter((statement) => [statement.Action].flat().includes(action));
    const tableId = ofType('AWS::DynamoDB::GlobalTable')[0]![0];
    const secretId = ofType('AWS::SecretsManager::Secret')[0]![0];

    // Assess: the table, read-write, its indexes (the due index gsi4 among them)
    const [table] = withAction('dynamodb:Query');
    expect(withAction('dynamodb:UpdateItem')).toEqual([table]);
    expect(table?.Resource).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/*']] }]);
    expect([table?.Action].flat().sort()).toEqual([
      'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
    ]);
    // the reply secret, read only
    expect(withAction('secretsmanager:GetSecretValue').map((statement) => statement.Resource)).toEqual([{ Ref: secretId }]);
    // SES, raw mail From the support address only
    const send = withAction('ses:SendRawEmail');
    expect(send).toHaveLength(1);
    expect(send[0]?.Action).toBe('ses:SendRawEmail');
    expect(send[0]?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': ['support@support-example.com'] } });
    expect(JSON.stringify(send[0]?.Resource)).toContain(':configuration-set/');
    // and nothing else: X-Ray, the table, the secret, SES
    expect(statements).toHaveLength(4);
    expect(withAction('xray:PutTraceSegments')).toHaveLength(1);
  });

  it('alarms on its errors and throttles, to the alarm topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(([, alarm]) => JSON.stringify(alarm.Properties.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: scanId } }]));
    expect(alarms.map(([, alarm]) => alarm.Properties.MetricName).sort()).toEqual(['Errors', 'Throttles']);
    const topicId = ofType('AWS::SNS::Topic').find(([id]) => id.startsWith('Alarms'))![0];
    for (const [, alarm] of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });
});

describe('the alarm on VIP urgent breaches', () => {
  it('fires on one SlaBreaches point of Tier vip, Priority urgent in a minute, to the alarm topic; quiet without data', () => {
    // Act
    const resources = Template.fromStack(buildStack()).toJSON().Resources as Resources;

    // Assess
    const breachAlarms = Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm' && resource.Properties.MetricName === 'SlaBreaches');
    expect(breachAlarms).toHaveLength(1);
    expect(breachAlarms[0]?.Properties).toMatchObject({
      Namespace: 'Concierge',
      MetricName: 'SlaBreaches',
      // The dimensions the scan publishes every point with (functions/commons/metrics.ts), all of them.
      Dimensions: [
        { Name: 'Priority', Value: 'urgent' },
        { Name: 'Tier', Value: 'vip' },
      ],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect([METRICS_NAMESPACE, SLA_METRICS.breaches]).toEqual(['Concierge', 'SlaBreaches']);
    const topicId = Object.entries(resources).find(([id, resource]) => resource.Type === 'AWS::SNS::Topic' && id.startsWith('Alarms'))![0];
    const subscription = Object.values(resources).find((resource) => resource.Type === 'AWS::SNS::Subscription');
    expect(subscription?.Properties).toMatchObject({ Protocol: 'email', TopicArn: { Ref: topicId } });
    expect(breachAlarms[0]?.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });
});

describe('the slaPolicyFile parameter', () => {
  it('compiles the file’s text, as written, into inbound, the API and the scan', () => {
    // Prepare
    const file = policyFile('quick.json', QUICK_POLICY);

    // Act
    const all = functionsOf(buildStack({ slaPolicyFile: file }));
    // The feedback function keeps no SLA clock: it suppresses addresses and records events.
    const functions = new Map([...all].filter(([id]) => id !== 'Feedback'));

    // Assess
    expect([...all.keys()].sort()).toEqual(['Api', 'Feedback', 'Inbound', 'SlaScan']);
    expect(all.get('Feedback')?.bundlingDefine).toEqual({});
    expect([...functions.keys()].sort()).toEqual(['Api', 'Inbound', 'SlaScan']);
    for (const [id, fn] of functions) {
      expect(fn.bundlingDefine, id).toEqual({ [BUNDLED_SLA_POLICY_DEFINE]: JSON.stringify(QUICK_POLICY) });
      expect(JSON.parse(fn.bundlingDefine[BUNDLED_SLA_POLICY_DEFINE]!), id).toBe(QUICK_POLICY);
    }
  });

  it('compiles nothing in when the parameter is not set: the functions use the defaults', () => {
    for (const [id, fn] of functionsOf(buildStack())) expect(fn.bundlingDefine, id).toEqual({});
  });

  it('takes a path relative to the project, as `-c slaPolicyFile=docs/…` passes it', () => {
    const parameters = readParameters((key) => ({ ...cdkContext, slaPolicyFile: 'docs/sla-policy.example.json' })[key]);
    expect(parameters.slaPolicy).toEqual({ file: EXAMPLE_POLICY, text: readFileSync(EXAMPLE_POLICY, 'utf8') });
  });

  it('refuses a bad file, naming the file and the path of each mistake', () => {
    // Prepare
    const bad = policyFile('bad.json', JSON.stringify({ targets: { vip: { urgent: { firstResponse: 'soon' } } }, warnAt: 2 }));

    // Act
    const read = () => readParameters((key) => ({ ...cdkContext, slaPolicyFile: bad })[key]);

    // Assess
    expect(read).toThrow(`Concierge parameters: slaPolicyFile: ${bad}: `);
    expect(read).toThrow(/warnAt: expected a fraction between 0 and 1/);
    expect(read).toThrow(/targets\.vip\.urgent\.firstResponse: expected an ISO-8601 duration .*, got "soon"/);
  });

  it('refuses a file that is missing or is not JSON, naming it', () => {
    const missing = join(workDir, 'missing.json');
    expect(() => readParameters((key) => ({ ...cdkContext, slaPolicyFile: missing })[key])).toThrow(`slaPolicyFile: ${missing}: cannot be read (ENOENT)`);
    const notJson = policyFile('not-json.json', '{ "warnAt": 0.5, }');
    expect(() => readParameters((key) => ({ ...cdkContext, slaPolicyFile: notJson })[key])).toThrow(`slaPolicyFile: ${notJson}: not valid JSON`);
  });

  it('makes `cdk synth` fail on a bad file with the path of the mistake, and write no template', async () => {
    // Prepare: the app run as the CDK CLI runs it (context in CDK_CONTEXT_JSON, CDK_OUTDIR set)
    const bad = policyFile('soon.json', '{ "targets": { "vip": { "urgent": { "firstResponse": "soon" } } } }');
    const outdir = join(workDir, 'cdk.out');

    // Act
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bin', 'concierge.ts')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext, slaPolicyFile: bad, 'aws:cdk:bundling-stacks': [] }) },
    });

    // Assess
    const failure = await run.then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain(`${bad}: targets.vip.urgent.firstResponse: expected an ISO-8601 duration`);
    expect(failure?.stderr).toContain('got "soon"');
    expect(existsSync(join(outdir, 'Concierge.template.json'))).toBe(false);
  });

  it('the example policy in docs/ is valid and says what it shows', () => {
    // Act
    const policy = parseSlaPolicyText(readFileSync(EXAMPLE_POLICY, 'utf8'), EXAMPLE_POLICY);

    // Assess: every tier and priority set, the brief's first responses, business hours for standard
    expect(policy.targets.vip.urgent).toEqual({ firstResponse: 15 * 60, nextResponse: 30 * 60, resolution: 4 * 3600 });
    expect(policy.targets.standard.normal.firstResponse).toBe(24 * 3600);
    expect(policy.warnAt).toBe(0.75);
    expect(policy.calendars.vip).toBe('24x7');
    expect(policy.calendars.standard).toMatchObject({ timeZone: 'Asia/Shanghai', hours: { mon: ['09:00', '18:00'] }, holidays: expect.arrayContaining(['2026-10-01']) });
    const file = JSON.parse(readFileSync(EXAMPLE_POLICY, 'utf8')) as { targets: Record<string, Record<string, Record<string, string>>> };
    for (const tier of ['vip', 'standard']) {
      expect(Object.keys(file.targets[tier] ?? {}).sort(), tier).toEqual(['high', 'low', 'normal', 'urgent']);
      for (const targets of Object.values(file.targets[tier] ?? {})) expect(Object.keys(targets).sort()).toEqual(['firstResponse', 'nextResponse', 'resolution']);
    }
  });
});

describe('a function bundled with a policy', () => {
  it('runs with the policy compiled in, its deferred modules still built beside it', async () => {
    // Act: one ConciergeFunction, bundled by CDK as `cdk synth` bundles
    const { bundleDir, module: bundled } = await bundledProbe<() => Promise<SlaPolicy>>(join(workDir, 'bundled'), join(PROJECT_ROOT, 'tests', 'infra', 'fixtures', 'bundled-sla-policy.ts'), { slaPolicyText: QUICK_POLICY });
    const policy = await bundled.handler();

    // Assess: the file's policy, not the defaults (this process has no CONCIERGE_BUNDLED_SLA_POLICY)
    expect(process.env.CONCIERGE_BUNDLED_SLA_POLICY).toBeUndefined();
    expect(policy).toEqual(parseSlaPolicyText(QUICK_POLICY, 'quick'));
    expect(policy.targets.vip.urgent.firstResponse).toBe(20);
    expect(policy).not.toEqual(DEFAULT_SLA_POLICY);
    for (const name of Object.keys(DEFERRED_MODULES)) expect(existsSync(join(bundleDir, 'deferred', `${name}.cjs`)), name).toBe(true);
  });
});

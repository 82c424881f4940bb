#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConciergeStack } from '../lib/concierge-stack';
import { readParameters } from '../lib/parameters';

const app = new App();
const parameters = readParameters((key) => app.node.tryGetContext(key));
new ConciergeStack(app, app.node.tryGetContext('stackName') ?? 'Concierge', {
  parameters,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Concierge: email support desk (SES receiving, Lambda, DynamoDB, SES sending)',
});
// Policy validation: an unacknowledged AwsSolutions error fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

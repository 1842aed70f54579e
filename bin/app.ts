#!/usr/bin/env node
/**
 * CDK app: `cdk deploy [-c config=PATH] [-c stackName=NAME]`. Everything that can be tested lives
 * in lib/; this file only wires the context to the stack.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambda/config/config';
import { DEFAULT_CONFIG_PATH, loadConfig, stringContext } from '../lib/load-config';
import { PodWatchStack } from '../lib/pod-watch-stack';

const app = new App();

try {
  const configPath = stringContext(app.node.tryGetContext('config'), 'config', DEFAULT_CONFIG_PATH);
  const stackName = stringContext(app.node.tryGetContext('stackName'), 'stackName', 'AlayaPodWatch');
  new PodWatchStack(app, stackName, { config: loadConfig(configPath) });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // A config mistake is the user's to fix: the message names the field, a stack trace would bury it.
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

// Every synth (and so every deploy) runs the AWS Solutions rules; an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

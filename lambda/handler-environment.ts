import { z } from 'zod';
import { ConfigError, formatPath } from './config/config';

/** The variables the stack sets on the function; checked at cold start so a broken deploy fails loudly. */
const handlerEnvSchema = z.object({
  TABLE_NAME: z.string().min(1, 'expected the state table name'),
  TOPIC_ARN: z.string().regex(/^arn:aws[a-z-]*:sns:/, 'expected an SNS topic ARN'),
  API_KEY_SECRET_ID: z.string().min(1, 'expected the secret name or ARN'),
  LEASE_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(960),
  POD_WATCH_CONFIG_FILE: z.string().min(1).optional(),
});

export interface HandlerEnvironment {
  tableName: string;
  topicArn: string;
  secretId: string;
  leaseTtlSeconds: number;
  configFile?: string;
}

export function readHandlerEnvironment(env: NodeJS.ProcessEnv): HandlerEnvironment {
  const parsed = handlerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new ConfigError(`environment: ${issues.join('; ')}`, issues);
  }
  const e = parsed.data;
  return {
    tableName: e.TABLE_NAME,
    topicArn: e.TOPIC_ARN,
    secretId: e.API_KEY_SECRET_ID,
    leaseTtlSeconds: e.LEASE_TTL_SECONDS,
    ...(e.POD_WATCH_CONFIG_FILE ? { configFile: e.POD_WATCH_CONFIG_FILE } : {}),
  };
}

/**
 * What one scheduled invocation does around the core: a deadline from the Lambda's remaining time,
 * one summary log line, the run metrics, and a throw on failure so the Errors alarm fires.
 */
import type { Context } from 'aws-lambda';
import type { PodWatchConfig } from './config/config';
import {
  CHAT_BUDGET_MS,
  errorText,
  type RunDeps,
  type RunLogger,
  type RunResult,
  runCheck,
} from './core/run-check';

/** The slice of Powertools Metrics used here (so tests can record calls). */
export interface RunMetrics {
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): void;
  publishStoredMetrics(): void;
  /** One metric record with extra dimensions (per-pod metrics, `metrics.perPod`). */
  addDimensionedMetrics?(dimensions: Record<string, string>, values: Record<string, number>): void;
}

export interface StructuredLogger extends RunLogger {
  error(message: string, fields?: Record<string, unknown>): void;
  appendKeys?(keys: Record<string, unknown>): void;
}

export interface ScheduledRunOptions {
  config: PodWatchConfig;
  deps: RunDeps;
  logger: StructuredLogger;
  metrics: RunMetrics;
  leaseTtlMs: number;
  /** Time kept back from the Lambda timeout to notify and commit after the checks stop. */
  wrapUpMs?: number;
}

export type ScheduledHandler = (
  event: unknown,
  context: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>,
) => Promise<RunSummary>;

export interface RunSummary {
  status: RunResult['status'];
  checkedAt: string;
  pods?: number;
  alerts?: number;
}

export function makeScheduledHandler(options: ScheduledRunOptions): ScheduledHandler {
  const { config, deps, logger, metrics, leaseTtlMs } = options;
  // Notify and commit after the checks stop; chat webhooks have their own budget on top.
  const wrapUpMs = options.wrapUpMs ?? 20_000 + (config.webhooks.length > 0 ? CHAT_BUDGET_MS : 0);
  return async (_event, context) => {
    logger.appendKeys?.({ requestId: context.awsRequestId });
    const budgetMs = Math.max(1_000, context.getRemainingTimeInMillis() - wrapUpMs);
    const signal = AbortSignal.timeout(budgetMs);
    try {
      const result = await runCheck(config, deps, { runId: context.awsRequestId, leaseTtlMs, signal });
      if (result.status === 'skipped') {
        logger.warn('run skipped', { reason: result.reason });
        metrics.addMetric('RunsSkipped', 'Count', 1);
        return { status: result.status, checkedAt: result.checkedAt };
      }
      const { stats } = result;
      logger.info('run completed', {
        pods: stats.podsChecked,
        health: stats.byHealth,
        alerts: stats.alertsSent,
        alertTypes: result.alerts.map((a) => a.type),
        stateWrites: stats.stateWrites,
        durationMs: stats.durationMs,
      });
      for (const p of result.pods) {
        logger.debug('pod', {
          taskId: p.pod.taskId,
          podName: p.pod.podName,
          health: p.health,
          status: p.status,
          restartCount: p.restartCount,
          error: p.error,
        });
      }
      // A run that could not read the key watched nothing: the heartbeat must not count it.
      if (result.keyError === undefined) metrics.addMetric('RunsSucceeded', 'Count', 1);
      else metrics.addMetric('RunsWithoutKey', 'Count', 1);
      metrics.addMetric('PodsChecked', 'Count', stats.podsChecked);
      metrics.addMetric('PodsNotRunning', 'Count', stats.byHealth['not-running']);
      metrics.addMetric('PodsCheckFailed', 'Count', stats.byHealth['check-failed']);
      metrics.addMetric('RestartsObserved', 'Count', stats.restartsObserved);
      metrics.addMetric('AlertsSent', 'Count', stats.alertsSent);
      metrics.addMetric('RunDurationMs', 'Milliseconds', stats.durationMs);
      if (config.metrics.perPod && metrics.addDimensionedMetrics) {
        const restarts = new Map<string, number>();
        for (const a of result.alerts) {
          if (a.type === 'restarted' && a.pod) {
            restarts.set(
              `${a.pod.taskId}/${a.pod.podName}`,
              (a.restartsAfter ?? 0) - (a.restartsBefore ?? 0),
            );
          }
        }
        for (const p of result.pods) {
          metrics.addDimensionedMetrics(
            { taskId: p.pod.taskId, podName: p.pod.podName },
            {
              PodNotRunning: p.health === 'not-running' ? 1 : 0,
              PodRestarts: restarts.get(`${p.pod.taskId}/${p.pod.podName}`) ?? 0,
            },
          );
        }
      }
      if (stats.apiLatencyMs.count > 0) {
        metrics.addMetric('ApiLatencyMeanMs', 'Milliseconds', Math.round(stats.apiLatencyMs.mean));
        metrics.addMetric('ApiLatencyMaxMs', 'Milliseconds', Math.round(stats.apiLatencyMs.max));
      }
      return {
        status: 'completed',
        checkedAt: result.checkedAt,
        pods: stats.podsChecked,
        alerts: stats.alertsSent,
      };
    } catch (err) {
      logger.error('run failed', {
        error: errorText(err),
        errorName: err instanceof Error ? err.name : typeof err,
      });
      metrics.addMetric('RunsFailed', 'Count', 1);
      throw err;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

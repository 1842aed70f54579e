/**
 * The synthetic fleet every part of the benchmark checks: deterministic, so that the parent (which
 * seeds the fake API) and each child process (which builds the config) agree on the same pods
 * without passing thousands of names around.
 */
import { type PodConfig, type PodWatchConfig, parseConfig } from '../lambda/config/config';

/** The key the fake API accepts and the impersonated Secrets Manager returns. */
export const BENCH_API_KEY = 'bench-key';
/** Real training jobs run several pods per task; 8 keeps taskIds shared as in production. */
const PODS_PER_TASK = 8;

export function benchPods(count: number): PodConfig[] {
  return Array.from({ length: count }, (_, i) => {
    const task = Math.floor(i / PODS_PER_TASK);
    return {
      taskId: `${task.toString(16).padStart(8, '0')}-0000-4000-8000-${task.toString(16).padStart(12, '0')}`,
      podName: `bench-job-${task}-worker-${i % PODS_PER_TASK}`,
    };
  });
}

export interface BenchConfigInput {
  pods: number;
  apiBaseUrl: string;
  concurrency: number;
  /** `metrics.perPod`: one EMF record per pod and run (opt-in; priced in docs/performance.md). */
  perPodMetrics?: boolean;
}

/**
 * Goes through the real schema (defaults included: timeout 10 s, 2 retries, alert thresholds), so
 * the benchmark runs the config a user would deploy, not a hand-built object the schema would refuse.
 */
export function benchConfig(input: BenchConfigInput): PodWatchConfig {
  return parseConfig(
    {
      pods: benchPods(input.pods),
      apiBaseUrl: input.apiBaseUrl,
      concurrency: input.concurrency,
      ...(input.perPodMetrics ? { metrics: { perPod: true } } : {}),
    },
    'bench config',
  );
}

/**
 * Silences: an operator's "I know, stop telling me" for one pod or a whole task, for a while.
 * A silence ends when it expires or when the pod recovers after it was set, so the next, unrelated
 * failure of that pod alerts again instead of disappearing into an old silence. Pure apart from
 * the random id of a new silence.
 */
import { randomUUID } from 'node:crypto';
import { podSchema } from '../config/config';

export interface Silence {
  /** Short handle for listing and removing it. */
  id: string;
  /** Lowercase, so it compares like the state key. */
  taskId: string;
  /** Absent: every pod of the task. */
  podName?: string;
  /** ISO-8601 */
  createdAt: string;
  /** ISO-8601 */
  expiresAt: string;
  reason: string;
  createdBy?: string;
}

const MINUTE_MS = 60_000;
export const MIN_SILENCE_MS = MINUTE_MS;
export const MAX_SILENCE_MS = 30 * 24 * 60 * MINUTE_MS;
const DURATION_RE = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;
const ID_RE = /^[0-9a-z-]{1,64}$/;
const MAX_REASON = 500;

/** `30m`, `2h`, `1h30m`, `1d`, `7d` (any of d, h, m in that order) → milliseconds, 1 minute to 30 days. */
export function parseSilenceDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  const m = DURATION_RE.exec(trimmed);
  if (!m || trimmed === '') throw new Error('--for: expected a duration such as 30m, 2h or 1d');
  const [days = 0, hours = 0, minutes = 0] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  const ms = ((days * 24 + hours) * 60 + minutes) * MINUTE_MS;
  if (ms < MIN_SILENCE_MS) throw new Error(`--for: ${trimmed} is shorter than the 1-minute minimum`);
  if (ms > MAX_SILENCE_MS) throw new Error(`--for: ${trimmed} is longer than the 30-day maximum`);
  return ms;
}

function check(field: string, schema: typeof podSchema.shape.taskId, value: string): void {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${field}: ${result.error.issues[0]?.message ?? 'invalid'}`);
}

export interface NewSilenceInput {
  taskId: string;
  podName?: string;
  forMs: number;
  reason: string;
  now: Date;
  createdBy?: string;
  /** Only for tests and replays; otherwise 8 hex characters of a random UUID. */
  id?: string;
}

/** Validates like the config does (taskId a UUID, podName a pod name) and throws an Error naming the field. */
export function newSilence(input: NewSilenceInput): Silence {
  check('taskId', podSchema.shape.taskId, input.taskId);
  if (input.podName !== undefined) check('podName', podSchema.shape.podName, input.podName);
  if (!Number.isFinite(input.forMs) || input.forMs < MIN_SILENCE_MS || input.forMs > MAX_SILENCE_MS) {
    throw new Error('--for: expected a duration from 1 minute to 30 days');
  }
  const reason = input.reason.trim();
  if (reason.length < 1 || reason.length > MAX_REASON) {
    throw new Error(`reason: expected 1 to ${MAX_REASON} characters, got ${reason.length}`);
  }
  if (input.id !== undefined && !ID_RE.test(input.id)) {
    throw new Error('id: expected 1 to 64 lowercase letters, digits or "-"');
  }
  const createdBy = input.createdBy?.trim();
  return {
    id: input.id ?? randomUUID().replace(/-/g, '').slice(0, 8),
    taskId: input.taskId.toLowerCase(),
    ...(input.podName !== undefined ? { podName: input.podName } : {}),
    createdAt: input.now.toISOString(),
    expiresAt: new Date(input.now.getTime() + input.forMs).toISOString(),
    reason,
    ...(createdBy ? { createdBy } : {}),
  };
}

/**
 * Active while now < expiresAt and the pod has not recovered since the silence was set
 * (podLastRecoveredAt absent or <= createdAt). For a task-wide silence pass the recovery time of
 * the pod being asked about: one pod recovering ends the silence for that pod only.
 * Unreadable timestamps make it inactive: a broken silence must not hide alerts.
 */
export function isSilenceActive(silence: Silence, now: Date, podLastRecoveredAt?: string): boolean {
  if (!(now.getTime() < Date.parse(silence.expiresAt))) return false;
  if (podLastRecoveredAt === undefined) return true;
  return Date.parse(podLastRecoveredAt) <= Date.parse(silence.createdAt);
}

function covers(silence: Silence, pod: { taskId: string; podName: string }): boolean {
  return (
    silence.taskId.toLowerCase() === pod.taskId.toLowerCase() &&
    (silence.podName === undefined || silence.podName === pod.podName)
  );
}

/**
 * The active silence covering the pod, task-wide ones included. When several apply, a pod's own
 * silence wins over a task-wide one, then the one lasting longest, so what is shown is what
 * holds alerts back the longest.
 */
export function silenceFor(
  silences: readonly Silence[],
  pod: { taskId: string; podName: string },
  now: Date,
  podLastRecoveredAt?: string,
): Silence | undefined {
  let best: Silence | undefined;
  for (const silence of silences) {
    if (!covers(silence, pod) || !isSilenceActive(silence, now, podLastRecoveredAt)) continue;
    if (
      best === undefined ||
      (silence.podName !== undefined && best.podName === undefined) ||
      ((silence.podName === undefined) === (best.podName === undefined) &&
        Date.parse(silence.expiresAt) > Date.parse(best.expiresAt))
    ) {
      best = silence;
    }
  }
  return best;
}

/**
 * Drops silences that have expired (or whose expiry cannot be read). Silences ended by a recovery
 * stay until they expire: recovery is per pod, and this list does not know the pods.
 */
export function pruneSilences(silences: readonly Silence[], now: Date): Silence[] {
  return silences.filter((s) => now.getTime() < Date.parse(s.expiresAt));
}

/**
 * The core's view of the outside world. Adapters (local files, HTTP, AWS) implement these; the core
 * never imports an SDK.
 */
import type {
  CheckOutcome,
  Notification,
  PodRef,
  PodState,
  RunState,
  SilenceSet,
  StoredState,
} from './types';

export interface KeySource {
  /**
   * Returns the Alaya API key. `forceRefresh` bypasses any cache (used once when the API rejects the
   * key, so a rotated key heals without an alert). Throws KeySourceError.
   */
  getKey(options?: { forceRefresh?: boolean }): Promise<string>;
}

export interface PodApi {
  /** Never throws: every failure is a CheckOutcome with a readable error. */
  getPodBasic(pod: PodRef, apiKey: string, signal?: AbortSignal): Promise<CheckOutcome>;
}

export interface StateChange {
  /** `podKey()` of the pod, or RUN_STATE_KEY. */
  key: string;
  /** The version read (0 when the item did not exist): the write succeeds only if it is unchanged. */
  expectedVersion: number;
  state: PodState | RunState | SilenceSet;
}

export interface StateStore {
  /** Reads the state of these pods, the run state and the silences. Throws StateReadError. */
  load(podKeys: readonly string[]): Promise<StoredState>;
  /** Writes the changed items conditionally. Throws StateConflictError or StateWriteError. */
  commit(changes: readonly StateChange[]): Promise<void>;
  /**
   * Takes the run lease so that two runs never overlap; false when another live run holds it.
   * The lease expires by itself after `ttlMs` (a crashed run cannot block the next ones forever).
   */
  acquireLease(owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(owner: string): Promise<void>;
}

export interface Notifier {
  /** Delivers one grouped notification. Throws NotifyError; the core then keeps state unchanged. */
  send(notification: Notification): Promise<void>;
}

/** A chat webhook (DingTalk, Feishu, WeCom, Slack): delivered after the primary notifier succeeded. */
export interface ChatChannel {
  readonly name: string;
  /** Throws on failure; the core keeps the alerts for this channel and sends them with the next run. */
  send(notification: Notification, options: { language: 'en' | 'zh' }): Promise<void>;
}

export interface ChatChannels {
  /** The channels whose credentials could be read. Throws when the credentials cannot be read at all. */
  list(): Promise<ChatChannel[]>;
}

export interface Clock {
  now(): Date;
}

export const RUN_STATE_KEY = '#run';
export const SILENCES_KEY = '#silences';

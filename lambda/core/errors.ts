/** Named errors of the core and its ports. Each keeps the underlying error as `cause`. */

export class PodWatchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The API key could not be obtained (missing variable, secret unreadable, empty or unknown shape). */
export class KeySourceError extends PodWatchError {}
/** The state could not be read: the run cannot know what it already alerted, so it stops. */
export class StateReadError extends PodWatchError {}
/** The state could not be written after the notification went out (the next run may repeat it). */
export class StateWriteError extends PodWatchError {}
/** Another run changed the state between our read and our write. */
export class StateConflictError extends PodWatchError {}
/** The notification could not be delivered; state was not advanced so the next run sends it again. */
export class NotifyError extends PodWatchError {}
/** Arguments of the CLI are wrong. */
export class UsageError extends PodWatchError {}

import type { Notifier } from '../core/ports';
import type { Notification } from '../core/types';

/** Local notifier: hands the rendered notification to a writer (the CLI prints it after its table). */
export class ConsoleNotifier implements Notifier {
  readonly sent: Notification[] = [];

  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  async send(notification: Notification): Promise<void> {
    this.sent.push(notification);
    this.write(formatForTerminal(notification));
  }
}

export function formatForTerminal(n: Notification): string {
  const rule = '-'.repeat(72);
  return [
    rule,
    `Subject: ${n.subject}`,
    rule,
    n.email.trimEnd(),
    rule,
    `SMS (${n.severity}): ${n.sms}`,
    rule,
    '',
  ].join('\n');
}

import { renderNotification } from '../core/messages';
import type { Alert, Notification } from '../core/types';

/** A realistic test notification: one critical pod, so SMS subscribers with the default filter get it too. */
export function sampleNotification(language: 'en' | 'zh', now: Date): Notification {
  const at = now.toISOString();
  const alert: Alert = {
    type: 'not-running',
    severity: 'critical',
    reminder: false,
    pod: { taskId: '00000000-0000-4000-8000-000000000000', podName: 'test-alert-pod', name: 'TEST ALERT' },
    status: 'Failed',
    since: at,
    at,
    info: {
      clusterName: 'k8s-01',
      hostName: 'gpu-node-000',
      namespace: 'test',
      hostIp: '10.0.0.1',
      status: 'Failed',
      podIp: '10.0.0.2',
      restartCount: 0,
      qosClass: 'Guaranteed',
      createBy: 'alaya-pod-watch',
      createTime: '2026-01-01 00:00:00',
    },
  };
  return renderNotification([alert], { language });
}

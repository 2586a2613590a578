/**
 * Severities: this project's five, and Falco's eight priorities mapped onto them.
 *
 *   EMERGENCY, ALERT, CRITICAL -> critical     ERROR -> high     WARNING -> medium
 *   NOTICE -> low                              INFORMATIONAL (INFO), DEBUG -> info
 */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const PRIORITIES: Record<string, Severity> = {
  emergency: 'critical',
  alert: 'critical',
  critical: 'critical',
  error: 'high',
  warning: 'medium',
  notice: 'low',
  informational: 'info',
  info: 'info',
  debug: 'info',
};

/** A Falco priority (any case, as Falco parses it) as a severity; undefined when it is none. */
export function severityOfPriority(priority: string): Severity | undefined {
  return PRIORITIES[priority.toLowerCase()];
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

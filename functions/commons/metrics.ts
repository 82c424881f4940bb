/**
 * CloudWatch metrics in embedded metric format: one JSON line on standard output per data point, which
 * CloudWatch Logs turns into metrics with no API call and no extra latency. The alarm on breaches of VIP
 * urgent tickets (lib/) reads `SlaBreaches` with the dimensions `Tier` and `Priority`.
 */
export const METRICS_NAMESPACE = 'Concierge';

export const SLA_METRICS = {
  /** A target breached (counted once per ticket, target and run of its clock). */
  breaches: 'SlaBreaches',
  /** A warning sent at `warnAt` of a target. */
  warnings: 'SlaWarnings',
  /** Seconds from the customer's message to the first staff answer. */
  firstResponseSeconds: 'FirstResponseSeconds',
} as const;

export type MetricName = (typeof SLA_METRICS)[keyof typeof SLA_METRICS];

export interface MetricPoint {
  name: MetricName;
  unit: 'Count' | 'Seconds';
  value: number;
  /** Every point is published under exactly these dimensions (an alarm matches all of them). */
  dimensions: { Tier: string; Priority: string };
  /** Searchable in the log, not dimensions: the target, the ticket. */
  properties?: Record<string, string>;
}

/** Where metrics go: standard output in Lambda, the stack's log locally, a list in tests. */
export type MetricSink = (point: MetricPoint) => void;

/** The EMF document of one point (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html). */
export function emfDocument(point: MetricPoint, nowMs: number): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [Object.keys(point.dimensions)], Metrics: [{ Name: point.name, Unit: point.unit }] }],
    },
    ...point.dimensions,
    ...(point.properties ?? {}),
    [point.name]: point.value,
  };
}

/**
 * Writes each point as one EMF line in Lambda (which sends standard output to CloudWatch Logs); elsewhere
 * (the local stack, where the same handlers run) there is no CloudWatch to read it, and the line is dropped.
 */
export const emfToStdout: MetricSink = (point) => {
  if (!process.env.AWS_LAMBDA_FUNCTION_NAME) return;
  process.stdout.write(`${JSON.stringify(emfDocument(point, Date.now()))}\n`);
};

/** Metrics the dashboard and the alert rules may name besides the producer's own. */
export const EXTERNAL_METRICS: Record<string, string> = {
  up: "Prometheus's own scrape health of each target",
  // danielqsj/kafka_exporter: messages not yet consumed, per group, topic and partition.
  kafka_consumergroup_lag: 'a Kafka exporter (documented in the README, "Fleet health")',
};

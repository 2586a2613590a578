/** Wall and CPU time since a start: the final log line of tail and detect, and what the benchmark reads. */
export function usage(startMs: number, cpuStart: NodeJS.CpuUsage): { elapsedMs: number; cpuMs: number } {
  const cpu = process.cpuUsage(cpuStart);
  return { elapsedMs: Date.now() - startMs, cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
}

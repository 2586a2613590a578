import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../common/errors';
import { buildProducerConfig, type RawProducerOptions } from '../../producer/config';

const ok: RawProducerOptions = {
  brokers: '127.0.0.1:9092,[::1]:9093',
  topicPrefix: 'ebpf-audit',
  clientId: 'c',
  logLevel: 'info',
  procRoot: '/proc',
  bpfObject: 'x.o',
  syscallHooks: 'auto',
  ringBufferMb: '16',
  drainIntervalMs: '10',
  lingerMs: '20',
  batchSize: '1000',
  maxQueued: '100000',
  acks: '-1',
  compression: 'gzip',
  statsInterval: '10',
  shutdownTimeout: '10',
  includePid: [],
  excludePid: [],
  includeUid: [],
  excludeUid: [],
  includeComm: [],
  excludeComm: [],
  includePath: [],
  excludePath: [],
  onlyFailed: false,
  onlySuccessful: false,
  spoolDir: '/var/lib/ebpf-audit/spool',
  spoolMaxMb: '1024',
  metricsHost: '127.0.0.1',
};

test('valid options become a typed config', () => {
  const c = buildProducerConfig(ok);
  assert.deepEqual(c.brokers, ['127.0.0.1:9092', '[::1]:9093']);
  assert.equal(c.ringBytes, 16 << 20);
  assert.equal(c.compression, 'GZIP');
  assert.equal(c.acks, -1);
  assert.equal(c.maxQueuedBytes, 4 << 20, 'the memory queue cap by default');
  assert.equal(buildProducerConfig({ ...ok, maxQueuedMb: '32' }).maxQueuedBytes, 32 << 20);
});

test('each bad option is a ConfigError naming the option', () => {
  const bad: [Partial<RawProducerOptions>, RegExp][] = [
    [{ brokers: '' }, /--brokers/],
    [{ brokers: 'nohost' }, /--brokers: broker "nohost" is not host:port/],
    [{ topicPrefix: 'bad prefix!' }, /--topic-prefix/],
    [{ logLevel: 'loud' }, /--log-level/],
    [{ ringBufferMb: '3' }, /--ring-buffer-mb must be a power of two/],
    [{ ringBufferMb: 'lots' }, /--ring-buffer-mb must be an integer/],
    [{ acks: '2' }, /--acks/],
    [{ compression: 'brotli' }, /--compression must be none, gzip, snappy, lz4 or zstd/],
    [{ hostId: 'has space' }, /--host-id/],
    [{ hostName: 'node 1' }, /--host-name/],
    [{ batchSize: '0' }, /--batch-size/],
    [{ syscallHooks: 'kprobe' }, /--syscall-hooks/],
    [{ includePid: ['12x'] }, /--include-pid: "12x" is not a non-negative integer/],
    [{ excludeComm: ['a-very-long-command-name'] }, /--exclude-comm: comm "a-very-long-command-name" must be 1-15 bytes/],
    [{ includePath: ['etc'] }, /--include-path: path prefix "etc" must be absolute/],
    [{ onlyFailed: true, onlySuccessful: true }, /exclude each other/],
    [{ filterFile: '/nonexistent/filters.json' }, /filter file \/nonexistent\/filters\.json/],
    [{ spoolDir: 'relative/dir' }, /--spool-dir must be an absolute path/],
    [{ spoolMaxMb: '0' }, /--spool-max-mb/],
    [{ maxQueuedMb: '0' }, /--max-queued-mb must be an integer from 1/],
    [{ metricsPort: '70000' }, /--metrics-port/],
    [{ metricsHost: 'a b' }, /--metrics-host/],
    [{ procRoot: 'proc' }, /--proc-root must be an absolute path/],
    [{ procRoot: '/nonexistent' }, /--proc-root \/nonexistent is not a proc file system/],
  ];
  for (const [patch, re] of bad)
    assert.throws(
      () => buildProducerConfig({ ...ok, ...patch }),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
    );
});

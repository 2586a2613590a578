/**
 * withSignalsBlocked (producer/bpf/native.ts), which loadObjectInThread wraps around starting the
 * thread that runs bpf_object__load (the thread inherits the mask): the calling thread's
 * asynchronous signals are blocked while it runs (the verifier gives up with EAGAIN when one is
 * pending), faults are not, and the mask is restored after, also when it throws.
 * The producer loading under a profiler's signals is test/e2e/load-signals.test.ts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { DataType as D, define, open } from 'ffi-rs';
import { withSignalsBlocked } from '../../producer/bpf/native';

/** This thread's blocked-signal mask, from the kernel. */
const blocked = (): bigint => BigInt(`0x${/^SigBlk:\s+([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/thread-self/status', 'utf8'))![1]}`);
const bit = (sig: number): bigint => 1n << BigInt(sig - 1);

test('asynchronous signals are blocked while it runs, faults are not, and the mask comes back', () => {
  const before = blocked();
  assert.equal(before & bit(27), 0n, 'SIGPROF blocked before the call');
  const inside = withSignalsBlocked(blocked);
  for (const [name, sig] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGCHLD', 17],
    ['SIGPROF', 27],
    ['SIGHUP', 1],
  ] as const) {
    assert.notEqual(inside & bit(sig), 0n, `${name} not blocked inside`);
  }
  for (const [name, sig] of [
    ['SIGILL', 4],
    ['SIGTRAP', 5],
    ['SIGBUS', 7],
    ['SIGFPE', 8],
    ['SIGSEGV', 11],
  ] as const) {
    assert.equal(inside & bit(sig), 0n, `${name} blocked inside`);
  }
  assert.equal(blocked(), before);
});

test('the mask is restored when the function throws, and its error goes through', () => {
  const before = blocked();
  assert.throws(
    () =>
      withSignalsBlocked(() => {
        throw new Error('inside');
      }),
    /inside/,
  );
  assert.equal(blocked(), before);
});

test('a signal sent to the thread meanwhile stays pending, and is delivered once the mask is restored', async () => {
  // raise(3) signals the calling thread, as V8's profiler does with SIGPROF (a signal sent to the
  // process goes to another of Node's threads that does not block it).
  open({ library: 'libc', path: 'libc.so.6' });
  const { raise } = define({ raise: { library: 'libc', retType: D.I32, paramsType: [D.I32] } });
  let got = 0;
  const onHup = (): void => {
    got++;
  };
  process.on('SIGHUP', onHup);
  try {
    withSignalsBlocked(() => {
      assert.equal(raise([1]), 0);
      const pending = BigInt(`0x${/^SigPnd:\s+([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/thread-self/status', 'utf8'))![1]}`);
      assert.notEqual(pending & bit(1), 0n, 'SIGHUP not pending while blocked');
      assert.equal(got, 0);
    });
    // Node runs its handler on its loop: give it a few turns.
    for (let i = 0; i < 100 && got === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(got, 1);
  } finally {
    process.off('SIGHUP', onHup);
  }
});

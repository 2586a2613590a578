import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../common/errors';
import { FILTER_CFG, FLT, PID_INLINE, RULE } from '../../bpf/layout';
import { compileFilter, pathKey } from '../../producer/bpf/filter-maps';
import { emptyFilter, emptyRules, mergeFilters, readFilterFile } from '../../producer/filters';

test('no rules: no flags, no entries (the kernel checks nothing)', () => {
  const { flags, entries, cfg } = compileFilter(emptyFilter());
  assert.deepEqual({ flags, entries }, { flags: 0, entries: [] });
  assert.deepEqual(cfg, Buffer.alloc(FILTER_CFG.SIZE));
});

test('includes set the include bits; excludes only the rule bits; an exclude wins over an include', () => {
  const { flags, entries } = compileFilter({
    include: { ...emptyRules(), comm: ['cat'], path: ['/etc'] },
    exclude: { ...emptyRules(), pid: [7], path: ['/etc'] },
    result: 'failed',
  });
  assert.equal(flags, FLT.COMM_INCLUDE | FLT.PATH_INCLUDE | FLT.PID_INLINE | FLT.COMM_RULES | FLT.PATH_RULES | FLT.FAILED_ONLY);
  const etc = entries.filter((e) => e.map === 'path_rules');
  assert.deepEqual(
    etc.map((e) => e.value),
    [RULE.include, RULE.exclude],
  ); // written in this order: exclude last
  const comm = entries.find((e) => e.map === 'comm_rules')!;
  assert.equal(comm.key.length, 16);
  assert.equal(comm.key.toString('utf8', 0, 3), 'cat');
  assert.equal(comm.key[3], 0);
});

test('pid rules: up to PID_INLINE in filter_cfg itself (an exclude winning), more in the pid_rules map', () => {
  const few = compileFilter({ include: { ...emptyRules(), pid: [10, 11] }, exclude: { ...emptyRules(), pid: [11, 12] }, result: 'all' });
  assert.equal(few.flags, FLT.PID_INCLUDE | FLT.PID_INLINE);
  assert.equal(few.entries.filter((e) => e.map === 'pid_rules').length, 0);
  assert.equal(few.cfg.readUInt32LE(FILTER_CFG.flags), few.flags);
  const slots = [0, 1, 2, 3].map((k) => [few.cfg.readUInt32LE(FILTER_CFG.pids + 4 * k), few.cfg[FILTER_CFG.pid_rules + k]]);
  assert.deepEqual(slots, [
    [10, RULE.include],
    [11, RULE.exclude],
    [12, RULE.exclude],
    [0, 0],
  ]);
  const pid = Array.from({ length: PID_INLINE + 1 }, (_, k) => 100 + k);
  const many = compileFilter({ include: { ...emptyRules(), pid }, exclude: emptyRules(), result: 'all' });
  assert.equal(many.flags, FLT.PID_INCLUDE | FLT.PID_RULES);
  assert.deepEqual(
    many.entries.map((e) => [e.map, e.key.readUInt32LE(0), e.value]),
    pid.map((p) => ['pid_rules', p, RULE.include]),
  );
  assert.deepEqual(many.cfg.subarray(FILTER_CFG.pids), Buffer.alloc(FILTER_CFG.SIZE - FILTER_CFG.pids));
});

test('path keys: prefix length in bits, then the bytes, padded to 256', () => {
  const k = pathKey('/etc/');
  assert.equal(k.length, 260);
  assert.equal(k.readUInt32LE(0), 40);
  assert.equal(k.toString('utf8', 4, 9), '/etc/');
});

test('filter files: validated with the file named, merged with the flags', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-filter-'));
  const file = path.join(dir, 'f.json');
  fs.writeFileSync(file, JSON.stringify({ include: { uid: [1000] }, exclude: { path: ['/proc/'] }, result: 'successful' }));
  const spec = readFilterFile(file);
  assert.deepEqual(spec.include.uid, [1000]);
  const merged = mergeFilters({ ...emptyFilter(), include: { ...emptyRules(), uid: [0] } }, spec);
  assert.deepEqual(merged.include.uid, [0, 1000]);
  assert.equal(merged.result, 'successful');
  fs.writeFileSync(file, JSON.stringify({ include: { user: [1] } }));
  assert.throws(
    () => readFilterFile(file),
    (e: unknown) => e instanceof ConfigError && /unknown key "user"/.test(e.message),
  );
  fs.writeFileSync(file, '{ not json');
  assert.throws(
    () => readFilterFile(file),
    (e: unknown) => e instanceof ConfigError && e.message.includes(file),
  );
  assert.throws(() => mergeFilters({ ...emptyFilter(), result: 'failed' }, { ...emptyFilter(), result: 'successful' }), /conflicting/);
});

/**
 * The decoder's layout (bpf/layout.ts) must equal the C records (bpf/events.h).
 * bpf/build/abi-probe is compiled from the same header and prints offsetof/sizeof of every field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as L from '../../bpf/layout';
import { cLayout } from '../helpers/c-layout';

test('record header, task and every record match the C layout', () => {
  const c = cLayout();
  const off = (s: string, f: string): number => c[s].fields[f][0];
  for (const [f, o] of Object.entries(L.HDR)) if (f !== 'SIZE') assert.equal(o, off('ea_hdr', f), `ea_hdr.${f}`);
  assert.equal(L.HDR.SIZE, c.ea_hdr.size);
  for (const [f, o] of Object.entries(L.TASK)) if (f !== 'SIZE') assert.equal(o, off('ea_task', f), `ea_task.${f}`);
  assert.equal(L.TASK.SIZE, c.ea_task.size);
  const records: [string, Record<string, number>][] = [
    ['ea_file_open', L.FILE_OPEN],
    ['ea_net', L.NET],
    ['ea_proc_exec', L.PROC_EXEC],
    ['ea_proc_exit', L.PROC_EXIT],
    ['ea_proc_cred', L.PROC_CRED],
    ['ea_file_link', L.FILE_LINK],
    ['ea_proc_ptrace', L.PROC_PTRACE],
    ['ea_proc_module', L.PROC_MODULE],
  ];
  for (const [s, layout] of records) {
    assert.equal(off(s, 'hdr'), 0, `${s}.hdr`);
    assert.equal(off(s, 'task'), L.HDR.SIZE, `${s}.task`);
    for (const [f, o] of Object.entries(layout)) {
      if (f === 'SIZE') assert.equal(o, c[s].size, `sizeof ${s}`);
      else assert.equal(o, off(s, f), `${s}.${f}`);
    }
  }
  assert.equal(c.ea_task.fields.comm[1], L.COMM_LEN);
  for (const [f, o] of Object.entries(L.CREDS)) if (f !== 'SIZE') assert.equal(o, off('ea_creds', f), `ea_creds.${f}`);
  assert.equal(L.CREDS.SIZE, c.ea_creds.size);
  assert.equal(c.ea_file_open.fields.path[1], L.PATH_MAX);
  assert.equal(c.ea_net.fields.path[1], L.UNIX_PATH_MAX);
  assert.equal(c.ea_proc_exec.fields.args[1], L.ARGS_MAX);
  assert.equal(c.ea_proc_module.fields.params[1], L.PARAMS_MAX);
});

test('constants match: record types, ops, counter slots, flags', () => {
  const k = cLayout().constants;
  const types: Record<string, number> = {
    EA_FILE_OPEN: L.RECORD_TYPES.file,
    EA_NET_CONNECT: L.RECORD_TYPES.net,
    EA_PROC_EXEC: L.RECORD_TYPES.exec,
    EA_PROC_EXIT: L.RECORD_TYPES.exit,
    EA_PROC_CRED: L.RECORD_TYPES.cred,
    EA_FILE_LINK: L.RECORD_TYPES.link,
    EA_NET_SOCKET: L.RECORD_TYPES.socket,
    EA_NET_DUP: L.RECORD_TYPES.dup,
    EA_PROC_PTRACE: L.RECORD_TYPES.ptrace,
    EA_PROC_MODULE: L.RECORD_TYPES.module,
    EA_TYPE_MAX: L.TYPE_MAX,
  };
  for (const [name, v] of Object.entries(types)) assert.equal(k[name], v, name);
  assert.equal(Object.keys(L.RECORD_TYPES).length, L.TYPE_MAX - 1, 'every record type has a counter name');
  // enum ea_op: every op the C side has, and no other, with the decoder's name.
  const cOps = Object.entries(k).filter(([n]) => n.startsWith('EA_OP_'));
  assert.deepEqual(Object.fromEntries(cOps.map(([n, v]) => [v, n.slice(6).toLowerCase()])), L.OPS);
  assert.equal(k.EA_CNT_SLOTS, L.COUNTER_SLOTS.count);
  assert.equal(k.EA_PATH_MAX, L.PATH_MAX);
  assert.equal(k.EA_PARAMS_MAX, L.PARAMS_MAX);
  assert.equal(k.EA_COMM_LEN, L.COMM_LEN);
  assert.equal(k.EA_F_TRUNCATED, L.F_TRUNCATED);
  assert.equal(k.EA_CNT_FILTERED, L.COUNTER_SLOTS.filtered);
  assert.deepEqual([k.EA_RULE_INCLUDE, k.EA_RULE_EXCLUDE], [L.RULE.include, L.RULE.exclude]);
  for (const [name, bit] of Object.entries(L.FLT)) assert.equal(k[`EA_FLT_${name}`], bit, `EA_FLT_${name}`);
  assert.equal(k.EA_PATH_KEY_LEN, L.PATH_KEY_LEN);
  assert.equal(k.EA_TASK_EXE_UNLINKED, L.TASK_EXE_UNLINKED);
  for (const [name, bit] of Object.entries(L.EXE)) assert.equal(k[`EA_EXE_${name}`], bit, `EA_EXE_${name}`);
  const c = cLayout();
  assert.deepEqual(c.ea_path_key.fields.prefixlen, [0, 4]);
  assert.deepEqual(c.ea_path_key.fields.path, [4, L.PATH_KEY_LEN]);
  assert.equal(k.EA_PID_INLINE, L.PID_INLINE);
  assert.deepEqual(c.ea_filter_cfg.fields.pids, [L.FILTER_CFG.pids, 4 * L.PID_INLINE]);
  assert.deepEqual(c.ea_filter_cfg.fields.pid_rules, [L.FILTER_CFG.pid_rules, L.PID_INLINE]);
  assert.equal(c.ea_filter_cfg.size, L.FILTER_CFG.SIZE);
});

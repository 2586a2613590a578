/**
 * The SQLite store keeps the fields added for Falco's rules (consumer/store/extension.ts): links,
 * sockets, dups, ptrace and module loads, and the process's capabilities, terminal, login uid,
 * names and overlay layer come back exactly, and the same process's values share one dictionary
 * entry. (The OpenSearch documents are checked in opensearch-document.test.ts.)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { formatJson } from '../../consumer/core/output/json';
import { DEFAULT_RULES, loadRules, readRuleFile } from '../../consumer/rules/loader';
import { openSearch } from '../../consumer/search/search';
import { makeFilter } from '../../consumer/search/where';
import { dayOf } from '../../consumer/store/day-db';
import { openDayWriter } from '../../consumer/store/day-writer';
import { extensionOf, withExtension } from '../../consumer/store/extension';
import type { AuditEvent } from '../../schemas/types';
import { execEvent, fileEvent, netEvent, proc } from '../helpers/samples';

const root = { ...proc, uid: 0, cap_effective: 0x1ffffffffffn, tty: 34816, loginuid: 1000, user_name: 'root', login_user_name: 'alice', exe_upper_layer: true };
const at = (i: number) => fileEvent.time_ns + BigInt(i) * 1_000_000n;
const EVENTS: AuditEvent[] = [
  { kind: 'file', event: { ...fileEvent, time_ns: at(0), process: root } },
  { kind: 'file', event: { ...fileEvent, time_ns: at(1), op: 'symlink', path: '/tmp/l', target: '/etc/shadow', result: 0, process: root } },
  { kind: 'file', event: { ...fileEvent, time_ns: at(2), op: 'linkat', path: '/tmp/h', target: '/etc/passwd', flags: 0x1000, result: -18 } },
  {
    kind: 'net',
    event: {
      ...netEvent,
      time_ns: at(3),
      op: 'socket',
      family: 'packet',
      dst_ip: '',
      dst_port: 0,
      protocol: '',
      local_ip: '',
      local_port: 0,
      socket_type: 'raw',
      socket_protocol: 768,
      result: 3,
      fd: 3,
    },
  },
  { kind: 'net', event: { ...netEvent, time_ns: at(4), op: 'dup2', fd: 3, result: 0, process: root } },
  {
    kind: 'process',
    event: {
      ...execEvent,
      time_ns: at(5),
      process: root,
      ancestors: [
        { pid: 1, comm: 'systemd', exe: '/usr/lib/systemd/systemd' },
        { pid: 0, comm: '', exe: '' },
      ],
    },
  },
  {
    kind: 'process',
    event: {
      ...execEvent,
      time_ns: at(6),
      kind: 'ptrace',
      filename: '',
      args: [],
      cwd: '',
      ancestors: [],
      result: -1,
      ptrace: { request: 'PTRACE_SEIZE', request_code: 0x4206, target_pid: 77, addr: -8n, data: 2n ** 63n - 1n },
    },
  },
  {
    kind: 'process',
    event: {
      ...execEvent,
      time_ns: at(7),
      kind: 'finit_module',
      filename: '',
      args: [],
      cwd: '',
      ancestors: [],
      result: -38,
      module: { path: '/tmp/x.ko', size: 0n, fd: 4, flags: 2, params: 'a="b c"' },
    },
  },
];

test('extension: only values other than the defaults, and back', () => {
  assert.equal(extensionOf({ kind: 'file', event: { ...fileEvent, process: { ...proc, user_name: '' } } }), undefined);
  for (const ev of EVENTS) {
    const copy = structuredClone(ev);
    assert.deepEqual(withExtension(copy, JSON.parse(JSON.stringify(extensionOf(ev) ?? {}))), ev);
  }
});

test('the SQLite store gives the new kinds and fields back exactly', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-store-ext-'));
  try {
    const w = openDayWriter(dir, dayOf(fileEvent.time_ns));
    for (const ev of EVENTS) w.add(ev);
    w.seal('t', 0, 10n);
    w.commit();
    w.close();
    const s = openSearch({ dir });
    const { env } = loadRules([readRuleFile(DEFAULT_RULES)]);
    const got = s.events(makeFilter({}, env), 100).events.map((e) => formatJson(e.ev));
    s.close();
    assert.deepEqual(got.sort(), EVENTS.map(formatJson).sort());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The SQL backend and the rule engine must select exactly the same events. One generated data set
 * (all kinds, hostile strings, IPv4/IPv6/v4-mapped/unix addresses, failures, execs and exits,
 * privilege changes, pid reuse) is stored with the day writer; a few hundred generated conditions
 * (every operator, negations, macros and lists of the default pack) run through both: the engine's
 * compiled predicate over the events in time order, and search's SQL over the store.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_RULES, compileExpression, loadRules, readRuleFile } from '../../consumer/rules/loader';
import { createProcessTree } from '../../consumer/rules/process-tree';
import { openDayWriter } from '../../consumer/store/day-writer';
import { dayOf } from '../../consumer/store/day-db';
import { openSearch } from '../../consumer/search/search';
import { makeFilter } from '../../consumer/search/where';
import type { AuditEvent } from '../../schemas/types';
import { conditions, dataSet } from '../helpers/search-cases';

test('SQL search and the rule engine select the same events for generated conditions', () => {
  const events = dataSet(2000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-diff-'));
  try {
    const w = openDayWriter(dir, dayOf(events[0].event.time_ns));
    for (const ev of events) w.add(ev);
    w.seal('t', 0, 1n);
    w.commit();
    w.close();
    assert.equal(new Set(events.map((e) => dayOf(e.event.time_ns))).size, 1, 'the data set fits one day');
    const { env } = loadRules([readRuleFile(DEFAULT_RULES)]);
    const search = openSearch({ dir });
    const key = (ev: AuditEvent): string => `${ev.kind}:${ev.event.time_ns}`;
    let nonEmpty = 0;
    let notAll = 0;
    const conds = conditions(300);
    for (const cond of conds) {
      const pred = compileExpression(cond, env).pred;
      const procs = createProcessTree({ maxProcesses: 65536 });
      const want: string[] = [];
      for (const ev of events) {
        procs.observe(ev);
        if (pred(ev, procs)) want.push(key(ev));
      }
      let got: string[];
      try {
        got = search.events(makeFilter({ where: cond }, env), 1_000_000).events.map((e) => key(e.ev));
      } catch (err) {
        if (want.length === 0 && /can never match/.test((err as Error).message)) got = [];
        else throw new Error(`${cond}: ${(err as Error).message}`);
      }
      assert.deepEqual(got.sort(), want.sort(), `condition: ${cond} (engine ${want.length}, SQL ${got.length})`);
      if (want.length) nonEmpty++;
      if (want.length < events.length) notAll++;
    }
    search.close();
    // The generated conditions are not trivial: most select some events and not all of them.
    assert.ok(nonEmpty > conds.length / 3, `only ${nonEmpty} of ${conds.length} conditions matched anything`);
    assert.ok(notAll > conds.length / 2, `only ${notAll} conditions excluded anything`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

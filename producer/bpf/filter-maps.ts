/**
 * A filter spec in the kernel's form (bpf/events.h: the flags word, rule-map keys), and the
 * writes that put it in the rule maps. The producer is their only writer, so a re-apply (SIGHUP)
 * deletes the entries it wrote before that are gone from the new spec.
 */
import { BpfError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { COMM_LEN, FILTER_CFG, FLT, PATH_KEY_LEN, PID_INLINE, RULE } from '../../bpf/layout';
import type { FilterSpec, RuleSet } from '../filters';
import { lib, strerror } from './native';

/** One map write: rule map name, key bytes, value. */
export interface RuleEntry {
  map: 'pid_rules' | 'uid_rules' | 'comm_rules' | 'path_rules';
  key: Buffer;
  value: number;
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const commKey = (s: string): Buffer => {
  const b = Buffer.alloc(COMM_LEN);
  b.write(s, 'utf8');
  return b;
};
/** struct ea_path_key: prefix length in bits, then the bytes. */
export const pathKey = (s: string): Buffer => {
  const bytes = Buffer.from(s, 'utf8');
  const b = Buffer.alloc(4 + PATH_KEY_LEN);
  b.writeUInt32LE(bytes.length * 8);
  bytes.copy(b, 4);
  return b;
};

/**
 * The kernel form of a spec: the flags word, every rule-map entry, and filter_cfg's value (the
 * flags, and the pid rules when there are at most PID_INLINE of them: compares in the program
 * instead of a hash lookup per event).
 */
export function compileFilter(spec: FilterSpec): { flags: number; entries: RuleEntry[]; cfg: Buffer } {
  const entries: RuleEntry[] = [];
  // pid -> rule, the later write winning as in the map (an exclude over an include of the same pid).
  const pids = new Map<number, number>();
  const add = (set: RuleSet, value: number): void => {
    for (const p of set.pid) pids.set(p, value);
    for (const u of set.uid) entries.push({ map: 'uid_rules', key: u32(u), value });
    for (const c of set.comm) entries.push({ map: 'comm_rules', key: commKey(c), value });
    for (const p of set.path) entries.push({ map: 'path_rules', key: pathKey(p), value });
  };
  // Includes first, so an exclude of the same key wins (the later write).
  add(spec.include, RULE.include);
  add(spec.exclude, RULE.exclude);
  const { include: i, exclude: e } = spec;
  let flags = 0;
  if (i.pid.length) flags |= FLT.PID_INCLUDE;
  if (i.uid.length) flags |= FLT.UID_INCLUDE;
  if (i.comm.length) flags |= FLT.COMM_INCLUDE;
  if (i.path.length) flags |= FLT.PATH_INCLUDE;
  const inline = pids.size <= PID_INLINE;
  if (!inline) for (const [p, value] of pids) entries.push({ map: 'pid_rules', key: u32(p), value });
  if (pids.size) flags |= inline ? FLT.PID_INLINE : FLT.PID_RULES;
  if (i.uid.length + e.uid.length) flags |= FLT.UID_RULES;
  if (i.comm.length + e.comm.length) flags |= FLT.COMM_RULES;
  if (i.path.length + e.path.length) flags |= FLT.PATH_RULES;
  if (spec.result === 'failed') flags |= FLT.FAILED_ONLY;
  if (spec.result === 'successful') flags |= FLT.SUCCESS_ONLY;
  const cfg = Buffer.alloc(FILTER_CFG.SIZE);
  cfg.writeUInt32LE(flags, FILTER_CFG.flags);
  if (inline)
    [...pids].forEach(([p, value], k) => {
      cfg.writeUInt32LE(p, FILTER_CFG.pids + 4 * k);
      cfg.writeUInt8(value, FILTER_CFG.pid_rules + k);
    });
  return { flags, entries, cfg };
}

export interface FilterMaps {
  apply(spec: FilterSpec): void;
}

export function createFilterMaps(opts: { mapFd: (name: string) => number; logger: Logger }): FilterMaps {
  const L = lib();
  const log = opts.logger.child({ component: 'filters' });
  let written: RuleEntry[] = [];
  const id = (e: RuleEntry): string => `${e.map}:${e.key.toString('hex')}`;

  return {
    apply(spec) {
      const { entries, cfg } = compileFilter(spec);
      const keep = new Set(entries.map(id));
      for (const e of written) if (!keep.has(id(e))) L.bpf_map_delete_elem([opts.mapFd(e.map), e.key]);
      for (const e of entries) {
        const rc = L.bpf_map_update_elem([opts.mapFd(e.map), e.key, Buffer.from([e.value]), 0]);
        if (rc !== 0) throw new BpfError(`writing a ${e.map} entry failed: ${strerror(rc)}`);
      }
      written = entries;
      const rc = L.bpf_map_update_elem([opts.mapFd('filter_cfg'), Buffer.alloc(4), cfg, 0]);
      if (rc !== 0) throw new BpfError(`writing filter_cfg failed: ${strerror(rc)}`);
      log.info({ include: spec.include, exclude: spec.exclude, result: spec.result, rules: entries.length }, 'filters applied in the kernel');
    },
  };
}

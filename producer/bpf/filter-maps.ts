/**
 * Writes a compiled filter into the kernel's rule maps. The producer is their only writer, so a
 * re-apply (SIGHUP) deletes the entries it wrote before that are gone from the new spec.
 */
import { BpfError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { compileFilter, type FilterSpec, type RuleEntry } from '../filters';
import { lib, strerror } from './native';

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
      const { flags, entries } = compileFilter(spec);
      const keep = new Set(entries.map(id));
      for (const e of written) if (!keep.has(id(e))) L.bpf_map_delete_elem([opts.mapFd(e.map), e.key]);
      for (const e of entries) {
        const rc = L.bpf_map_update_elem([opts.mapFd(e.map), e.key, Buffer.from([e.value]), 0]);
        if (rc !== 0) throw new BpfError(`writing a ${e.map} entry failed: ${strerror(rc)}`);
      }
      written = entries;
      const cfg = Buffer.alloc(4);
      cfg.writeUInt32LE(flags);
      const rc = L.bpf_map_update_elem([opts.mapFd('filter_cfg'), Buffer.alloc(4), cfg, 0]);
      if (rc !== 0) throw new BpfError(`writing filter_cfg failed: ${strerror(rc)}`);
      log.info({ include: spec.include, exclude: spec.exclude, result: spec.result, rules: entries.length }, 'filters applied in the kernel');
    },
  };
}

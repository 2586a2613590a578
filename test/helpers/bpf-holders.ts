import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/** Ids of the BPF programs a process holds open (its prog and link fds name them in fdinfo). */
export function programIdsHeldBy(pid: number): Set<number> {
  const ids = new Set<number>();
  const dir = `/proc/${pid}/fdinfo`;
  for (const fd of fs.readdirSync(dir)) {
    let info = '';
    try {
      info = fs.readFileSync(`${dir}/${fd}`, 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    const m = /^prog_id:\s+(\d+)$/m.exec(info);
    if (m) ids.add(Number(m[1]));
  }
  return ids;
}

/** Ids of every BPF program loaded in the kernel (bpftool: /proc no longer shows a program once its holder is gone). */
export function loadedProgramIds(): Set<number> {
  const progs = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8', maxBuffer: 64 << 20 })) as { id: number }[];
  return new Set(progs.map((p) => p.id));
}

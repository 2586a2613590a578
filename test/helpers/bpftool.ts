import { execFileSync } from 'node:child_process';

/** Ids of loaded BPF programs whose name starts with ea_ (ours; bpftool shows 15 characters). */
export function ourProgramIds(): Set<number> {
  const progs = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })) as { id: number; name?: string }[];
  return new Set(progs.filter((p) => p.name?.startsWith('ea_')).map((p) => p.id));
}

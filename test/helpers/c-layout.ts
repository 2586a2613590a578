/** The C layout of bpf/events.h, printed by bpf/build/abi-probe (built by `make -C bpf`). */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT_DIR } from './env';

export interface CStruct {
  size: number;
  fields: Record<string, [number, number]>;
}
export type CLayout = Record<string, CStruct> & { constants: Record<string, number> };

let cached: CLayout | undefined;
export function cLayout(): CLayout {
  if (cached) return cached;
  const probe = path.join(ROOT_DIR, 'bpf/build/abi-probe');
  if (!fs.existsSync(probe)) throw new Error(`${probe} missing: run "npm run build" (make -C bpf)`);
  cached = JSON.parse(execFileSync(probe, { encoding: 'utf8' })) as CLayout;
  return cached;
}

/** Lay out a C record: fields placed at the C offsets, as the kernel would write them. */
export function cRecord(struct: string, write: (put: Putter) => void): Buffer {
  const c = cLayout();
  const s = c[struct];
  const buf = Buffer.alloc(s.size);
  const task = c.ea_task;
  const at = (f: string): number => {
    const [name, sub] = f.split('.');
    if (sub) return s.fields[name][0] + (name === 'task' ? task.fields[sub][0] : c.ea_hdr.fields[sub][0]);
    return s.fields[name][0];
  };
  write({
    u16: (f, v) => buf.writeUInt16LE(v, at(f)),
    u32: (f, v) => buf.writeUInt32LE(v, at(f)),
    s32: (f, v) => buf.writeInt32LE(v, at(f)),
    u64: (f, v) => buf.writeBigUInt64LE(v, at(f)),
    s64: (f, v) => buf.writeBigInt64LE(v, at(f)),
    bytes: (f, v) => v.copy(buf, at(f)),
    u32At: (o, v) => buf.writeUInt32LE(v, o),
    u64At: (o, v) => buf.writeBigUInt64LE(v, o),
  });
  return buf;
}

export interface Putter {
  u16(field: string, v: number): void;
  u32(field: string, v: number): void;
  s32(field: string, v: number): void;
  u64(field: string, v: bigint): void;
  s64(field: string, v: bigint): void;
  bytes(field: string, v: Buffer): void;
  /** At an absolute offset (nested structs). */
  u32At(offset: number, v: number): void;
  u64At(offset: number, v: bigint): void;
}

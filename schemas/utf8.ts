/** What avsc's readString calls: Buffer's own utf8Slice (not in its typings), the fastest UTF-8 decode. */
export const utf8Slice = (b: Buffer, start: number, stop: number): string => (b as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(start, stop);

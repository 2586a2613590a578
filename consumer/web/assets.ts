/**
 * The page's files, built by `npm run build` into dist/web (index.html, app.js, app.css), read once
 * at start and served from memory: a fixed set of names, so no request can reach another file.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../common/errors';

export interface Asset {
  type: string;
  body: Buffer;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** dist/web beside dist/consumer (this file is dist/consumer/web/assets.js once built). */
export const DEFAULT_ASSETS_DIR = path.resolve(__dirname, '../../web');

export function loadAssets(dir: string = DEFAULT_ASSETS_DIR): Map<string, Asset> {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    throw new ConfigError(`the web console's page is not built (${dir} is missing): run npm run build`);
  }
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = fs.readFileSync(path.join(dir, name));
    assets.set(name, { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  if (!assets.has('index.html')) throw new ConfigError(`the web console's page is not built (no index.html in ${dir}): run npm run build`);
  return assets;
}

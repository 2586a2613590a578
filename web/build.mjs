// Builds the web console's page into dist/web: one JavaScript bundle (preact, uPlot and the
// pages, minified), one stylesheet (ours and uPlot's), index.html and the icon. Nothing is loaded
// from elsewhere at run time: the server serves these files only.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const out = path.join(root, 'dist/web');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

await esbuild.build({
  entryPoints: [path.join(here, 'src/main.tsx')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outfile: path.join(out, 'app.js'),
  logLevel: 'warning',
  legalComments: 'eof',
});
const css = [path.join(root, 'node_modules/uplot/dist/uPlot.min.css'), path.join(here, 'src/style.css')].map((f) => fs.readFileSync(f, 'utf8')).join('\n');
fs.writeFileSync(path.join(out, 'app.css'), css);
for (const f of ['index.html', 'icon.svg']) fs.copyFileSync(path.join(here, f), path.join(out, f));

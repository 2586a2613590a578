#!/usr/bin/env node
'use strict';
/**
 * Kubernetes JSON schemas in the layout kubeconform reads from a local directory, made offline:
 *   node k8s-schemas.js OUT_DIR LOCAL_STRICT_DIR [CRD.json ...]
 * LOCAL_STRICT_DIR is one `vX.Y.Z-local-strict` folder of the kubernetes-validate wheel: one file
 * per type whose $refs point at a shared `/api/_definitions.json` by absolute URL, which
 * kubeconform would try to download. Each kind's file is written standalone instead, with the
 * definitions it reaches copied into its own `$defs`. CRD files (JSON CustomResourceDefinitions)
 * become strict schemas the way kubeconform's openapi2jsonschema does it: int-or-string as
 * a oneOf, nullable as a "null" type, and no properties beyond those declared.
 * File names follow kubeconform's {{.ResourceKind}}{{.KindSuffix}}.json (deployment-apps-v1.json).
 */
const fs = require('node:fs');
const path = require('node:path');

const [out, src, ...crds] = process.argv.slice(2);
if (!out || !src) {
  process.stderr.write('usage: k8s-schemas.js OUT_DIR LOCAL_STRICT_DIR [CRD.json ...]\n');
  process.exit(2);
}
const SHARED = '/api/_definitions.json#/$defs/';
const defs = JSON.parse(fs.readFileSync(path.join(src, '_definitions.json'), 'utf8')).$defs;

/** Every $ref string in a JSON value. */
function refs(node, found = []) {
  if (Array.isArray(node)) node.forEach((n) => refs(n, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') found.push(v);
      else refs(v, found);
    }
  }
  return found;
}

const defName = (ref) => (ref.startsWith(SHARED) ? ref.slice(SHARED.length) : ref.startsWith('#/$defs/') ? ref.slice(8) : undefined);

function standalone(schema) {
  const needed = new Set();
  const queue = refs(schema).map(defName).filter(Boolean);
  while (queue.length) {
    const name = queue.pop();
    if (needed.has(name)) continue;
    if (!defs[name]) throw new Error(`definition ${name} is missing from _definitions.json`);
    needed.add(name);
    for (const r of refs(defs[name])) if (defName(r)) queue.push(defName(r));
  }
  const text = JSON.stringify({ ...schema, $id: undefined, $defs: Object.fromEntries([...needed].sort().map((n) => [n, defs[n]])) });
  return text.split(`"$ref":"${SHARED}`).join('"$ref":"#/$defs/');
}

/** An OpenAPI v3 schema of a CRD as strict JSON schema. */
function strict(node) {
  if (Array.isArray(node)) return node.map(strict);
  if (!node || typeof node !== 'object') return node;
  const s = {};
  for (const [k, v] of Object.entries(node)) s[k] = k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, d]) => [p, strict(d)])) : strict(v);
  if (s['x-kubernetes-int-or-string']) {
    delete s.type;
    s.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (s.nullable === true && typeof s.type === 'string') s.type = [s.type, 'null'];
  if (s.properties && s.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields']) s.additionalProperties = false;
  return s;
}

fs.mkdirSync(out, { recursive: true });
let written = 0;
for (const file of fs.readdirSync(src)) {
  if (!file.endsWith('.json') || file === '_definitions.json' || file === 'all.json') continue;
  const schema = JSON.parse(fs.readFileSync(path.join(src, file), 'utf8'));
  if (!schema['x-kubernetes-group-version-kind']) continue; // a part of a kind, not a kind
  fs.writeFileSync(path.join(out, file), standalone(schema));
  written++;
}
for (const file of crds) {
  const crd = JSON.parse(fs.readFileSync(file, 'utf8'));
  const { group, names } = crd.spec;
  for (const v of crd.spec.versions) {
    const name = `${names.kind.toLowerCase()}-${group.split('.')[0]}-${v.name}.json`;
    fs.writeFileSync(path.join(out, name), JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...strict(v.schema.openAPIV3Schema) }));
    written++;
  }
}
process.stderr.write(`k8s-schemas: ${written} schemas in ${out}\n`);

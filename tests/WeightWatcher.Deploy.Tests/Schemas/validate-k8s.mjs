// Validates Kubernetes objects against Kubernetes' OpenAPI schemas with the npm package kubernetes-models
// (its generated JSON-schema validators: required fields, enums, formats, types).
//   node validate-k8s.mjs <node_modules folder> <file with YAML documents>
// Prints a JSON array, one entry per document: {index, apiVersion, kind, name, errors: ["<path> <message>", ...]}.
// An apiVersion/kind that kubernetes-models does not know is an error too.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, file] = process.argv.slice(2);
const load = (relative) => import(pathToFileURL(path.join(modules, relative)).href);
const yaml = (await load('js-yaml/dist/js-yaml.mjs')).default;

const results = [];
yaml.loadAll(readFileSync(file, 'utf8'), (doc) => {
  if (doc === null || doc === undefined) return;
  const index = results.length;
  const { apiVersion = '', kind = '' } = doc;
  const entry = { index, apiVersion, kind, name: doc.metadata?.name ?? null, errors: [] };
  results.push(entry);
  // apps/v1 -> kubernetes-models/apps/v1/StatefulSet.js; v1 -> kubernetes-models/v1/Service.js
  const modelFile = path.join('kubernetes-models', ...apiVersion.split('/'), `${kind}.js`);
  if (!/^[A-Za-z0-9./-]+$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind) || !existsSync(path.join(modules, modelFile))) {
    entry.errors.push(`no schema for apiVersion ${apiVersion} kind ${kind}`);
    return;
  }
  entry.modelFile = modelFile;
  entry.doc = doc;
});

for (const entry of results) {
  if (!entry.modelFile) continue;
  const Model = (await load(entry.modelFile))[entry.kind];
  try {
    new Model(entry.doc).validate();
  } catch (e) {
    const errors = Array.isArray(e.errors) ? e.errors : [];
    if (errors.length === 0) entry.errors.push(String(e.message ?? e));
    for (const err of errors) {
      const where = err.instancePath || '/';
      const extra = err.params?.allowedValues ? ` (${err.params.allowedValues.join(', ')})`
        : err.params?.missingProperty ? ` (${err.params.missingProperty})` : '';
      entry.errors.push(`${where} ${err.message}${extra}`);
    }
  }
  delete entry.doc;
  delete entry.modelFile;
}
process.stdout.write(JSON.stringify(results));

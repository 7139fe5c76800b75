#!/usr/bin/env node
// Unpacks the TF.js models that the npm package nsfwjs ships as browserified JavaScript modules
// (dist/models/<model>/model.min.js exports the model.json object, group1-shardNofM.min.js exports each
// weight shard as a base64 string) into plain TF.js model folders: <out>/<model>/model.json and the
// shard files named as in its weightsManifest. Nothing is converted: the JSON is the object the package
// exports, and each shard's bytes are its base64 decoded.
//
// Usage: node unpack_nsfwjs.js <nsfwjs package folder> <output folder> [model ...]
// (default models: mobilenet_v2 mobilenet_v2_mid inception_v3)
'use strict';
const fs = require('fs');
const path = require('path');

const [packageDir, outDir, ...requested] = process.argv.slice(2);
if (!packageDir || !outDir) {
  console.error('usage: node unpack_nsfwjs.js <nsfwjs package folder> <output folder> [model ...]');
  process.exit(2);
}
const models = requested.length > 0 ? requested : ['mobilenet_v2', 'mobilenet_v2_mid', 'inception_v3'];
for (const model of models) {
  const source = path.resolve(packageDir, 'dist', 'models', model);
  const target = path.join(outDir, model);
  fs.mkdirSync(target, { recursive: true });
  const modelJson = require(path.join(source, 'model.min.js'));
  let bytes = 0;
  for (const group of modelJson.weightsManifest) {
    for (const shard of group.paths) {
      const base64 = require(path.join(source, shard + '.min.js'));
      if (typeof base64 !== 'string') {
        throw new Error(`${model}/${shard}.min.js does not export a base64 string`);
      }
      const data = Buffer.from(base64, 'base64');
      fs.writeFileSync(path.join(target, shard), data);
      bytes += data.length;
    }
  }
  fs.writeFileSync(path.join(target, 'model.json'), JSON.stringify(modelJson));
  console.log(`${model}: model.json and ${bytes} bytes of weights`);
}

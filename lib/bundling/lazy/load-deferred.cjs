'use strict';

// Indirect, so that esbuild leaves these calls to run time instead of bundling their targets.
const runtimeRequire = require;

/**
 * The real module behind a stand-in. In a Lambda bundle it is a file of its own beside `index.mjs`
 * (`deferred/<name>.cjs`, built with the bundle), so that its code is neither evaluated nor even compiled
 * until first use; run from the source, it is the installed package.
 */
module.exports = function loadDeferred(name) {
  try {
    return runtimeRequire(`./deferred/${name}.cjs`);
  } catch (error) {
    if (error?.code !== 'MODULE_NOT_FOUND') throw error;
    return runtimeRequire(name);
  }
};

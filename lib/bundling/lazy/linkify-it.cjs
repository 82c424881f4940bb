'use strict';

/**
 * mailparser configures one linkify instance at load (`.tlds(…).add(…).set(…)`) and uses it only to turn
 * links in text into HTML. The configuration is recorded and replayed on the real instance when a match is
 * first asked for.
 */
module.exports = function lazyLinkify(...options) {
  const configuration = [];
  let real;
  const load = () => {
    if (!real) {
      const LinkifyIt = require('./load-deferred.cjs')('linkify-it');
      real = new LinkifyIt(...options);
      for (const [method, args] of configuration) real[method](...args);
    }
    return real;
  };
  const instance = {};
  for (const method of ['add', 'set', 'tlds']) {
    instance[method] = (...args) => {
      if (real) real[method](...args);
      else configuration.push([method, args]);
      return instance;
    };
  }
  for (const method of ['test', 'pretest', 'testSchemaAt', 'match', 'matchAtStart', 'normalize', 'onCompile']) {
    instance[method] = (...args) => load()[method](...args);
  }
  return instance;
};

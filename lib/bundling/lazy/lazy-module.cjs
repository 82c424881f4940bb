'use strict';

/**
 * A module object whose properties are read from `load()` on first access. Only for modules that callers
 * keep as a whole (`const iconv = require('iconv-lite')`, then `iconv.decode(...)` when needed).
 */
module.exports = function lazyModule(load) {
  let real;
  const target = () => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_target, key) => target()[key],
      has: (_target, key) => key in target(),
    },
  );
};

'use strict';

// Callers destructure these at load (`const { htmlToText } = require('html-to-text')`), so each is a function
// that loads the real module when called. One CommonJS copy serves both `import` and `require` callers.
let real;
const load = () => (real ??= require('./load-deferred.cjs')('html-to-text'));
module.exports = {
  compile: (...args) => load().compile(...args),
  convert: (...args) => load().convert(...args),
  htmlToText: (...args) => load().htmlToText(...args),
};

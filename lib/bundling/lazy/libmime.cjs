'use strict';

// In the API, the MIME encoders serve only answers to customers (functions/outbound/compose-mime.ts uses
// these two); they load with the first answer.
let real;
const load = () => (real ??= require('./load-deferred.cjs')('libmime'));

module.exports = {
  foldLines: (...args) => load().foldLines(...args),
  encodeWord: (...args) => load().encodeWord(...args),
};

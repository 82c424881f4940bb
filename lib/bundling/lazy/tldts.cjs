'use strict';

// Only sender alignment without a DMARC pass needs the Public Suffix List (mail/trust.ts); most mail passes
// DMARC, so the list is loaded the first time a domain is looked up.
let real;
const load = () => (real ??= require('./load-deferred.cjs')('tldts'));
module.exports = {
  getDomain: (...args) => load().getDomain(...args),
};

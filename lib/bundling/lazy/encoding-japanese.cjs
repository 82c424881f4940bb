'use strict';
module.exports = require('./lazy-module.cjs')(() => require('./load-deferred.cjs')('encoding-japanese'));

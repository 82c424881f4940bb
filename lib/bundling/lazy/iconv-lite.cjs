'use strict';
module.exports = require('./lazy-module.cjs')(() => require('../../../node_modules/iconv-lite/lib/index.js'));

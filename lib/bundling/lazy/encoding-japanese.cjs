'use strict';
module.exports = require('./lazy-module.cjs')(() => require('../../../node_modules/encoding-japanese/src/index.js'));

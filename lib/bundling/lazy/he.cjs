'use strict';
module.exports = require('./lazy-module.cjs')(() => require('../../../node_modules/he/he.js'));

'use strict';

// As libmime.cjs: the quoted-printable encoder an answer's body needs, loaded with the first answer.
let real;
const load = () => (real ??= require('./load-deferred.cjs')('libqp'));

module.exports = {
  encode: (...args) => load().encode(...args),
  wrap: (...args) => load().wrap(...args),
};

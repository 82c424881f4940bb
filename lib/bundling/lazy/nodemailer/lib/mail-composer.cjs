'use strict';

// Outbound mail is written by functions/outbound/compose-mime.ts; nodemailer's composer (and its tables of
// MIME types) is loaded only for a message that needs its normalisation of unusual addresses or ids.
let real;
const load = () => (real ??= require('../../load-deferred.cjs')('nodemailer/lib/mail-composer'));

module.exports = function MailComposer(...args) {
  const Real = load();
  return new Real(...args);
};

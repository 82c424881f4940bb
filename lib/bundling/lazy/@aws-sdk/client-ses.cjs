'use strict';

// The API sends mail only when a staff member answers through it (functions/api/handler.ts): the SES client
// is built into deferred/ and loaded on the first answer. Constructing either class loads it.
let real;
const load = () => (real ??= require('../load-deferred.cjs')('@aws-sdk/client-ses'));

module.exports = {
  SESClient: function SESClient(...args) {
    return new (load().SESClient)(...args);
  },
  SendRawEmailCommand: function SendRawEmailCommand(...args) {
    return new (load().SendRawEmailCommand)(...args);
  },
};

'use strict';

// The API needs the reply-address secret only to answer a customer: read on the first answer, not at start.
let real;
const load = () => (real ??= require('../load-deferred.cjs')('@aws-sdk/client-secrets-manager'));

module.exports = {
  SecretsManagerClient: function SecretsManagerClient(...args) {
    return new (load().SecretsManagerClient)(...args);
  },
  GetSecretValueCommand: function GetSecretValueCommand(...args) {
    return new (load().GetSecretValueCommand)(...args);
  },
};

/** A secret's string value, read once at cold start. Imported lazily: only the AWS deployment needs it. */
export async function readSecret(secretArn: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!SecretString || SecretString.length < 32) throw new Error(`secret ${secretArn} is missing or shorter than 32 characters`);
    return SecretString;
  } finally {
    client.destroy();
  }
}

/** The reply-address secret from where the configuration says it is: given (local) or in Secrets Manager (AWS). */
export async function resolveReplyTokenSecret(source: { value: string } | { secretArn: string }): Promise<string> {
  return 'value' in source ? source.value : readSecret(source.secretArn);
}

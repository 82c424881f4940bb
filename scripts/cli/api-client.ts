import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** `https://<id>.execute-api.<region>.amazonaws.com/...`: API Gateway's own host names, which need SigV4. */
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/;

export interface SigningOptions {
  /** Sign even when the host is not an execute-api one (a custom domain in front of the API). */
  force?: boolean;
  region?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** The region to sign for, or undefined when the URL needs no signature (the local stack). */
export function signingRegionFor(url: URL, options: SigningOptions = {}): string | undefined {
  const fromHost = url.hostname.match(EXECUTE_API_HOST)?.[1];
  if (fromHost) return fromHost;
  if (options.force) return options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return undefined;
}

/** A JSON body and the method that carries it (POST, PATCH); none for a GET. */
export interface RequestBody {
  method: string;
  json: unknown;
  /** Further headers, signed like the others (e.g. `idempotency-key`). */
  headers?: Record<string, string>;
}

/** A request (GET unless `body` says otherwise), signed with SigV4 for API Gateway's IAM authorisation when the URL calls for it. */
export async function apiRequest(url: URL, options: SigningOptions = {}, body?: RequestBody): Promise<Request> {
  const method = body?.method ?? 'GET';
  const payload = body === undefined ? undefined : JSON.stringify(body.json);
  const baseHeaders: Record<string, string> = { accept: 'application/json', ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...body?.headers };
  const region = signingRegionFor(url, options);
  if (!region) return new Request(url, { method, headers: baseHeaders, ...(payload !== undefined ? { body: payload } : {}) });
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: options.credentials ?? fromNodeProviderChain(),
    sha256: Sha256,
  });
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => (query[key] = value));
  const signed = await signer.sign(
    new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { host: url.host, ...baseHeaders },
      ...(payload !== undefined ? { body: payload } : {}),
    }),
  );
  return new Request(url, { method, headers: signed.headers as Record<string, string>, ...(payload !== undefined ? { body: payload } : {}) });
}

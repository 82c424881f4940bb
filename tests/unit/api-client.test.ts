import { describe, expect, it } from 'vitest';
import { apiRequest, signingRegionFor } from '../../scripts/cli/api-client';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('CLI requests to the API', () => {
  it('are not signed for the local stack', async () => {
    const request = await apiRequest(new URL('http://127.0.0.1:3000/tickets?limit=5'), { credentials });
    expect(request.headers.get('authorization')).toBeNull();
    expect(signingRegionFor(new URL('http://127.0.0.1:3000/'))).toBeUndefined();
  });

  it('are SigV4-signed for execute-api in the API’s own region, query included', async () => {
    // Act
    const request = await apiRequest(new URL('https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/tickets?customer=a%40b.example&limit=5'), { credentials });

    // Assess
    const authorization = request.headers.get('authorization') ?? '';
    expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/);
    expect(request.headers.get('x-amz-date')).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request.url).toBe('https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/tickets?customer=a%40b.example&limit=5');
  });

  it('are signed for a custom domain only when asked, in the configured region', async () => {
    const url = new URL('https://desk-api.example.com/tickets');
    expect(signingRegionFor(url)).toBeUndefined();
    expect(signingRegionFor(url, { force: true, region: 'ap-southeast-1' })).toBe('ap-southeast-1');
    const request = await apiRequest(url, { force: true, region: 'ap-southeast-1', credentials });
    expect(request.headers.get('authorization')).toContain('/ap-southeast-1/execute-api/aws4_request');
  });
});

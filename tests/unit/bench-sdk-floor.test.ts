import { describe, expect, it } from 'vitest';
import { decodeRecordedMessages, encodeMessageRequests, renameResources } from '../../scripts/bench/sdk-floor/recorded-requests';

describe('recorded AWS requests for the SDK floor', () => {
  it('round-trips each message’s requests, binary bodies and sets included', () => {
    // Prepare
    const first = [{ client: 'S3Client', command: 'GetObjectCommand', input: { Bucket: 'raw', Key: 'inbound/a' } }];
    const second = [
      { client: '_DynamoDBDocumentClient', command: 'PutCommand', input: { TableName: 't', Item: { flags: new Set(['x']) } } },
      { client: 'SESClient', command: 'SendRawEmailCommand', input: { RawMessage: { Data: new Uint8Array([1, 2, 3]) } } },
    ];

    // Act
    const decoded = decodeRecordedMessages(Buffer.concat([encodeMessageRequests(first), encodeMessageRequests([]), encodeMessageRequests(second)]));

    // Assess
    expect(decoded).toEqual([first, [], second]);
  });

  it('moves requests to another table and bucket: whole values, copy sources and RequestItems keys', () => {
    // Prepare
    const renames = new Map([
      ['old-table', 'new-table'],
      ['old-bucket', 'new-bucket'],
    ]);
    const data = new Uint8Array([111, 108, 100]);

    // Act
    const renamed = renameResources(
      {
        RequestItems: { 'old-table': { Keys: [{ pk: 'old-table-ish', sk: 'ticket#1' }] } },
        TransactItems: [{ Put: { TableName: 'old-table', Item: { body: data, tags: new Set(['old-table']) } } }],
        CopySource: 'old-bucket/inbound/abc',
        Bucket: 'old-bucket',
      },
      renames,
    );

    // Assess
    expect(renamed).toEqual({
      RequestItems: { 'new-table': { Keys: [{ pk: 'old-table-ish', sk: 'ticket#1' }] } },
      TransactItems: [{ Put: { TableName: 'new-table', Item: { body: data, tags: new Set(['old-table']) } } }],
      CopySource: 'new-bucket/inbound/abc',
      Bucket: 'new-bucket',
    });
  });
});

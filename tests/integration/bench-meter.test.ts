/**
 * The bench's meter against DynamoDB Local: it bills what AWS would bill for the items really written,
 * where the emulator's own ConsumedCapacity under-counts.
 */
import { CreateTableCommand, DynamoDBClient, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsMeter } from '../../scripts/bench/meter';
import { LOCAL_ACCESS_KEY } from '../../scripts/local/stack';
import { startTestStack, type TestStack } from '../helpers/local-stack';

const TABLE = 'meter-test';
let stack: TestStack;
let base: DynamoDBClient;
let reference: DynamoDBClient;
let documents: DynamoDBDocumentClient;
let meter: AwsMeter;

beforeAll(async () => {
  stack = await startTestStack();
  const options = { region: 'us-east-1', endpoint: stack.dynamoEndpoint, credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } };
  base = new DynamoDBClient(options);
  reference = new DynamoDBClient(options);
  documents = DynamoDBDocumentClient.from(base);
  await reference.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'g1pk', 'g1sk', 'g2pk'].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'all',
          KeySchema: [
            { AttributeName: 'g1pk', KeyType: 'HASH' },
            { AttributeName: 'g1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        { IndexName: 'include', KeySchema: [{ AttributeName: 'g2pk', KeyType: 'HASH' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status'] } },
      ],
    }),
  );
  meter = new AwsMeter(reference);
  meter.attach(base);
});

afterAll(async () => {
  base?.destroy();
  reference?.destroy();
  await stack?.teardown();
});

beforeEach(() => {
  meter.take();
  meter.recording = true;
});

/** `pk`, `sk` and padding adding up to exactly `bytes`. */
const smallItem = (pk: string, bytes: number) => ({ pk, sk: 'x', pad: 'p'.repeat(bytes - 2 - pk.length - 2 - 1 - 3) });

describe('AwsMeter on DynamoDB Local', () => {
  it('bills six 100-byte puts in one transaction 12 units, where DynamoDB Local reports fewer', async () => {
    // Prepare
    const items = Array.from({ length: 6 }, (_, index) => smallItem(`six-${index}`, 100));
    // Act
    await documents.send(new TransactWriteCommand({ TransactItems: items.map((Item) => ({ Put: { TableName: TABLE, Item } })) }));
    // Assess
    const [call, ...rest] = meter.take();
    expect(rest).toEqual([]);
    expect(call).toMatchObject({ service: 'DynamoDB', operation: 'TransactWriteItems', writeUnits: 12, indexWrites: [] });
    expect(call!.reportedWriteUnits).toBeLessThan(12);
  });

  it('adds an index write per index the item enters, and a delete plus a put when an index key changes', async () => {
    await documents.send(new PutCommand({ TableName: TABLE, Item: { pk: 'ticket', sk: 'x', g1pk: 'dana', g1sk: '1', g2pk: 'month', status: 'open', note: 'a' } }));
    const [put] = meter.take();
    expect(put).toMatchObject({ operation: 'PutItem', writeUnits: 3 });
    expect(put!.indexWrites).toEqual(['ticket → all put', 'ticket → include put']);

    await documents.send(new UpdateCommand({ TableName: TABLE, Key: { pk: 'ticket', sk: 'x' }, UpdateExpression: 'SET g1pk = :owner', ExpressionAttributeValues: { ':owner': 'lee' } }));
    const [moved] = meter.take();
    expect(moved).toMatchObject({ operation: 'UpdateItem', writeUnits: 1 + 2, indexWrites: ['ticket → all delete+put'] });
  });

  it('leaves an INCLUDE index alone when no projected attribute changes', async () => {
    await base.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'quiet' }, sk: { S: 'x' }, g2pk: { S: 'month' }, status: { S: 'open' }, note: { S: 'a' } } }));
    meter.take();
    await documents.send(new UpdateCommand({ TableName: TABLE, Key: { pk: 'quiet', sk: 'x' }, UpdateExpression: 'SET note = :note', ExpressionAttributeValues: { ':note': 'b' } }));
    expect(meter.take()).toMatchObject([{ operation: 'UpdateItem', writeUnits: 1, indexWrites: [] }]);
    await documents.send(new UpdateCommand({ TableName: TABLE, Key: { pk: 'quiet', sk: 'x' }, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'closed' } }));
    expect(meter.take()).toMatchObject([{ operation: 'UpdateItem', writeUnits: 2, indexWrites: ['quiet → include update'] }]);
  });

  it('bills the larger of the item before and after', async () => {
    await documents.send(new PutCommand({ TableName: TABLE, Item: { pk: 'shrinks', sk: 'x', body: 'b'.repeat(3000) } }));
    meter.take();
    await documents.send(new PutCommand({ TableName: TABLE, Item: { pk: 'shrinks', sk: 'x' } }));
    expect(meter.take()).toMatchObject([{ operation: 'PutItem', writeUnits: 3 }]);
  });

  it('still bills a conditional write that failed, and counts a cancelled transaction with no units', async () => {
    await documents.send(new PutCommand({ TableName: TABLE, Item: smallItem('taken', 100) }));
    meter.take();
    await expect(documents.send(new PutCommand({ TableName: TABLE, Item: smallItem('taken', 100), ConditionExpression: 'attribute_not_exists(pk)' }))).rejects.toThrow();
    expect(meter.take()).toMatchObject([{ operation: 'PutItem', failed: 'ConditionalCheckFailedException', writeUnits: 1, indexWrites: [] }]);
    await expect(
      base.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Put: { TableName: TABLE, Item: { pk: { S: 'taken' }, sk: { S: 'x' } }, ConditionExpression: 'attribute_not_exists(pk)' } }],
        }),
      ),
    ).rejects.toThrow();
    expect(meter.take()).toMatchObject([{ operation: 'TransactWriteItems', failed: 'TransactionCanceledException', writeUnits: 0 }]);
  });

  it('bills reads from the stored item, per 4 KB, by consistency, found or not', async () => {
    await documents.send(new PutCommand({ TableName: TABLE, Item: { pk: 'big', sk: 'x', body: 'b'.repeat(5000) } }));
    await documents.send(new PutCommand({ TableName: TABLE, Item: { pk: 'big', sk: 'y', body: 'b'.repeat(100) } }));
    meter.take();
    await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: 'big', sk: 'x' }, ConsistentRead: true, ProjectionExpression: 'pk' }));
    await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: 'missing', sk: 'x' } }));
    await documents.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'big' } }));
    expect(meter.take().map((call) => [call.operation, call.readUnits])).toEqual([
      ['GetItem', 2],
      ['GetItem', 0.5],
      ['Query', 1],
    ]);
  });

  it('counts the calls of any other client, failed ones too', async () => {
    const s3 = new S3Client({ region: 'us-east-1', endpoint: stack.s3Endpoint, forcePathStyle: true, credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } });
    meter.attach(s3);
    try {
      await s3.send(new PutObjectCommand({ Bucket: stack.rawMailBucket, Key: 'meter/one', Body: 'x' }));
      await (await s3.send(new GetObjectCommand({ Bucket: stack.rawMailBucket, Key: 'meter/one' }))).Body?.transformToString();
      await expect(s3.send(new GetObjectCommand({ Bucket: stack.rawMailBucket, Key: 'meter/none' }))).rejects.toThrow();
    } finally {
      s3.destroy();
    }
    expect(meter.take().map((call) => [call.service, call.operation, call.failed])).toEqual([
      ['S3', 'PutObject', undefined],
      ['S3', 'GetObject', undefined],
      ['S3', 'GetObject', 'NoSuchKey'],
    ]);
  });

  it('records nothing while not recording', async () => {
    meter.recording = false;
    await documents.send(new PutCommand({ TableName: TABLE, Item: smallItem('unmetered', 100) }));
    expect(meter.take()).toEqual([]);
  });
});

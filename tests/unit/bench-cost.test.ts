import { describe, expect, it } from 'vitest';
import type { TableDefinition } from '../../scripts/bench/billing';
import { costRow, type CostSample } from '../../scripts/bench/capacity';
import { primaryKeyOfAnyForm, type MeteredCall } from '../../scripts/bench/meter';

const call = (operation: string, fields: Partial<MeteredCall> = {}): MeteredCall => ({
  service: operation.startsWith('Get') && operation.endsWith('Object') ? 'S3' : 'DynamoDB',
  operation,
  readUnits: 0,
  writeUnits: 0,
  reportedReadUnits: 0,
  reportedWriteUnits: 0,
  indexWrites: [],
  ...fields,
});

describe('costRow', () => {
  it('averages requests and units per message and keeps the order requests were first made', () => {
    // Prepare
    const samples: CostSample[] = [
      {
        result: { outcome: 'follow-up', ticketId: 't1', reopened: false },
        calls: [
          call('GetItem', { readUnits: 1 }),
          call('GetObject'),
          call('TransactWriteItems', { writeUnits: 12, reportedWriteUnits: 5, indexWrites: ['TICKET → gsi1 update'] }),
        ],
      },
      {
        result: { outcome: 'follow-up', ticketId: 't2', reopened: false },
        calls: [call('GetItem', { readUnits: 1 }), call('GetObject'), call('TransactWriteItems', { writeUnits: 14, reportedWriteUnits: 5 }), call('GetItem', { readUnits: 0.5 })],
      },
    ];
    // Act
    const row = costRow('followUp', samples);
    // Assess
    expect(row).toMatchObject({ kind: 'followUp', samples: 2, requests: 3.5, writeUnits: 13, writeUnitsMax: 14, readUnits: 1.25, reportedWriteUnits: 5 });
    expect(row.outcomes).toEqual(new Map([['follow-up', 2]]));
    expect(row.operations.map((operation) => [operation.name, operation.calls])).toEqual([
      ['DynamoDB.GetItem', 1.5],
      ['S3.GetObject', 1],
      ['DynamoDB.TransactWriteItems', 1],
    ]);
    expect(row.indexWrites).toEqual([{ name: 'TICKET → gsi1 update', perMessage: 0.5 }]);
  });

  it('names failed calls apart', () => {
    const row = costRow('newTicket', [{ result: { outcome: 'discarded', reason: 'bounce: dsn' }, calls: [call('PutItem', { failed: 'ConditionalCheckFailedException', writeUnits: 1 })] }]);
    expect(row.operations).toEqual([{ name: 'DynamoDB.PutItem (ConditionalCheckFailedException)', calls: 1, writeUnits: 1, readUnits: 0 }]);
  });
});

describe('primaryKeyOfAnyForm', () => {
  const table: TableDefinition = { partitionKey: 'pk', sortKey: 'sk', indexes: [] };

  it('reads the key of a document-client result and of a base-client result alike', () => {
    expect(primaryKeyOfAnyForm({ pk: 'TICKET#1', sk: 'MSG#1', text: 'hi' }, table)).toEqual({ pk: { S: 'TICKET#1' }, sk: { S: 'MSG#1' } });
    expect(primaryKeyOfAnyForm({ pk: { S: 'TICKET#1' }, sk: { S: 'MSG#1' } }, table)).toEqual({ pk: { S: 'TICKET#1' }, sk: { S: 'MSG#1' } });
    expect(primaryKeyOfAnyForm({ pk: 7, sk: 'x' }, table)).toEqual({ pk: { N: '7' }, sk: { S: 'x' } });
  });
});

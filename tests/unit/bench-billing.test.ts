import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  billConditionCheck,
  billFailedConditionalWrite,
  billIndexWrite,
  billItemRead,
  billQuery,
  billWrite,
  indexEntry,
  itemSize,
  numberSize,
  readUnits,
  tableDefinitionFrom,
  valueSize,
  writeUnits,
  type Item,
  type TableDefinition,
} from '../../scripts/bench/billing';

const s = (text: string) => ({ S: text });
const n = (text: string) => ({ N: text });

/** A table like Concierge's: pk and sk, two indexes keyed on gsi1pk/gsi1sk and gsi2pk/gsi2sk. */
const ALL_PROJECTED: TableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: { type: 'ALL' } },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: { type: 'ALL' } },
  ],
};
const INCLUDE_PROJECTED: TableDefinition = {
  ...ALL_PROJECTED,
  indexes: ALL_PROJECTED.indexes.map((index) => ({ ...index, projection: { type: 'INCLUDE' as const, nonKeyAttributes: ['subject', 'status'] } })),
};

/** An item of exactly `bytes` bytes: pk and sk of 4 bytes each plus one padding string. */
function itemOfSize(bytes: number, pk = 'item'): Item {
  const fixed = 'pk'.length + pk.length + 'sk'.length + 'same'.length + 'pad'.length;
  return { pk: s(pk), sk: s('same'), pad: s('x'.repeat(bytes - fixed)) };
}

const ticket = (overrides: Item = {}): Item => ({
  pk: s('TICKET#1'),
  sk: s('#TICKET'),
  gsi1pk: s('CUSTOMER#dana@example.com'),
  gsi1sk: s('2026-11-21T10:00:00.000Z#1'),
  gsi2pk: s('TICKETS#2026-11'),
  gsi2sk: s('2026-11-21T10:00:00.000Z#1'),
  subject: s('Deposit not credited'),
  status: s('open'),
  updatedAt: s('2026-11-21T10:00:00.000Z'),
  messageCount: n('1'),
  ...overrides,
});

describe('item size (CapacityUnitCalculations)', () => {
  it('counts attribute names and UTF-8 string bytes', () => {
    // Prepare / Act / Assess
    expect(itemSize({ ab: s('héllo') })).toBe(2 + 6);
    expect(itemSize({ 名: s('提现') })).toBe(3 + 6);
  });

  it('sizes numbers by significant digits, leading and trailing zeros trimmed', () => {
    expect(numberSize('1')).toBe(2);
    expect(numberSize('12')).toBe(2);
    expect(numberSize('123')).toBe(3);
    expect(numberSize('1000000')).toBe(2);
    expect(numberSize('-0.00125')).toBe(3);
    expect(numberSize('1763719201')).toBe(6);
    expect(numberSize('1763719200')).toBe(5);
  });

  it('gives binary its raw length, booleans and null one byte', () => {
    expect(valueSize({ B: new Uint8Array(10) })).toBe(10);
    expect(valueSize({ BOOL: false })).toBe(1);
    expect(valueSize({ NULL: true })).toBe(1);
  });

  it('adds 3 bytes per list or map and 1 per element, with map element names', () => {
    expect(valueSize({ L: [] })).toBe(3);
    expect(valueSize({ L: [s('ab'), n('1')] })).toBe(3 + (1 + 2) + (1 + 2));
    expect(valueSize({ M: { to: s('ab') } })).toBe(3 + 1 + 2 + 2);
    expect(valueSize({ M: { inner: { L: [{ BOOL: true }] } } })).toBe(3 + 1 + 5 + (3 + 1 + 1));
  });

  it('sums set elements', () => {
    expect(valueSize({ SS: ['a', 'bc'] })).toBe(3);
    expect(valueSize({ NS: ['1', '123'] })).toBe(2 + 3);
  });
});

describe('units', () => {
  it('rounds writes up per 1 KB, at least one', () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
  });

  it('rounds reads up per 4 KB: half eventually consistent, one strong, two transactional', () => {
    expect(readUnits(0, 'eventual')).toBe(0.5);
    expect(readUnits(4096, 'strong')).toBe(1);
    expect(readUnits(4097, 'strong')).toBe(2);
    expect(readUnits(100, 'transactional')).toBe(2);
    expect(billItemRead(undefined, 'strong')).toBe(1);
  });

  it('rounds a query once over the sum of its items', () => {
    expect(billQuery([itemOfSize(1500), itemOfSize(1500), itemOfSize(1500)], 'eventual')).toBe(1);
    expect(billQuery([], 'strong')).toBe(1);
  });
});

describe('writes', () => {
  const noIndexes: TableDefinition = { partitionKey: 'pk', sortKey: 'sk', indexes: [] };

  it('bills six 100-byte puts in one transaction 12 units (DynamoDB Local reports 2)', () => {
    const puts = Array.from({ length: 6 }, (_, index) => itemOfSize(100, `p${index}`));
    expect(puts.every((item) => itemSize(item) === 100)).toBe(true);
    const total = puts.reduce((sum, item) => sum + billWrite(undefined, item, noIndexes, { transactional: true }).total, 0);
    expect(total).toBe(12);
  });

  it('bills the larger of the item before and after', () => {
    expect(billWrite(itemOfSize(3000), itemOfSize(200), noIndexes, { transactional: false }).table).toBe(3);
    expect(billWrite(itemOfSize(200), itemOfSize(2100), noIndexes, { transactional: true }).table).toBe(6);
    expect(billWrite(itemOfSize(1500), undefined, noIndexes, { transactional: false }).table).toBe(2);
  });

  it('still bills a write whose condition failed, sized by the larger item, with no index write', () => {
    expect(billFailedConditionalWrite(itemOfSize(2500), itemOfSize(100))).toEqual({ table: 3, indexes: [], total: 3 });
    expect(billFailedConditionalWrite(undefined, undefined).total).toBe(1);
    expect(billConditionCheck(itemOfSize(100)).total).toBe(2);
  });
});

describe('index writes (GSI.Writes)', () => {
  const gsi1 = ALL_PROJECTED.indexes[0]!;

  it('puts a new item into every index whose keys it has', () => {
    const bill = billWrite(undefined, ticket(), ALL_PROJECTED, { transactional: true });
    expect(bill.table).toBe(2);
    expect(bill.indexes).toEqual([
      { index: 'gsi1', writes: ['put'], units: 1 },
      { index: 'gsi2', writes: ['put'], units: 1 },
    ]);
    expect(bill.total).toBe(4);
  });

  it('writes nothing to an index the item is not in (sparse)', () => {
    const receipt: Item = { pk: s('INBOUND#x'), sk: s('#INBOUND'), outcome: s('discarded') };
    expect(billWrite(undefined, receipt, ALL_PROJECTED, { transactional: false }).total).toBe(1);
  });

  it('with ALL projected, any changed attribute rewrites the entry', () => {
    const before = ticket();
    const after = ticket({ updatedAt: s('2026-11-21T11:00:00.000Z'), messageCount: n('2') });
    expect(billIndexWrite(before, after, gsi1, ALL_PROJECTED)).toEqual({ index: 'gsi1', writes: ['update'], units: 1 });
    expect(billWrite(before, after, ALL_PROJECTED, { transactional: true }).total).toBe(2 + 1 + 1);
  });

  it('with INCLUDE, an update that changes no projected attribute costs the index nothing', () => {
    const before = ticket();
    const after = ticket({ updatedAt: s('2026-11-21T11:00:00.000Z'), messageCount: n('2') });
    expect(billWrite(before, after, INCLUDE_PROJECTED, { transactional: true })).toEqual({ table: 2, indexes: [], total: 2 });
    const reopened = ticket({ status: s('closed') });
    expect(billWrite(before, reopened, INCLUDE_PROJECTED, { transactional: false }).indexes.map((bill) => bill.writes)).toEqual([['update'], ['update']]);
  });

  it('an update that changes an index key is a delete plus a put', () => {
    const after = ticket({ gsi1pk: s('CUSTOMER#other@example.com') });
    expect(billIndexWrite(ticket(), after, gsi1, ALL_PROJECTED)).toEqual({ index: 'gsi1', writes: ['delete', 'put'], units: 2 });
  });

  it('removing an index key deletes the entry; deleting the item deletes from every index', () => {
    const { gsi1pk: _removed, ...withoutKey } = ticket();
    expect(billIndexWrite(ticket(), withoutKey, gsi1, ALL_PROJECTED)?.writes).toEqual(['delete']);
    expect(billWrite(ticket(), undefined, ALL_PROJECTED, { transactional: false }).total).toBe(3);
  });

  it('sizes the index entry by its projection, not the whole item', () => {
    const big = ticket({ text: s('x'.repeat(5000)) });
    expect(billIndexWrite(undefined, big, gsi1, ALL_PROJECTED)?.units).toBe(6);
    expect(billIndexWrite(undefined, big, INCLUDE_PROJECTED.indexes[0]!, INCLUDE_PROJECTED)?.units).toBe(1);
    const entry = indexEntry(big, INCLUDE_PROJECTED.indexes[0]!, INCLUDE_PROJECTED);
    expect(Object.keys(entry ?? {}).sort()).toEqual(['gsi1pk', 'gsi1sk', 'pk', 'sk', 'status', 'subject']);
    const keysOnly: TableDefinition = { ...ALL_PROJECTED, indexes: [{ ...gsi1, projection: { type: 'KEYS_ONLY' } }] };
    expect(Object.keys(indexEntry(big, keysOnly.indexes[0]!, keysOnly) ?? {}).sort()).toEqual(['gsi1pk', 'gsi1sk', 'pk', 'sk']);
  });
});

describe('tableDefinitionFrom', () => {
  it('reads keys and projections from DescribeTable', () => {
    const description: TableDescription = {
      TableName: 't',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['subject'] },
        },
        { IndexName: 'gsi2', KeySchema: [{ AttributeName: 'gsi2pk', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
      ],
    };
    expect(tableDefinitionFrom(description)).toEqual({
      partitionKey: 'pk',
      sortKey: 'sk',
      indexes: [
        { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: { type: 'INCLUDE', nonKeyAttributes: ['subject'] } },
        { name: 'gsi2', partitionKey: 'gsi2pk', projection: { type: 'ALL' } },
      ],
    });
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_CURSOR_LENGTH, messageListCursorAfter, messageListPosition, ticketListCursorAfter, ticketListPosition } from '../../functions/api/cursor';
import { routeForPath, routeForResource } from '../../functions/api/routes';
import { fitToBudget } from '../../functions/api/tickets-api';

const ticketId = 'K7Q3XM';
const position = { createdAt: '2026-11-21T17:31:27.123Z', id: ticketId };

describe('paging cursors', () => {
  it('round-trip the position of the last item, for the listing that issued them', () => {
    expect(ticketListPosition(ticketListCursorAfter(position, 'a@b.example'), 'a@b.example')).toEqual(position);
    expect(ticketListPosition(ticketListCursorAfter(position, undefined), undefined)).toEqual(position);
    const message = { receivedAt: '2026-11-21T17:31:27.123Z', key: '0100019a3b2c1d0e-1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901-000000' };
    expect(messageListPosition(messageListCursorAfter(ticketId, message), ticketId)).toEqual(message);
  });

  it('refuse anything malformed, tampered, oversized or from another listing with a 400', () => {
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const attempts = [
      '',
      'not base64!',
      'x'.repeat(MAX_CURSOR_LENGTH + 1),
      forge('just a string'),
      forge({ v: 1, list: 'tickets', after: { ...position, id: 'TICKET#other' } }),
      forge({ v: 1, list: 'tickets', after: { ...position, createdAt: '2026-11' } }),
      forge({ v: 1, list: 'tickets', after: position, ExclusiveStartKey: { pk: 'REF#X' } }),
      forge({ v: 2, list: 'tickets', after: position }),
      forge({ v: 1, list: 'messages', ticket: ticketId, after: { receivedAt: position.createdAt, key: 'a b' } }),
      ticketListCursorAfter(position, 'someone@else.example'),
    ];
    for (const cursor of attempts) {
      expect(() => ticketListPosition(cursor, undefined), cursor.slice(0, 40)).toThrow(expect.objectContaining({ statusCode: 400 }));
    }
    const otherTicket = messageListCursorAfter('ZZZZZZ', { receivedAt: position.createdAt, key: 'abc' });
    expect(() => messageListPosition(otherTicket, ticketId)).toThrow('cursor: it belongs to another ticket');
  });
});

describe('page budget', () => {
  it('ends a page once its JSON passes the budget, keeps at least one item, and says more follow', () => {
    const big = (id: number) => ({ id, text: 'x'.repeat(400) });
    expect(fitToBudget({ items: [big(1), big(2), big(3)], more: false }, (item) => item, 1000)).toMatchObject({ items: [big(1), big(2)], more: true });
    expect(fitToBudget({ items: [big(1)], more: false }, (item) => item, 10)).toMatchObject({ items: [big(1)], more: false });
    expect(fitToBudget({ items: [big(1)], more: true }, (item) => item, 10_000).more).toBe(true);
  });
});

describe('routing', () => {
  it('tells a wrong method from an unknown path, and refuses malformed percent-encoding', () => {
    expect(routeForPath('GET', '/tickets/K7Q3XM')).toEqual({ kind: 'route', route: expect.objectContaining({ resource: '/tickets/{id}' }), pathParameters: { id: 'K7Q3XM' } });
    expect(routeForPath('POST', '/tickets')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
    expect(routeForPath('GET', '/tickets/a/b')).toEqual({ kind: 'not-found' });
    expect(routeForPath('GET', '/tickets/%ZZ')).toEqual({ kind: 'malformed-path' });
    expect(routeForResource('GET', '/{proxy+}', {})).toBeUndefined();
  });
});

import { badRequest, QueryParams } from './http';
import { compileQuery, FieldMap, QueryError, sortRows } from './query';

export interface Page<T> {
  items: T[];
  /** Number of rows matching QueryString, before paging (sent as x-total-count). */
  total: number;
}

/** SortAscending is the SortOrder enum: 0 ascending, 1 descending (names bind too). */
function isDescending(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '0' || /^ascending$/i.test(raw)) return false;
  if (raw === '1' || /^descending$/i.test(raw)) return true;
  throw badRequest(`The value '${raw}' is not valid for SortAscending.`);
}

/**
 * Applies the common list parameters: QueryString, SortField, SortAscending,
 * PageReturned (default 1) and ReturnLimit (default 50).
 */
export function listPage<T>(rows: T[], fields: FieldMap<T>, query: QueryParams): Page<T> {
  const pageReturned = query.int('PageReturned', 1, 1);
  const returnLimit = query.int('ReturnLimit', 50, 1);
  const descending = isDescending(query.get('SortAscending'));
  const sortField = query.get('SortField');
  try {
    let matches = rows.filter(compileQuery(query.get('QueryString'), fields));
    if (sortField) matches = sortRows(matches, fields, sortField, descending);
    else if (descending) matches.reverse();
    const start = (pageReturned - 1) * returnLimit;
    return { items: matches.slice(start, start + returnLimit), total: matches.length };
  } catch (err) {
    if (err instanceof QueryError) throw badRequest(`Invalid query: ${err.message}`);
    throw err;
  }
}

export function pageReply<T>(page: Page<T>): { status: number; body: T[]; headers: Record<string, string> } {
  return { status: 200, body: page.items, headers: { 'x-total-count': String(page.total) } };
}

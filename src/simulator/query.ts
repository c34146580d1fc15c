/**
 * Parser and evaluator for Command's QueryString filter syntax:
 *
 *   Field -op value [AND|OR ...], with parentheses; AND binds tighter than OR.
 *
 * Operators: -eq -ne -contains -notcontains -startswith -endswith -lt -le -gt -ge.
 * Values: "double-quoted strings", unquoted numbers, NULL (with -eq/-ne only).
 * Field names, operators and AND/OR/NULL are case-insensitive.
 */
import { parseTime } from './validation';

export type FieldType = 'string' | 'guid' | 'int' | 'date';
export type FieldValue = string | number | null;

export interface FieldSpec<T> {
  type: FieldType;
  get: (row: T) => FieldValue;
}

/** Queryable/sortable fields of a row type, keyed by their canonical name. */
export type FieldMap<T> = Record<string, FieldSpec<T>>;

export type Predicate<T> = (row: T) => boolean;

export class QueryError extends Error {}

const OPERATORS = ['eq', 'ne', 'contains', 'notcontains', 'startswith', 'endswith', 'lt', 'le', 'gt', 'ge'] as const;
type Operator = typeof OPERATORS[number];

const OPERATORS_BY_TYPE: Record<FieldType, readonly Operator[]> = {
  string: ['eq', 'ne', 'contains', 'notcontains', 'startswith', 'endswith'],
  guid: ['eq', 'ne'],
  int: ['eq', 'ne', 'lt', 'le', 'gt', 'ge'],
  date: ['eq', 'ne', 'lt', 'le', 'gt', 'ge'],
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Token {
  kind: '(' | ')' | 'string' | 'word' | 'op';
  text: string;
  pos: number;
}

type Literal = { kind: 'null' } | { kind: 'text'; text: string; quoted: boolean };

type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'compare'; field: Token; op: Token; value: Literal };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch, text: ch, pos: i });
      i++;
    } else if (ch === '"') {
      const start = i;
      let value = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) i++;
        value += text[i];
        i++;
      }
      if (i >= text.length) throw new QueryError(`unterminated string starting at position ${start}`);
      i++;
      tokens.push({ kind: 'string', text: value, pos: start });
    } else {
      const start = i;
      while (i < text.length && !/[\s()"]/.test(text[i])) i++;
      const word = text.slice(start, i);
      tokens.push({ kind: /^-[a-z]/i.test(word) ? 'op' : 'word', text: word, pos: start });
    }
  }
  return tokens;
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.parseOr();
    const extra = this.tokens[this.index];
    if (extra) throw new QueryError(`unexpected '${extra.text}' at position ${extra.pos}`);
    return node;
  }

  private peekKeyword(keyword: string): boolean {
    const token = this.tokens[this.index];
    return token?.kind === 'word' && token.text.toUpperCase() === keyword;
  }

  private parseOr(): Node {
    let node = this.parseAnd();
    while (this.peekKeyword('OR')) {
      this.index++;
      node = { kind: 'or', left: node, right: this.parseAnd() };
    }
    return node;
  }

  private parseAnd(): Node {
    let node = this.parsePrimary();
    while (this.peekKeyword('AND')) {
      this.index++;
      node = { kind: 'and', left: node, right: this.parsePrimary() };
    }
    return node;
  }

  private parsePrimary(): Node {
    const token = this.tokens[this.index];
    if (!token) throw new QueryError('unexpected end of query; expected a field name or \'(\'');
    if (token.kind === '(') {
      this.index++;
      const node = this.parseOr();
      const close = this.tokens[this.index];
      if (close?.kind !== ')') throw new QueryError(`missing ')' for '(' at position ${token.pos}`);
      this.index++;
      return node;
    }
    if (token.kind !== 'word' || this.peekKeyword('AND') || this.peekKeyword('OR')) {
      throw new QueryError(`expected a field name at position ${token.pos} but found '${token.text}'`);
    }
    this.index++;
    const op = this.tokens[this.index];
    if (op?.kind !== 'op') {
      throw new QueryError(`expected an operator such as -eq after '${token.text}' at position ${op?.pos ?? 'end of query'}`);
    }
    this.index++;
    const value = this.tokens[this.index];
    if (!value || (value.kind !== 'string' && value.kind !== 'word')) {
      throw new QueryError(`expected a value after '${op.text}' at position ${value?.pos ?? 'end of query'}`);
    }
    this.index++;
    const literal: Literal = value.kind === 'word' && value.text.toUpperCase() === 'NULL'
      ? { kind: 'null' }
      : { kind: 'text', text: value.text, quoted: value.kind === 'string' };
    return { kind: 'compare', field: token, op, value: literal };
  }
}

/** Case-insensitive lookup of a field by name. */
export function findField<T>(fields: FieldMap<T>, name: string): FieldSpec<T> | undefined {
  const key = Object.keys(fields).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : fields[key];
}

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function ordering(op: Operator, cmp: number): boolean {
  switch (op) {
    case 'eq': return cmp === 0;
    case 'ne': return cmp !== 0;
    case 'lt': return cmp < 0;
    case 'le': return cmp <= 0;
    case 'gt': return cmp > 0;
    default: return cmp >= 0;
  }
}

function compileCompare<T>(node: Extract<Node, { kind: 'compare' }>, fields: FieldMap<T>): Predicate<T> {
  const spec = findField(fields, node.field.text);
  if (!spec) {
    throw new QueryError(`unknown field '${node.field.text}'; supported fields: ${Object.keys(fields).join(', ')}`);
  }
  const opName = node.op.text.slice(1).toLowerCase();
  if (!(OPERATORS as readonly string[]).includes(opName)) {
    throw new QueryError(`unknown operator '${node.op.text}' at position ${node.op.pos}`);
  }
  const op = opName as Operator;
  if (!OPERATORS_BY_TYPE[spec.type].includes(op)) {
    throw new QueryError(`operator '${node.op.text}' cannot be used with field '${node.field.text}'`);
  }
  const { get } = spec;

  if (node.value.kind === 'null') {
    if (op !== 'eq' && op !== 'ne') throw new QueryError(`NULL can only be used with -eq or -ne (field '${node.field.text}')`);
    return op === 'eq' ? (row) => get(row) === null : (row) => get(row) !== null;
  }

  const text = node.value.text;
  let target: string | number;
  switch (spec.type) {
    case 'int':
      if (!/^-?\d+$/.test(text.trim())) throw new QueryError(`'${text}' is not a valid integer for field '${node.field.text}'`);
      target = Number(text);
      break;
    case 'date':
      target = parseTime(text.trim());
      if (Number.isNaN(target)) throw new QueryError(`'${text}' is not a valid date for field '${node.field.text}'`);
      break;
    case 'guid':
      if (!GUID.test(text.trim())) throw new QueryError(`'${text}' is not a valid GUID for field '${node.field.text}'`);
      target = text.trim();
      break;
    default:
      target = text;
  }

  const needle = String(target).toLowerCase();
  // Null semantics follow C#/EF rather than SQL: null -ne "x" is true. // [INFER]
  return (row) => {
    const value = get(row);
    if (value === null) return op === 'ne' || op === 'notcontains';
    const hay = String(value).toLowerCase();
    switch (op) {
      case 'contains': return hay.includes(needle);
      case 'notcontains': return !hay.includes(needle);
      case 'startswith': return hay.startsWith(needle);
      case 'endswith': return hay.endsWith(needle);
      default: return ordering(op, compareValues(value, target));
    }
  };
}

function compile<T>(node: Node, fields: FieldMap<T>): Predicate<T> {
  if (node.kind === 'compare') return compileCompare(node, fields);
  const left = compile(node.left, fields);
  const right = compile(node.right, fields);
  return node.kind === 'and' ? (row) => left(row) && right(row) : (row) => left(row) || right(row);
}

/** Compiles a QueryString into a predicate; throws QueryError naming the problem. A blank query matches everything. */
export function compileQuery<T>(query: string | undefined, fields: FieldMap<T>): Predicate<T> {
  if (query === undefined || query.trim() === '') return () => true;
  return compile(new Parser(tokenize(query)).parse(), fields);
}

/** Stable sort by a field (case-insensitive name); nulls sort first ascending. Throws QueryError for an unknown field. */
export function sortRows<T>(rows: T[], fields: FieldMap<T>, sortField: string, descending: boolean): T[] {
  const spec = findField(fields, sortField);
  if (!spec) throw new QueryError(`unknown sort field '${sortField}'`);
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = spec.get(a);
    const y = spec.get(b);
    if (x === null || y === null) return x === y ? 0 : sign * (x === null ? -1 : 1);
    return sign * compareValues(x, y);
  });
}

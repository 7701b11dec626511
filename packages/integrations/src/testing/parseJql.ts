/**
 * The small part of JQL the fake Jira understands: clauses joined by `AND`,
 * each `field op value`, and an optional `ORDER BY`. Everything else is
 * rejected with a message in the shape Jira uses, so a test that strays
 * outside the subset fails loudly rather than matching the wrong issues.
 */

/** Fields the fake can search on, by their canonical JQL name. */
export type JqlField =
  | 'project'
  | 'key'
  | 'text'
  | 'summary'
  | 'description'
  | 'status'
  | 'issuetype'
  | 'assignee'
  | 'reporter'
  | 'labels'
  | 'priority';

export type JqlOrderField = 'key' | 'created' | 'updated' | 'priority' | 'summary';

export type JqlValue =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'currentUser' };

export type JqlClause =
  | { readonly field: JqlField; readonly operator: '=' | '!='; readonly value: JqlValue }
  | { readonly field: JqlField; readonly operator: 'in' | 'not in'; readonly values: readonly JqlValue[] }
  | { readonly field: JqlField; readonly operator: '~' | '!~'; readonly text: string }
  | { readonly field: JqlField; readonly operator: 'is empty' | 'is not empty' };

export interface JqlQuery {
  /** Every clause must hold (the fake has no `OR`). Empty for a query with no restriction. */
  readonly clauses: readonly JqlClause[];
  readonly orderBy: readonly { readonly field: JqlOrderField; readonly direction: 'ASC' | 'DESC' }[];
}

export type JqlParseResult = { readonly ok: true; readonly query: JqlQuery } | { readonly ok: false; readonly message: string };

const FIELD_ALIASES: Readonly<Record<string, JqlField>> = {
  project: 'project',
  key: 'key',
  issuekey: 'key',
  text: 'text',
  summary: 'summary',
  description: 'description',
  status: 'status',
  issuetype: 'issuetype',
  type: 'issuetype',
  assignee: 'assignee',
  reporter: 'reporter',
  labels: 'labels',
  priority: 'priority',
};

const ORDER_FIELDS: Readonly<Record<string, JqlOrderField>> = {
  key: 'key',
  issuekey: 'key',
  created: 'created',
  createddate: 'created',
  updated: 'updated',
  updateddate: 'updated',
  priority: 'priority',
  summary: 'summary',
};

const TEXT_FIELDS: ReadonlySet<JqlField> = new Set(['text', 'summary', 'description']);
const EMPTYABLE_FIELDS: ReadonlySet<JqlField> = new Set(['assignee', 'labels', 'description', 'priority']);
const USER_FIELDS: ReadonlySet<JqlField> = new Set(['assignee', 'reporter']);

const VALID_OPERATORS =
  "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";

type Token =
  | { readonly kind: 'word'; readonly text: string; readonly at: number }
  | { readonly kind: 'string'; readonly text: string; readonly at: number }
  | { readonly kind: 'symbol'; readonly text: '=' | '!=' | '~' | '!~' | '(' | ')' | ','; readonly at: number };

class JqlSyntaxError extends Error {}

/** Parses `jql`; never throws. */
export function parseJql(jql: string): JqlParseResult {
  try {
    return { ok: true, query: new Parser(tokenize(jql)).parse() };
  } catch (error) {
    if (error instanceof JqlSyntaxError) return { ok: false, message: error.message };
    throw error;
  }
}

function syntaxError(message: string, at?: number): JqlSyntaxError {
  const where = at === undefined ? '' : ` (line 1, character ${at})`;
  return new JqlSyntaxError(`Error in the JQL Query: ${message}${where}`);
}

function tokenize(jql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < jql.length) {
    const c = jql[i] as string;
    const at = i + 1;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let text = '';
      i++;
      while (i < jql.length && jql[i] !== c) {
        if (jql[i] === '\\' && i + 1 < jql.length) i++;
        text += jql[i];
        i++;
      }
      if (i >= jql.length) throw syntaxError(`The quoted string '${text}' has not been completed.`, at);
      i++;
      tokens.push({ kind: 'string', text, at });
    } else if (c === '!' && (jql[i + 1] === '=' || jql[i + 1] === '~')) {
      tokens.push({ kind: 'symbol', text: jql[i + 1] === '=' ? '!=' : '!~', at });
      i += 2;
    } else if (c === '=' || c === '~' || c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'symbol', text: c, at });
      i++;
    } else if (/[\p{L}\p{N}_.@\-:]/u.test(c)) {
      let text = '';
      while (i < jql.length && /[\p{L}\p{N}_.@\-:]/u.test(jql[i] as string)) {
        text += jql[i];
        i++;
      }
      tokens.push({ kind: 'word', text, at });
    } else {
      throw syntaxError(`The character '${c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}' instead.`, at);
    }
  }
  return tokens;
}

function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token !== undefined && token.kind === 'word' && token.text.toUpperCase() === keyword;
}

function describe(token: Token | undefined): string {
  return token === undefined ? 'end of query' : `'${token.text}'`;
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): JqlQuery {
    const clauses: JqlClause[] = [];
    let orderBy: JqlQuery['orderBy'] = [];
    if (this.peek() !== undefined && !isKeyword(this.peek(), 'ORDER')) {
      clauses.push(this.clause());
      for (;;) {
        const next = this.peek();
        if (next === undefined || isKeyword(next, 'ORDER')) break;
        if (isKeyword(next, 'AND')) {
          this.position++;
          clauses.push(this.clause());
        } else if (isKeyword(next, 'OR')) {
          throw syntaxError("this fake Jira supports only 'AND' between clauses, not 'OR'.", next.at);
        } else {
          throw syntaxError(`Expecting either 'OR' or 'AND' but got ${describe(next)}.`, next.at);
        }
      }
    }
    if (isKeyword(this.peek(), 'ORDER')) orderBy = this.orderBy();
    return { clauses, orderBy };
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token | undefined {
    const token = this.tokens[this.position];
    if (token !== undefined) this.position++;
    return token;
  }

  private clause(): JqlClause {
    const fieldToken = this.next();
    if (fieldToken === undefined || fieldToken.kind === 'symbol') {
      throw syntaxError(`Expecting a field name but got ${describe(fieldToken)}.`, fieldToken?.at);
    }
    if (isKeyword(fieldToken, 'NOT')) throw syntaxError("this fake Jira does not support 'NOT' before a clause.", fieldToken.at);
    const field = FIELD_ALIASES[fieldToken.text.toLowerCase()];
    if (field === undefined) {
      throw new JqlSyntaxError(`Field '${fieldToken.text}' does not exist or you do not have permission to view it.`);
    }
    const operatorToken = this.next();
    if (operatorToken === undefined) throw syntaxError(`Expecting operator but got end of query. ${VALID_OPERATORS}`);
    const unsupported = (operator: string): JqlSyntaxError =>
      new JqlSyntaxError(`The operator '${operator}' is not supported by the '${fieldToken.text}' field.`);

    if (operatorToken.kind === 'symbol' && (operatorToken.text === '~' || operatorToken.text === '!~')) {
      if (!TEXT_FIELDS.has(field)) throw unsupported(operatorToken.text);
      const value = this.next();
      if (value === undefined || value.kind === 'symbol') {
        throw syntaxError(`Expecting either a value, list or function but got ${describe(value)}.`, value?.at);
      }
      return { field, operator: operatorToken.text, text: value.text };
    }
    if (operatorToken.kind === 'symbol' && (operatorToken.text === '=' || operatorToken.text === '!=')) {
      if (TEXT_FIELDS.has(field)) throw unsupported(operatorToken.text);
      return { field, operator: operatorToken.text, value: this.value(field) };
    }
    if (isKeyword(operatorToken, 'IN') || (isKeyword(operatorToken, 'NOT') && isKeyword(this.peek(), 'IN'))) {
      const operator = isKeyword(operatorToken, 'NOT') ? 'not in' : 'in';
      if (operator === 'not in') this.position++;
      if (TEXT_FIELDS.has(field)) throw unsupported(operator.toUpperCase());
      return { field, operator, values: this.list(field) };
    }
    if (isKeyword(operatorToken, 'IS')) {
      const negated = isKeyword(this.peek(), 'NOT');
      if (negated) this.position++;
      const operator = negated ? 'is not empty' : 'is empty';
      const value = this.next();
      if (!isKeyword(value, 'EMPTY') && !isKeyword(value, 'NULL')) {
        throw syntaxError(`Expecting 'EMPTY' or 'NULL' but got ${describe(value)}.`, value?.at);
      }
      if (!EMPTYABLE_FIELDS.has(field)) throw unsupported(negated ? 'is not' : 'is');
      return { field, operator };
    }
    throw syntaxError(`Expecting operator but got '${operatorToken.text}'. ${VALID_OPERATORS}`, operatorToken.at);
  }

  private value(field: JqlField): JqlValue {
    const token = this.next();
    if (token === undefined || token.kind === 'symbol') {
      throw syntaxError(`Expecting either a value, list or function but got ${describe(token)}.`, token?.at);
    }
    if (token.kind === 'word' && this.peek()?.text === '(') {
      this.position++;
      const close = this.next();
      if (close?.text !== ')') throw syntaxError(`Expecting ')' but got ${describe(close)}.`, close?.at);
      if (token.text.toLowerCase() === 'currentuser' && USER_FIELDS.has(field)) return { kind: 'currentUser' };
      throw new JqlSyntaxError(`Unable to find JQL function '${token.text}()'.`);
    }
    return { kind: 'literal', text: token.text };
  }

  private list(field: JqlField): JqlValue[] {
    const open = this.next();
    if (open?.text !== '(') throw syntaxError(`Expecting '(' but got ${describe(open)}.`, open?.at);
    const values: JqlValue[] = [this.value(field)];
    for (;;) {
      const token = this.next();
      if (token?.text === ')') return values;
      if (token?.text !== ',') throw syntaxError(`Expecting ',' or ')' but got ${describe(token)}.`, token?.at);
      values.push(this.value(field));
    }
  }

  private orderBy(): JqlQuery['orderBy'] {
    this.position++;
    const by = this.next();
    if (!isKeyword(by, 'BY')) throw syntaxError(`Expecting 'BY' but got ${describe(by)}.`, by?.at);
    const items: { field: JqlOrderField; direction: 'ASC' | 'DESC' }[] = [];
    for (;;) {
      const token = this.next();
      if (token === undefined || token.kind === 'symbol') {
        throw syntaxError(`Expecting a field name but got ${describe(token)}.`, token?.at);
      }
      const field = ORDER_FIELDS[token.text.toLowerCase()];
      if (field === undefined) {
        throw new JqlSyntaxError(`Field '${token.text}' does not exist or you do not have permission to view it.`);
      }
      let direction: 'ASC' | 'DESC' = field === 'key' ? 'ASC' : 'DESC';
      if (isKeyword(this.peek(), 'ASC') || isKeyword(this.peek(), 'DESC')) {
        direction = (this.next() as Token).text.toUpperCase() as 'ASC' | 'DESC';
      }
      items.push({ field, direction });
      const next = this.next();
      if (next === undefined) return items;
      if (next.text !== ',') throw syntaxError(`Expecting ',' but got ${describe(next)}.`, next.at);
    }
  }
}

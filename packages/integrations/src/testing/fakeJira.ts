import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adfToText, isAdfDocument } from './adfDocument.js';
import type { AdfDocument } from './adfDocument.js';
import { FAKE_JIRA_ISSUES, FAKE_JIRA_PROJECTS, FAKE_JIRA_USERS } from './fakeJiraSeed.js';
import { parseJql } from './parseJql.js';
import type { JqlClause, JqlField, JqlQuery, JqlValue } from './parseJql.js';

export interface FakeJiraUser {
  readonly accountId: string;
  readonly emailAddress: string;
  readonly displayName: string;
  /** The API token that, with `emailAddress`, makes up this user's Basic credentials. */
  readonly apiToken: string;
}

export interface FakeJiraProject {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly leadAccountId: string;
}

export interface FakeJiraComment {
  readonly id: string;
  readonly authorAccountId: string;
  body: AdfDocument;
  readonly created: string;
  updated: string;
}

/** One issue as the fake stores it; the REST answers render it in Jira's JSON shape. */
export interface FakeJiraIssue {
  readonly id: string;
  readonly key: string;
  readonly projectKey: string;
  /** `Bug`, `Task`, `Story` or `Epic`. */
  issueType: string;
  summary: string;
  description: AdfDocument | null;
  /** `To Do`, `In Progress` or `Done`. */
  status: string;
  /** `Highest`, `High`, `Medium`, `Low` or `Lowest`. */
  priority: string;
  assigneeAccountId: string | null;
  readonly reporterAccountId: string;
  labels: string[];
  readonly created: string;
  updated: string;
  comments: FakeJiraComment[];
}

export interface FakeJiraRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/rest/api/3/search/jql`. */
  readonly path: string;
  /** Query parameters; a repeated one (`fields=a&fields=b`) is joined with commas, as Jira reads it. */
  readonly query: Readonly<Record<string, string>>;
  /** The user name from a Basic `Authorization` header (whether or not it was accepted), or null without one. */
  readonly user: string | null;
  /** Whether the credentials matched a user (a request that did not was answered 401). */
  readonly authenticated: boolean;
  /** The parsed JSON body, the raw text if it was not JSON, or undefined when empty. */
  readonly body: unknown;
}

export interface FakeJiraOptions {
  /** Default: Ada (`ada@example.com` / `ada-api-token`, see `FAKE_JIRA_USER`) and Grace. */
  readonly users?: readonly FakeJiraUser[];
  /** Default: ENG (Engineering) and OPS (Operations). */
  readonly projects?: readonly FakeJiraProject[];
  /** Default: ENG-1 (a bug with an SSO timeout), ENG-2, ENG-3, OPS-1. Copied, so the seed is never changed. */
  readonly issues?: readonly FakeJiraIssue[];
  /** Default 0 (any free port). */
  readonly port?: number;
}

export interface FakeJira {
  /** `http://127.0.0.1:<port>`: the site's base URL (what `JIRA_URL` holds for a real site). */
  readonly url: string;
  readonly port: number;
  readonly requests: FakeJiraRequest[];
  /** The live store by issue key: issues created through the API appear here. */
  readonly issues: Map<string, FakeJiraIssue>;
  close(): Promise<void>;
}

const ISSUE_TYPES: readonly { id: string; name: string; description: string; hierarchyLevel: number }[] = [
  { id: '10000', name: 'Epic', description: 'A big user story that needs to be broken down.', hierarchyLevel: 1 },
  { id: '10001', name: 'Task', description: 'A small, distinct piece of work.', hierarchyLevel: 0 },
  { id: '10002', name: 'Story', description: "Functionality or a feature expressed as a user goal.", hierarchyLevel: 0 },
  { id: '10004', name: 'Bug', description: 'A problem or error.', hierarchyLevel: 0 },
];

const STATUSES: readonly { id: string; name: string; category: { id: number; key: string; colorName: string; name: string } }[] = [
  { id: '10000', name: 'To Do', category: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' } },
  { id: '3', name: 'In Progress', category: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' } },
  { id: '10001', name: 'Done', category: { id: 3, key: 'done', colorName: 'green', name: 'Done' } },
];

/** Every status can move to every other, as in a team-managed project's default workflow. */
const TRANSITIONS: readonly { id: string; name: string; to: string }[] = [
  { id: '11', name: 'To Do', to: 'To Do' },
  { id: '21', name: 'In Progress', to: 'In Progress' },
  { id: '31', name: 'Done', to: 'Done' },
];

const PRIORITIES: readonly { id: string; name: string }[] = [
  { id: '1', name: 'Highest' },
  { id: '2', name: 'High' },
  { id: '3', name: 'Medium' },
  { id: '4', name: 'Low' },
  { id: '5', name: 'Lowest' },
];

/** The system fields `GET /rest/api/3/field` lists and an issue's `fields` can hold. */
const SYSTEM_FIELDS: readonly { id: string; name: string; type: string; items?: string }[] = [
  { id: 'summary', name: 'Summary', type: 'string' },
  { id: 'description', name: 'Description', type: 'string' },
  { id: 'issuetype', name: 'Issue Type', type: 'issuetype' },
  { id: 'project', name: 'Project', type: 'project' },
  { id: 'status', name: 'Status', type: 'status' },
  { id: 'priority', name: 'Priority', type: 'priority' },
  { id: 'assignee', name: 'Assignee', type: 'user' },
  { id: 'reporter', name: 'Reporter', type: 'user' },
  { id: 'creator', name: 'Creator', type: 'user' },
  { id: 'created', name: 'Created', type: 'datetime' },
  { id: 'updated', name: 'Updated', type: 'datetime' },
  { id: 'labels', name: 'Labels', type: 'array', items: 'string' },
  { id: 'components', name: 'Components', type: 'array', items: 'component' },
  { id: 'duedate', name: 'Due date', type: 'date' },
  { id: 'resolution', name: 'Resolution', type: 'resolution' },
  { id: 'resolutiondate', name: 'Resolved', type: 'datetime' },
  { id: 'comment', name: 'Comment', type: 'comments-page' },
  { id: 'subtasks', name: 'Sub-tasks', type: 'array', items: 'issuelinks' },
  { id: 'issuelinks', name: 'Linked Issues', type: 'array', items: 'issuelinks' },
  { id: 'attachment', name: 'Attachment', type: 'array', items: 'attachment' },
];

/** Jira Cloud caps a page of the enhanced search at 5000 issues when only ids are asked for, 100 otherwise. */
const MAX_RESULTS_IDS_ONLY = 5000;
const MAX_RESULTS_WITH_FIELDS = 100;
const DEFAULT_MAX_RESULTS = 50;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

function jiraError(status: number, errorMessages: readonly string[], errors: Readonly<Record<string, string>> = {}): HttpError {
  return new HttpError(status, { errorMessages, errors });
}

/** Jira's timestamp format: milliseconds and a numeric zone without a colon. */
function jiraTimestamp(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

/**
 * A real HTTP server on 127.0.0.1 that speaks the part of the Jira Cloud
 * platform REST API v3 that Jira MCP servers use: `myself`, `serverInfo`,
 * enhanced JQL search (`search/jql`, GET and POST, `search/approximate-count`;
 * the removed `search` answers 410 as on Cloud), issues (get, create, edit,
 * assign), comments, transitions, projects (`project`, `project/search`,
 * `project/{key}`), `field` and `user/search`. Requests need Basic auth
 * (`email:api-token`), else 401. JQL is a small subset (see `parseJql`);
 * anything outside it is a 400 with Jira's `errorMessages` body. Every request
 * is recorded. No dependencies beyond node built-ins.
 */
export async function startFakeJira(options: FakeJiraOptions = {}): Promise<FakeJira> {
  const users = options.users ?? FAKE_JIRA_USERS;
  const projects = options.projects ?? FAKE_JIRA_PROJECTS;
  const issues = new Map<string, FakeJiraIssue>(structuredClone(options.issues ?? FAKE_JIRA_ISSUES).map((issue) => [issue.key, issue]));
  const requests: FakeJiraRequest[] = [];
  let nextIssueId = Math.max(10000, ...[...issues.values()].map((issue) => Number(issue.id) || 0)) + 1;
  let nextCommentId =
    Math.max(10000, ...[...issues.values()].flatMap((issue) => issue.comments.map((comment) => Number(comment.id) || 0))) + 1;
  let url = '';

  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((raw) => handle(req, res, raw))
      .catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        const body = error instanceof HttpError ? error.body : { errorMessages: [String(error)], errors: {} };
        if (!res.headersSent) send(res, status, body);
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const parsedUrl = new URL(req.url ?? '/', url);
    const method = req.method ?? 'GET';
    const path = parsedUrl.pathname;
    const query: Record<string, string> = {};
    for (const [name, value] of parsedUrl.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
    const body = parseBody(raw);
    const credentials = basicCredentials(req.headers.authorization);
    const user = credentials === null
      ? undefined
      : users.find((u) => u.emailAddress.toLowerCase() === credentials.user.toLowerCase() && u.apiToken === credentials.password);
    requests.push({ method, path, query, user: credentials?.user ?? null, authenticated: user !== undefined, body: body.value });

    if (user === undefined) {
      // Jira Cloud answers bad or missing API-token credentials on REST resources this way.
      res.setHeader('X-Seraph-LoginReason', credentials === null ? 'AUTHENTICATION_DENIED' : 'AUTHENTICATED_FAILED');
      throw jiraError(401, ['Client must be authenticated to access this resource.']);
    }
    if (body.invalid) throw jiraError(400, ['Unexpected character in the request body: it is not valid JSON.']);
    const result = route(method, path, query, body.value, user);
    send(res, result.status, result.body);
  }

  function route(method: string, path: string, query: Readonly<Record<string, string>>, body: unknown, me: FakeJiraUser): { status: number; body?: unknown } {
    const prefix = '/rest/api/3';
    if (!path.startsWith(`${prefix}/`)) throw notFound(method, path);
    const parts = path.slice(prefix.length + 1).split('/').map(decodeURIComponent);
    const [resource, id, sub] = parts;
    const ok = (value: unknown, status = 200): { status: number; body?: unknown } => ({ status, body: value });

    if (method === 'GET' && parts.length === 1 && resource === 'myself') return ok(myself(me));
    if (method === 'GET' && parts.length === 1 && resource === 'serverInfo') return ok(serverInfo());
    if (resource === 'search') {
      if (parts.length === 1) {
        throw jiraError(410, [
          'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046',
        ]);
      }
      if (parts.length === 2 && id === 'jql' && (method === 'GET' || method === 'POST')) {
        return ok(method === 'GET' ? searchFromQuery(query, me) : searchFromBody(body, me));
      }
      if (parts.length === 2 && id === 'approximate-count' && method === 'POST') {
        const jql = typeof (body as { jql?: unknown } | undefined)?.jql === 'string' ? (body as { jql: string }).jql : '';
        return ok({ count: runJql(jql, me, false).length });
      }
    }
    if (resource === 'issue') {
      if (parts.length === 1 && method === 'POST') return ok(createIssue(body, me), 201);
      // Create metadata (`issue/createmeta`) is not faked: say so rather than "issue does not exist".
      if (id === 'createmeta') throw notFound(method, path);
      if (parts.length >= 2 && id !== undefined) {
        const issue = findIssue(id);
        if (parts.length === 2 && method === 'GET') return ok(renderIssue(issue, fieldSelector(splitList(query['fields']), '*all')));
        if (parts.length === 2 && method === 'PUT') {
          editIssue(issue, body);
          return { status: 204 };
        }
        if (parts.length === 3 && sub === 'comment' && method === 'GET') return ok(commentPage(issue));
        if (parts.length === 3 && sub === 'comment' && method === 'POST') return ok(renderComment(issue, addComment(issue, (body as { body?: unknown } | undefined)?.body, me)), 201);
        if (parts.length === 3 && sub === 'transitions' && method === 'GET') return ok({ expand: 'transitions', transitions: TRANSITIONS.map(renderTransition) });
        if (parts.length === 3 && sub === 'transitions' && method === 'POST') {
          transitionIssue(issue, body, me);
          return { status: 204 };
        }
        if (parts.length === 3 && sub === 'assignee' && method === 'PUT') {
          issue.assigneeAccountId = userReference(body, 'assignee');
          issue.updated = jiraTimestamp(new Date());
          return { status: 204 };
        }
      }
    }
    if (resource === 'project' && method === 'GET') {
      const expand = splitList(query['expand']);
      if (parts.length === 1) return ok(projects.map((project) => renderProject(project, expand)));
      if (parts.length === 2 && id === 'search') return ok(projectSearch(query, expand));
      if (parts.length === 2 && id !== undefined) {
        const project = projects.find((p) => p.key.toUpperCase() === id.toUpperCase() || p.id === id);
        if (project === undefined) throw jiraError(404, [`No project could be found with key '${id}'.`]);
        return ok(renderProject(project, ['description', 'lead', 'issueTypes', ...expand]));
      }
    }
    if (method === 'GET' && parts.length === 1 && resource === 'field') return ok(SYSTEM_FIELDS.map(renderField));
    if (method === 'GET' && parts.length === 2 && resource === 'user' && id === 'search') {
      const needle = (query['query'] ?? '').toLowerCase();
      const byId = query['accountId'];
      if (needle === '' && byId === undefined) throw jiraError(400, ["The query parameter 'query' or 'accountId' is required."]);
      return ok(
        users
          .filter((u) => (byId !== undefined ? u.accountId === byId : u.displayName.toLowerCase().includes(needle) || u.emailAddress.toLowerCase().startsWith(needle)))
          .map(renderUser),
      );
    }
    throw notFound(method, path);
  }

  function notFound(method: string, path: string): HttpError {
    return jiraError(404, [`No resource for ${method} ${path} in this fake Jira.`]);
  }

  // ---- search -------------------------------------------------------------

  function searchFromQuery(query: Readonly<Record<string, string>>, me: FakeJiraUser): unknown {
    return search(query['jql'] ?? '', splitList(query['fields']), query['maxResults'], query['nextPageToken'], me);
  }

  function searchFromBody(body: unknown, me: FakeJiraUser): unknown {
    const request = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const fields = Array.isArray(request['fields']) ? request['fields'].filter((f): f is string => typeof f === 'string') : [];
    const jql = typeof request['jql'] === 'string' ? request['jql'] : '';
    const token = typeof request['nextPageToken'] === 'string' ? request['nextPageToken'] : undefined;
    return search(jql, fields, request['maxResults'], token, me);
  }

  function search(jql: string, fields: readonly string[], maxResultsInput: unknown, pageToken: string | undefined, me: FakeJiraUser): unknown {
    const matched = runJql(jql, me, true);
    const select = fieldSelector(fields, 'id');
    const idsOnly = fields.length === 0 || fields.every((f) => f === 'id' || f === 'key');
    const cap = idsOnly ? MAX_RESULTS_IDS_ONLY : MAX_RESULTS_WITH_FIELDS;
    const requested = maxResultsInput === undefined ? DEFAULT_MAX_RESULTS : Number(maxResultsInput);
    if (!Number.isInteger(requested) || requested < 0) throw jiraError(400, [`The value '${String(maxResultsInput)}' is not valid for maxResults.`]);
    const maxResults = Math.min(requested, cap);
    const start = pageToken === undefined ? 0 : decodePageToken(pageToken);
    const page = matched.slice(start, start + maxResults);
    const isLast = start + page.length >= matched.length;
    return {
      issues: page.map((issue) => (fields.length === 0 ? { id: issue.id } : renderIssue(issue, select))),
      ...(isLast ? {} : { nextPageToken: Buffer.from(`offset:${start + page.length}`).toString('base64url') }),
      isLast,
    };
  }

  function decodePageToken(token: string): number {
    const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (match === null) throw jiraError(400, ['The provided next page token is invalid or expired.']);
    return Number(match[1]);
  }

  /** The issues `jql` selects, in its ORDER BY (default: newest first). */
  function runJql(jql: string, me: FakeJiraUser, requireBound: boolean): FakeJiraIssue[] {
    const parsed = parseJql(jql);
    if (!parsed.ok) throw jiraError(400, [parsed.message]);
    if (requireBound && parsed.query.clauses.length === 0) {
      throw jiraError(400, ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.']);
    }
    for (const clause of parsed.query.clauses) checkValues(clause);
    const matched = [...issues.values()].filter((issue) => parsed.query.clauses.every((clause) => matches(issue, clause, me)));
    return sortIssues(matched, parsed.query.orderBy);
  }

  function sortIssues(list: FakeJiraIssue[], orderBy: JqlQuery['orderBy']): FakeJiraIssue[] {
    const order = orderBy.length > 0 ? orderBy : [{ field: 'created', direction: 'DESC' } as const];
    const priorityRank = (name: string): number => PRIORITIES.findIndex((p) => p.name === name);
    return list.sort((a, b) => {
      for (const { field, direction } of order) {
        const cmp =
          field === 'key'
            ? a.projectKey.localeCompare(b.projectKey) || issueNumber(a.key) - issueNumber(b.key)
            : field === 'created'
              ? a.created.localeCompare(b.created)
              : field === 'updated'
                ? a.updated.localeCompare(b.updated)
                : field === 'priority'
                  ? // Jira sorts priority ascending from the least to the most important.
                    priorityRank(b.priority) - priorityRank(a.priority)
                  : a.summary.localeCompare(b.summary);
        if (cmp !== 0) return direction === 'ASC' ? cmp : -cmp;
      }
      return 0;
    });
  }

  /** Jira rejects a query that names a project, status, type, priority or issue key that does not exist. */
  function checkValues(clause: JqlClause): void {
    const values = 'value' in clause ? [clause.value] : 'values' in clause ? clause.values : [];
    for (const value of values) {
      if (value.kind !== 'literal') continue;
      const text = value.text;
      const known = (() => {
        switch (clause.field) {
          case 'project':
            return projects.some((p) => sameText(p.key, text) || sameText(p.name, text) || p.id === text);
          case 'key':
            return findIssueOrUndefined(text) !== undefined;
          case 'status':
            return STATUSES.some((s) => sameText(s.name, text) || s.id === text);
          case 'issuetype':
            return ISSUE_TYPES.some((t) => sameText(t.name, text) || t.id === text);
          case 'priority':
            return PRIORITIES.some((p) => sameText(p.name, text) || p.id === text);
          default:
            return true;
        }
      })();
      if (known) continue;
      if (clause.field === 'key') throw jiraError(400, [`An issue with key '${text}' does not exist for field 'key'.`]);
      throw jiraError(400, [`The value '${text}' does not exist for the field '${clause.field}'.`]);
    }
  }

  function matches(issue: FakeJiraIssue, clause: JqlClause, me: FakeJiraUser): boolean {
    switch (clause.operator) {
      case '~':
      case '!~': {
        const haystack = textOf(issue, clause.field);
        const words = clause.text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
        const found = words.length > 0 && words.every((word) => haystack.includes(word));
        return clause.operator === '~' ? found : !found;
      }
      case 'is empty':
      case 'is not empty': {
        const values = valuesOf(issue, clause.field);
        return clause.operator === 'is empty' ? values.length === 0 : values.length > 0;
      }
      case '=':
        return valueMatches(issue, clause.field, clause.value, me);
      case '!=':
        // As in Jira, an empty field matches neither `=` nor `!=`.
        return valuesOf(issue, clause.field).length > 0 && !valueMatches(issue, clause.field, clause.value, me);
      case 'in':
        return clause.values.some((value) => valueMatches(issue, clause.field, value, me));
      case 'not in':
        return valuesOf(issue, clause.field).length > 0 && !clause.values.some((value) => valueMatches(issue, clause.field, value, me));
    }
  }

  function valueMatches(issue: FakeJiraIssue, field: JqlField, value: JqlValue, me: FakeJiraUser): boolean {
    const wanted = value.kind === 'currentUser' ? me.accountId : value.text;
    return valuesOf(issue, field).some((candidate) => sameText(candidate, wanted));
  }

  /** Every spelling JQL may use for the issue's value of `field` (key, name or id). */
  function valuesOf(issue: FakeJiraIssue, field: JqlField): string[] {
    const userSpellings = (accountId: string | null): string[] => {
      if (accountId === null) return [];
      const u = users.find((candidate) => candidate.accountId === accountId);
      return u === undefined ? [accountId] : [u.accountId, u.emailAddress, u.displayName];
    };
    switch (field) {
      case 'project': {
        const project = projects.find((p) => p.key === issue.projectKey);
        return project === undefined ? [issue.projectKey] : [project.key, project.name, project.id];
      }
      case 'key':
        return [issue.key, issue.id];
      case 'status':
        return [issue.status, STATUSES.find((s) => s.name === issue.status)?.id ?? ''];
      case 'issuetype':
        return [issue.issueType, ISSUE_TYPES.find((t) => t.name === issue.issueType)?.id ?? ''];
      case 'priority':
        return [issue.priority, PRIORITIES.find((p) => p.name === issue.priority)?.id ?? ''];
      case 'assignee':
        return userSpellings(issue.assigneeAccountId);
      case 'reporter':
        return userSpellings(issue.reporterAccountId);
      case 'labels':
        return issue.labels;
      case 'description':
        return issue.description === null ? [] : [adfToText(issue.description)];
      case 'summary':
      case 'text':
        return [issue.summary];
    }
  }

  function textOf(issue: FakeJiraIssue, field: JqlField): string {
    const parts =
      field === 'summary'
        ? [issue.summary]
        : field === 'description'
          ? [adfToText(issue.description)]
          : [issue.summary, adfToText(issue.description), ...issue.comments.map((comment) => adfToText(comment.body))];
    return parts.join('\n').toLowerCase();
  }

  // ---- issues -------------------------------------------------------------

  function findIssueOrUndefined(keyOrId: string): FakeJiraIssue | undefined {
    const upper = keyOrId.toUpperCase();
    return issues.get(upper) ?? [...issues.values()].find((issue) => issue.id === keyOrId);
  }

  function findIssue(keyOrId: string): FakeJiraIssue {
    const issue = findIssueOrUndefined(keyOrId);
    if (issue === undefined) throw jiraError(404, ['Issue does not exist or you do not have permission to see it.']);
    return issue;
  }

  function createIssue(body: unknown, me: FakeJiraUser): unknown {
    const fields = ((body as { fields?: unknown } | undefined)?.fields ?? {}) as Record<string, unknown>;
    const errors: Record<string, string> = {};
    const projectRef = (fields['project'] ?? {}) as { key?: unknown; id?: unknown };
    const project = projects.find((p) => (typeof projectRef.key === 'string' && sameText(p.key, projectRef.key)) || p.id === projectRef.id);
    if (project === undefined) errors['project'] = 'valid project is required';
    const typeRef = (fields['issuetype'] ?? {}) as { name?: unknown; id?: unknown };
    const issueType = ISSUE_TYPES.find((t) => (typeof typeRef.name === 'string' && sameText(t.name, typeRef.name)) || t.id === typeRef.id);
    if (issueType === undefined) errors['issuetype'] = 'Specify a valid issue type';
    const summary = fields['summary'];
    if (typeof summary !== 'string' || summary.trim() === '') errors['summary'] = 'You must specify a summary of the issue.';
    const supported = new Set(['project', 'issuetype', 'summary', 'description', 'priority', 'labels', 'assignee']);
    for (const name of Object.keys(fields)) {
      if (!supported.has(name)) errors[name] = `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`;
    }
    const patch = editableFields(fields, errors);
    if (Object.keys(errors).length > 0 || project === undefined || issueType === undefined || typeof summary !== 'string') {
      throw jiraError(400, [], errors);
    }
    const now = jiraTimestamp(new Date());
    const number = Math.max(0, ...[...issues.values()].filter((i) => i.projectKey === project.key).map((i) => issueNumber(i.key))) + 1;
    const issue: FakeJiraIssue = {
      id: String(nextIssueId++),
      key: `${project.key}-${number}`,
      projectKey: project.key,
      issueType: issueType.name,
      summary: summary.trim(),
      description: patch.description ?? null,
      status: 'To Do',
      priority: patch.priority ?? 'Medium',
      assigneeAccountId: patch.assigneeAccountId ?? null,
      reporterAccountId: me.accountId,
      labels: patch.labels ?? [],
      created: now,
      updated: now,
      comments: [],
    };
    issues.set(issue.key, issue);
    return { id: issue.id, key: issue.key, self: `${url}/rest/api/3/issue/${issue.id}` };
  }

  function editIssue(issue: FakeJiraIssue, body: unknown): void {
    const fields = ((body as { fields?: unknown } | undefined)?.fields ?? {}) as Record<string, unknown>;
    const errors: Record<string, string> = {};
    const supported = new Set(['summary', 'description', 'priority', 'labels', 'assignee']);
    for (const name of Object.keys(fields)) {
      if (!supported.has(name)) errors[name] = `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`;
    }
    if ('summary' in fields && (typeof fields['summary'] !== 'string' || fields['summary'].trim() === '')) {
      errors['summary'] = 'You must specify a summary of the issue.';
    }
    const patch = editableFields(fields, errors);
    if (Object.keys(errors).length > 0) throw jiraError(400, [], errors);
    if (typeof fields['summary'] === 'string') issue.summary = fields['summary'].trim();
    if ('description' in fields) issue.description = patch.description ?? null;
    if (patch.priority !== undefined) issue.priority = patch.priority;
    if (patch.labels !== undefined) issue.labels = patch.labels;
    if ('assignee' in fields) issue.assigneeAccountId = patch.assigneeAccountId ?? null;
    issue.updated = jiraTimestamp(new Date());
  }

  /** Validates the optional fields create and edit share; problems go into `errors` under the field's id. */
  function editableFields(
    fields: Readonly<Record<string, unknown>>,
    errors: Record<string, string>,
  ): { description?: AdfDocument | null; priority?: string; labels?: string[]; assigneeAccountId?: string | null } {
    const patch: { description?: AdfDocument | null; priority?: string; labels?: string[]; assigneeAccountId?: string | null } = {};
    if ('description' in fields) {
      const description = fields['description'];
      if (description === null) patch.description = null;
      else if (isAdfDocument(description)) patch.description = description;
      else errors['description'] = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
    }
    if ('priority' in fields) {
      const ref = (fields['priority'] ?? {}) as { name?: unknown; id?: unknown };
      const priority = PRIORITIES.find((p) => (typeof ref.name === 'string' && sameText(p.name, ref.name)) || p.id === ref.id);
      if (priority === undefined) errors['priority'] = 'Specify the Priority (id or name) in the string format';
      else patch.priority = priority.name;
    }
    if ('labels' in fields) {
      const labels = fields['labels'];
      if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string' && label !== '' && !/\s/.test(label))) {
        errors['labels'] = 'The label must not contain spaces.';
      } else {
        patch.labels = labels as string[];
      }
    }
    if ('assignee' in fields) {
      try {
        patch.assigneeAccountId = userReference(fields['assignee'], 'assignee');
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        errors['assignee'] = `User '${JSON.stringify(fields['assignee'])}' does not exist.`;
      }
    }
    return patch;
  }

  /** `{accountId}` (or `{id}`) to an account id; `null` or `{accountId: null}` unassigns. */
  function userReference(value: unknown, field: string): string | null {
    if (value === null) return null;
    const ref = (value ?? {}) as { accountId?: unknown; id?: unknown };
    const accountId = ref.accountId !== undefined ? ref.accountId : ref.id;
    if (accountId === null) return null;
    const u = users.find((candidate) => candidate.accountId === accountId);
    if (u === undefined) throw jiraError(400, [], { [field]: `User '${String(accountId)}' does not exist.` });
    return u.accountId;
  }

  function addComment(issue: FakeJiraIssue, body: unknown, me: FakeJiraUser): FakeJiraComment {
    if (!isAdfDocument(body)) {
      throw jiraError(400, [], { comment: 'Comment body is not valid! Operation value must be an Atlassian Document (see the Atlassian Document Format)' });
    }
    if (adfToText(body).trim() === '') throw jiraError(400, [], { comment: 'Comment body can not be empty!' });
    const now = jiraTimestamp(new Date());
    const comment: FakeJiraComment = { id: String(nextCommentId++), authorAccountId: me.accountId, body, created: now, updated: now };
    issue.comments.push(comment);
    issue.updated = now;
    return comment;
  }

  function transitionIssue(issue: FakeJiraIssue, body: unknown, me: FakeJiraUser): void {
    const request = (body ?? {}) as { transition?: { id?: unknown }; update?: { comment?: unknown } };
    const id = request.transition?.id;
    const transition = TRANSITIONS.find((t) => t.id === String(id));
    if (transition === undefined) throw jiraError(400, [`Transition id '${String(id)}' is not valid for this issue.`]);
    const commentOps = Array.isArray(request.update?.comment) ? (request.update.comment as { add?: { body?: unknown } }[]) : [];
    for (const op of commentOps) {
      if (op.add !== undefined) addComment(issue, op.add.body, me);
    }
    issue.status = transition.to;
    issue.updated = jiraTimestamp(new Date());
  }

  // ---- rendering (the JSON shapes of Jira Cloud's REST API v3) ---------------

  function avatarUrls(kind: 'user' | 'project', id: string): Record<string, string> {
    const base = `${url}/secure/${kind === 'user' ? 'useravatar' : 'projectavatar'}?avatarId=${id}`;
    return { '48x48': base, '24x24': `${base}&size=small`, '16x16': `${base}&size=xsmall`, '32x32': `${base}&size=medium` };
  }

  function renderUser(u: FakeJiraUser): unknown {
    return {
      self: `${url}/rest/api/3/user?accountId=${encodeURIComponent(u.accountId)}`,
      accountId: u.accountId,
      accountType: 'atlassian',
      emailAddress: u.emailAddress,
      avatarUrls: avatarUrls('user', u.accountId),
      displayName: u.displayName,
      active: true,
      timeZone: 'Etc/UTC',
      locale: 'en_US',
    };
  }

  function renderUserById(accountId: string | null): unknown {
    if (accountId === null) return null;
    const u = users.find((candidate) => candidate.accountId === accountId);
    return u === undefined ? { accountId, displayName: 'Former user', active: false } : renderUser(u);
  }

  function myself(u: FakeJiraUser): unknown {
    return {
      ...(renderUser(u) as Record<string, unknown>),
      groups: { size: 1, items: [] },
      applicationRoles: { size: 1, items: [] },
      expand: 'groups,applicationRoles',
    };
  }

  function serverInfo(): unknown {
    return {
      baseUrl: url,
      displayUrl: url,
      version: '1001.0.0-SNAPSHOT',
      versionNumbers: [1001, 0, 0],
      deploymentType: 'Cloud',
      buildNumber: 100294,
      buildDate: '2026-10-01T00:00:00.000+0000',
      serverTime: jiraTimestamp(new Date()),
      scmInfo: 'fake',
      serverTitle: 'Jira',
      defaultLocale: { locale: 'en_US' },
      serverTimeZone: 'Etc/UTC',
    };
  }

  function renderProject(project: FakeJiraProject, expand: readonly string[]): unknown {
    return {
      expand: 'description,lead,issueTypes,url,projectKeys,permissions,insight',
      self: `${url}/rest/api/3/project/${project.id}`,
      id: project.id,
      key: project.key,
      name: project.name,
      avatarUrls: avatarUrls('project', project.id),
      projectTypeKey: 'software',
      simplified: false,
      style: 'classic',
      isPrivate: false,
      properties: {},
      ...(expand.includes('description') ? { description: project.description } : {}),
      ...(expand.includes('lead') ? { lead: renderUserById(project.leadAccountId) } : {}),
      ...(expand.includes('issueTypes') ? { issueTypes: ISSUE_TYPES.map(renderIssueType) } : {}),
    };
  }

  function projectSearch(query: Readonly<Record<string, string>>, expand: readonly string[]): unknown {
    const needle = (query['query'] ?? '').toLowerCase();
    const matched = projects.filter((p) => p.key.toLowerCase().includes(needle) || p.name.toLowerCase().includes(needle));
    const startAt = Math.max(0, Number(query['startAt'] ?? 0) || 0);
    const maxResults = Math.min(100, Math.max(0, Number(query['maxResults'] ?? DEFAULT_MAX_RESULTS) || 0));
    const values = matched.slice(startAt, startAt + maxResults);
    const isLast = startAt + values.length >= matched.length;
    return {
      self: `${url}/rest/api/3/project/search?startAt=${startAt}&maxResults=${maxResults}`,
      ...(isLast ? {} : { nextPage: `${url}/rest/api/3/project/search?startAt=${startAt + values.length}&maxResults=${maxResults}` }),
      maxResults,
      startAt,
      total: matched.length,
      isLast,
      values: values.map((p) => renderProject(p, expand)),
    };
  }

  function renderIssueType(type: (typeof ISSUE_TYPES)[number]): unknown {
    return {
      self: `${url}/rest/api/3/issuetype/${type.id}`,
      id: type.id,
      description: type.description,
      iconUrl: `${url}/rest/api/2/universal_avatar/view/type/issuetype/avatar/${type.id}?size=medium`,
      name: type.name,
      subtask: false,
      hierarchyLevel: type.hierarchyLevel,
    };
  }

  function renderStatus(name: string): unknown {
    const status = STATUSES.find((s) => s.name === name) ?? (STATUSES[0] as (typeof STATUSES)[number]);
    return {
      self: `${url}/rest/api/3/status/${status.id}`,
      description: '',
      iconUrl: `${url}/`,
      name: status.name,
      id: status.id,
      statusCategory: { self: `${url}/rest/api/3/statuscategory/${status.category.id}`, ...status.category },
    };
  }

  function renderTransition(transition: (typeof TRANSITIONS)[number]): unknown {
    return {
      id: transition.id,
      name: transition.name,
      to: renderStatus(transition.to),
      hasScreen: false,
      isGlobal: true,
      isInitial: false,
      isAvailable: true,
      isConditional: false,
      isLooped: false,
    };
  }

  function renderPriority(name: string): unknown {
    const priority = PRIORITIES.find((p) => p.name === name) ?? (PRIORITIES[2] as (typeof PRIORITIES)[number]);
    return {
      self: `${url}/rest/api/3/priority/${priority.id}`,
      iconUrl: `${url}/images/icons/priorities/${priority.name.toLowerCase()}.svg`,
      name: priority.name,
      id: priority.id,
    };
  }

  function renderComment(issue: FakeJiraIssue, comment: FakeJiraComment): unknown {
    const author = renderUserById(comment.authorAccountId);
    return {
      self: `${url}/rest/api/3/issue/${issue.id}/comment/${comment.id}`,
      id: comment.id,
      author,
      body: comment.body,
      updateAuthor: author,
      created: comment.created,
      updated: comment.updated,
      jsdPublic: true,
    };
  }

  function commentPage(issue: FakeJiraIssue): unknown {
    return {
      startAt: 0,
      maxResults: issue.comments.length,
      total: issue.comments.length,
      comments: issue.comments.map((comment) => renderComment(issue, comment)),
    };
  }

  function renderIssue(issue: FakeJiraIssue, include: (field: string) => boolean): unknown {
    const project = projects.find((p) => p.key === issue.projectKey);
    const type = ISSUE_TYPES.find((t) => t.name === issue.issueType) ?? (ISSUE_TYPES[1] as (typeof ISSUE_TYPES)[number]);
    const done = issue.status === 'Done';
    const all: Record<string, () => unknown> = {
      summary: () => issue.summary,
      description: () => issue.description,
      issuetype: () => renderIssueType(type),
      project: () => (project === undefined ? null : renderProject(project, [])),
      status: () => renderStatus(issue.status),
      priority: () => renderPriority(issue.priority),
      assignee: () => renderUserById(issue.assigneeAccountId),
      reporter: () => renderUserById(issue.reporterAccountId),
      creator: () => renderUserById(issue.reporterAccountId),
      created: () => issue.created,
      updated: () => issue.updated,
      labels: () => issue.labels,
      components: () => [],
      duedate: () => null,
      resolution: () => (done ? { self: `${url}/rest/api/3/resolution/10000`, id: '10000', description: 'Work has been completed on this issue.', name: 'Done' } : null),
      resolutiondate: () => (done ? issue.updated : null),
      comment: () => ({ ...(commentPage(issue) as Record<string, unknown>), self: `${url}/rest/api/3/issue/${issue.id}/comment` }),
      subtasks: () => [],
      issuelinks: () => [],
      attachment: () => [],
    };
    const fields: Record<string, unknown> = {};
    for (const [name, render] of Object.entries(all)) if (include(name)) fields[name] = render();
    return {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: issue.id,
      self: `${url}/rest/api/3/issue/${issue.id}`,
      key: issue.key,
      fields,
    };
  }

  function renderField(field: (typeof SYSTEM_FIELDS)[number]): unknown {
    return {
      id: field.id,
      key: field.id,
      name: field.name,
      custom: false,
      orderable: !['status', 'created', 'updated', 'creator', 'resolutiondate', 'subtasks'].includes(field.id),
      navigable: field.id !== 'comment',
      searchable: true,
      clauseNames: [field.id],
      schema: { type: field.type, ...(field.items === undefined ? {} : { items: field.items }), system: field.id },
    };
  }

  return {
    url,
    port,
    requests,
    issues,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * Jira's `fields` list: names, `*all`, `*navigable` (all but comments), `id`
 * (none), and `-name` to leave one out.
 */
function fieldSelector(requested: readonly string[], fallback: '*all' | 'id'): (field: string) => boolean {
  const list = requested.length > 0 ? requested : [fallback];
  const included = new Set<string>();
  const excluded = new Set<string>();
  let all = false;
  let navigable = false;
  for (const entry of list) {
    if (entry === '*all') all = true;
    else if (entry === '*navigable') navigable = true;
    else if (entry.startsWith('-')) excluded.add(entry.slice(1));
    else included.add(entry);
  }
  return (field) => !excluded.has(field) && (all || (navigable && field !== 'comment') || included.has(field));
}

function splitList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((part) => part.trim()).filter((part) => part !== '');
}

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function issueNumber(key: string): number {
  return Number(key.slice(key.lastIndexOf('-') + 1));
}

function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match === null) return null;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function parseBody(raw: string): { value: unknown; invalid: boolean } {
  if (raw === '') return { value: undefined, invalid: false };
  try {
    return { value: JSON.parse(raw) as unknown, invalid: false };
  } catch {
    return { value: raw, invalid: true };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

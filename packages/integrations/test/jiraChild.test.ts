import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_JIRA_USER, startFakeJira } from '../src/testing/index.ts';
import type { FakeJira } from '../src/testing/index.ts';

/** The Jira server the "jira" preset starts, pinned in package.json. */
const JIRA_PACKAGE = '@nexus2520/jira-mcp-server';
const JIRA_BIN = 'jira-mcp-server';

/** The seed's variables, renamed to the ones @nexus2520/jira-mcp-server reads. */
function jiraServerEnv(seed: { JIRA_URL: string; JIRA_USERNAME: string; JIRA_API_TOKEN: string }): Record<string, string> {
  return { JIRA_BASE_URL: seed.JIRA_URL, JIRA_EMAIL: seed.JIRA_USERNAME, JIRA_API_TOKEN: seed.JIRA_API_TOKEN };
}

function jiraBinPath(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve(`${JIRA_PACKAGE}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: Record<string, string> };
  return join(dirname(manifestPath), manifest.bin[JIRA_BIN] as string);
}

interface JiraChild {
  readonly client: Client;
  /** What the child wrote to stderr, for failure messages. */
  readonly stderr: () => string;
}

async function startJiraChild(seedEnv: { JIRA_URL: string; JIRA_USERNAME: string; JIRA_API_TOKEN: string }): Promise<JiraChild> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [jiraBinPath()],
    env: jiraServerEnv(seedEnv),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'jira-child-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

interface ToolResult {
  readonly text: string;
  readonly isError: boolean;
}

async function callTool(child: JiraChild, name: string, args: Record<string, unknown>): Promise<ToolResult> {
  const result = await child.client.callTool({ name, arguments: args }, undefined, { timeout: 10_000 });
  const content = (result.content ?? []) as { type: string; text?: string }[];
  return { text: content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('\n'), isError: result.isError === true };
}

const CHILD_START_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 15_000;

describe('the jira preset child (@nexus2520/jira-mcp-server) against a fake Jira Cloud', () => {
  let jira: FakeJira;
  let child: JiraChild;

  beforeAll(async () => {
    jira = await startFakeJira();
    child = await startJiraChild({ JIRA_URL: jira.url, JIRA_USERNAME: FAKE_JIRA_USER.emailAddress, JIRA_API_TOKEN: FAKE_JIRA_USER.apiToken });
  }, CHILD_START_TIMEOUT_MS);

  afterAll(async () => {
    await child?.client.close();
    await jira?.close();
  });

  it('starts without calling Jira and lists its six tools', async () => {
    expect(jira.requests).toEqual([]);
    const { tools } = await child.client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'jira_attachments',
      'jira_comments',
      'jira_issues',
      'jira_links',
      'jira_search',
      'jira_workflow',
    ]);
  }, CALL_TIMEOUT_MS);

  it('searches by JQL through POST /rest/api/3/search/jql as the configured user', async () => {
    const before = jira.requests.length;
    const result = await callTool(child, 'jira_search', { action: 'issues', jql: 'project = ENG ORDER BY key ASC' });
    expect(result.isError, result.text).toBe(false);
    expect(result.text).toContain('Found 3 issue(s)');
    expect(result.text).toContain('**ENG-1**: Login page times out after 30 seconds');
    expect(result.text).toContain('**ENG-2**: Add a dark mode toggle to the settings page');
    expect(result.text).not.toContain('OPS-1');

    const sent = jira.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      method: 'POST',
      path: '/rest/api/3/search/jql',
      user: FAKE_JIRA_USER.emailAddress,
      authenticated: true,
      body: { jql: 'project = ENG ORDER BY key ASC', fields: ['summary'] },
    });
  }, CALL_TIMEOUT_MS);

  it('finds issues by text in their ADF description', async () => {
    const result = await callTool(child, 'jira_search', { action: 'issues', jql: 'text ~ "dark theme"' });
    expect(result.isError, result.text).toBe(false);
    expect(result.text).toContain('Found 1 issue(s)');
    expect(result.text).toContain('ENG-2');
  }, CALL_TIMEOUT_MS);

  it('gets an issue with its description rendered from ADF', async () => {
    const result = await callTool(child, 'jira_issues', { action: 'get', issueKey: 'ENG-1' });
    expect(result.isError, result.text).toBe(false);
    expect(result.text).toContain('# ENG-1: Login page times out after 30 seconds');
    expect(result.text).toContain('**Type**: Bug | **Status**: In Progress | **Priority**: High');
    expect(result.text).toContain('**Assignee**: Grace Hopper | **Reporter**: Ada Lovelace');
    expect(result.text).toContain('signing in with SSO hangs');
    expect(result.text).toContain('504 Gateway Timeout');
    expect(result.text).toContain('**Labels**: login, sso');
    expect(jira.requests.at(-2)).toMatchObject({ method: 'GET', path: '/rest/api/3/issue/ENG-1', authenticated: true });
    expect(jira.requests.at(-1)).toMatchObject({ method: 'GET', path: '/rest/api/3/field' });
  }, CALL_TIMEOUT_MS);

  it('lists the projects', async () => {
    const result = await callTool(child, 'jira_search', { action: 'projects' });
    expect(result.isError, result.text).toBe(false);
    expect(result.text).toContain('Found 2 project(s)');
    expect(result.text).toContain('## ENG: Engineering');
    expect(result.text).toContain('## OPS: Operations');
    expect(jira.requests.at(-1)).toMatchObject({ method: 'GET', path: '/rest/api/3/project', query: { maxResults: '50' } });
  }, CALL_TIMEOUT_MS);

  it('creates an issue and comments on it, sending ADF bodies', async () => {
    const created = await callTool(child, 'jira_issues', {
      action: 'create',
      projectKey: 'OPS',
      issueType: 'Task',
      summary: 'Renew the TLS certificate for the status page',
      description: 'It expires on the 30th.',
      labels: ['tls'],
    });
    expect(created.isError, created.text).toBe(false);
    expect(created.text).toContain('**Key**: OPS-2');
    expect(created.text).toContain(`**URL**: ${jira.url}/browse/OPS-2`);
    const issue = jira.issues.get('OPS-2');
    expect(issue).toMatchObject({ summary: 'Renew the TLS certificate for the status page', issueType: 'Task', status: 'To Do', labels: ['tls'] });
    expect(issue?.reporterAccountId).toBe(FAKE_JIRA_USER.accountId);
    expect(issue?.description).toEqual({
      type: 'doc',
      version: 1,
      content: [{ type: 'paragraph', content: [{ type: 'text', text: 'It expires on the 30th.' }] }],
    });

    const commented = await callTool(child, 'jira_comments', { action: 'add', issueKey: 'OPS-2', comment: 'Ordered from the CA.' });
    expect(commented.isError, commented.text).toBe(false);
    expect(commented.text).toContain('Comment added to OPS-2');
    expect(jira.requests.at(-1)).toMatchObject({ method: 'POST', path: '/rest/api/3/issue/OPS-2/comment' });
    expect(jira.issues.get('OPS-2')?.comments.map((comment) => comment.body.content)).toEqual([
      [{ type: 'paragraph', content: [{ type: 'text', text: 'Ordered from the CA.' }] }],
    ]);

    const found = await callTool(child, 'jira_search', { action: 'issues', jql: 'project = OPS AND text ~ "status page"' });
    expect(found.text).toContain('**OPS-2**: Renew the TLS certificate for the status page');
  }, CALL_TIMEOUT_MS);

  it("passes Jira's JQL error back as an error result", async () => {
    const result = await callTool(child, 'jira_search', { action: 'issues', jql: 'project = NOPE' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe("Error: The value 'NOPE' does not exist for the field 'project'.");

    const unsupported = await callTool(child, 'jira_search', { action: 'issues', jql: 'sprint in openSprints()' });
    expect(unsupported.isError).toBe(true);
    expect(unsupported.text).toBe("Error: Field 'sprint' does not exist or you do not have permission to view it.");
  }, CALL_TIMEOUT_MS);

  it('reports an issue that does not exist as an error result', async () => {
    const result = await callTool(child, 'jira_issues', { action: 'get', issueKey: 'ENG-404' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe('Error: Issue does not exist or you do not have permission to see it.');
  }, CALL_TIMEOUT_MS);

  it('exits at once, saying why, when the token is missing', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [jiraBinPath()],
      env: { JIRA_BASE_URL: jira.url, JIRA_EMAIL: FAKE_JIRA_USER.emailAddress },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const client = new Client({ name: 'jira-child-test', version: '0.0.0' });
    const started = Date.now();
    await expect(client.connect(transport)).rejects.toThrow(/closed/i);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stderr).toContain('JIRA_EMAIL and JIRA_API_TOKEN are required');
    await client.close();
  }, CALL_TIMEOUT_MS);

  describe('with a wrong API token', () => {
    let rejected: JiraChild;

    beforeAll(async () => {
      rejected = await startJiraChild({ JIRA_URL: jira.url, JIRA_USERNAME: FAKE_JIRA_USER.emailAddress, JIRA_API_TOKEN: 'revoked-token' });
    }, CHILD_START_TIMEOUT_MS);

    afterAll(async () => {
      await rejected?.client.close();
    });

    it('still starts (it does not check credentials at boot) but every call is a clear 401 error result', async () => {
      const started = Date.now();
      const result = await callTool(rejected, 'jira_search', { action: 'issues', jql: 'project = ENG' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.isError).toBe(true);
      expect(result.text).toBe('Error: Client must be authenticated to access this resource.');
      expect(jira.requests.at(-1)).toMatchObject({
        method: 'POST',
        path: '/rest/api/3/search/jql',
        user: FAKE_JIRA_USER.emailAddress,
        authenticated: false,
      });

      const get = await callTool(rejected, 'jira_issues', { action: 'get', issueKey: 'ENG-1' });
      expect(get.isError).toBe(true);
      expect(get.text).toContain('Client must be authenticated');
      expect(get.text).not.toContain('Login page');
    }, CALL_TIMEOUT_MS);
  });
});

describe('the fake Jira Cloud REST API', () => {
  let jira: FakeJira;
  const basic = (user: string, token: string): string => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
  const ADA = basic(FAKE_JIRA_USER.emailAddress, FAKE_JIRA_USER.apiToken);

  async function api(method: string, path: string, body?: unknown, authorization: string | null = ADA): Promise<{ status: number; body: unknown; headers: Headers }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (authorization !== null) headers['Authorization'] = authorization;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${jira.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown), headers: response.headers };
  }

  const keysOf = (body: unknown): string[] => (body as { issues: { key: string }[] }).issues.map((issue) => issue.key);
  const search = (jql: string): Promise<{ status: number; body: unknown }> => api('POST', '/rest/api/3/search/jql', { jql, fields: ['summary'] });

  beforeAll(async () => {
    jira = await startFakeJira();
  });

  afterAll(async () => {
    await jira?.close();
  });

  it('listens on 127.0.0.1 only', () => {
    expect(jira.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("answers a wrong token or no credentials with 401 and Jira's error body, and records who tried", async () => {
    const wrong = await api('GET', '/rest/api/3/myself', undefined, basic(FAKE_JIRA_USER.emailAddress, 'nope'));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ errorMessages: ['Client must be authenticated to access this resource.'], errors: {} });
    expect(wrong.headers.get('x-seraph-loginreason')).toBe('AUTHENTICATED_FAILED');
    expect(jira.requests.at(-1)).toMatchObject({ user: FAKE_JIRA_USER.emailAddress, authenticated: false });

    const anonymous = await api('GET', '/rest/api/3/myself', undefined, null);
    expect(anonymous.status).toBe(401);
    expect(jira.requests.at(-1)).toMatchObject({ user: null, authenticated: false });

    const me = await api('GET', '/rest/api/3/myself');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ accountId: FAKE_JIRA_USER.accountId, emailAddress: 'ada@example.com', displayName: 'Ada Lovelace', active: true });
  });

  it('returns only issue ids from the enhanced search unless fields are asked for, and pages with nextPageToken', async () => {
    const idsOnly = await api('GET', '/rest/api/3/search/jql?jql=project%20%3D%20ENG%20ORDER%20BY%20key&maxResults=2');
    expect(idsOnly.body).toMatchObject({ issues: [{ id: '10001' }, { id: '10002' }], isLast: false });
    const token = (idsOnly.body as { nextPageToken: string }).nextPageToken;
    expect(jira.requests.at(-1)?.query).toEqual({ jql: 'project = ENG ORDER BY key', maxResults: '2' });

    const rest = await api('POST', '/rest/api/3/search/jql', { jql: 'project = ENG ORDER BY key', maxResults: 2, nextPageToken: token, fields: ['summary', 'status'] });
    expect(rest.body).toEqual({
      issues: [expect.objectContaining({ id: '10003', key: 'ENG-3', fields: { summary: 'Upgrade the build to Node 20', status: expect.objectContaining({ name: 'Done' }) } })],
      isLast: true,
    });
  });

  it('supports AND, =, !=, IN, NOT IN, ~, IS EMPTY, currentUser() and ORDER BY', async () => {
    expect(keysOf((await search('key in (OPS-1, eng-2) ORDER BY key ASC')).body)).toEqual(['ENG-2', 'OPS-1']);
    expect(keysOf((await search('project = Engineering AND status != Done ORDER BY created ASC')).body)).toEqual(['ENG-1', 'ENG-2']);
    expect(keysOf((await search('assignee = currentUser()')).body)).toEqual(['ENG-3']);
    expect(keysOf((await search('assignee is EMPTY')).body)).toEqual(['ENG-2']);
    expect(keysOf((await search('assignee = "grace@example.com" ORDER BY priority DESC')).body)).toEqual(['OPS-1', 'ENG-1']);
    expect(keysOf((await search('status not in ("To Do", Done) AND type = Bug')).body)).toEqual(['ENG-1']);
    expect(keysOf((await search('labels = security')).body)).toEqual(['OPS-1']);
    expect(keysOf((await search('text ~ "metadata endpoint"')).body)).toEqual(['ENG-1']);
    expect(keysOf((await search('summary ~ "metadata endpoint"')).body)).toEqual([]);
    expect(keysOf((await search('project = OPS AND summary !~ rotate')).body)).toEqual([]);
  });

  it("rejects JQL outside the subset with 400 and Jira's errorMessages", async () => {
    const rejected = async (jql: string): Promise<unknown> => {
      const response = await search(jql);
      expect(response.status).toBe(400);
      return response.body;
    };
    expect(await rejected('project = ENG OR project = OPS')).toEqual({
      errorMessages: ["Error in the JQL Query: this fake Jira supports only 'AND' between clauses, not 'OR'. (line 1, character 15)"],
      errors: {},
    });
    expect(await rejected('')).toEqual({ errorMessages: ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.'], errors: {} });
    expect(await rejected('ORDER BY created')).toMatchObject({ errorMessages: [expect.stringContaining('Unbounded JQL')] });
    expect(await rejected('project ~ ENG')).toMatchObject({ errorMessages: ["The operator '~' is not supported by the 'project' field."] });
    expect(await rejected('text = login')).toMatchObject({ errorMessages: ["The operator '=' is not supported by the 'text' field."] });
    expect(await rejected('key = ENG-99')).toMatchObject({ errorMessages: ["An issue with key 'ENG-99' does not exist for field 'key'."] });
    expect(await rejected('project = "ENG')).toMatchObject({ errorMessages: [expect.stringMatching(/^Error in the JQL Query: The quoted string/)] });
    expect(await rejected('project ENG')).toMatchObject({ errorMessages: [expect.stringMatching(/^Error in the JQL Query: Expecting operator but got 'ENG'/)] });
    expect(await rejected('sprint in openSprints()')).toMatchObject({ errorMessages: ["Field 'sprint' does not exist or you do not have permission to view it."] });
    expect(await rejected('assignee = membersOf(admins)')).toMatchObject({ errorMessages: [expect.stringMatching(/^Error in the JQL Query/)] });
  });

  it('answers the removed /rest/api/3/search with 410 Gone, as Jira Cloud does', async () => {
    const removed = await api('GET', '/rest/api/3/search?jql=project%3DENG');
    expect(removed.status).toBe(410);
    expect(removed.body).toMatchObject({ errorMessages: [expect.stringContaining('/rest/api/3/search/jql')] });
  });

  it('returns a full issue with ADF description and comments, or 404 in Jira’s shape', async () => {
    const issue = await api('GET', '/rest/api/3/issue/ENG-1');
    expect(issue.status).toBe(200);
    expect(issue.body).toMatchObject({
      id: '10001',
      key: 'ENG-1',
      self: `${jira.url}/rest/api/3/issue/10001`,
      fields: {
        summary: 'Login page times out after 30 seconds',
        description: { type: 'doc', version: 1 },
        issuetype: { name: 'Bug' },
        project: { key: 'ENG', name: 'Engineering' },
        status: { name: 'In Progress', statusCategory: { key: 'indeterminate' } },
        assignee: { displayName: 'Grace Hopper' },
        comment: { total: 1, comments: [{ id: '10100', author: { displayName: 'Grace Hopper' } }] },
      },
    });
    const some = await api('GET', '/rest/api/3/issue/ENG-1?fields=summary,labels');
    expect(Object.keys((some.body as { fields: object }).fields).sort()).toEqual(['labels', 'summary']);

    const missing = await api('GET', '/rest/api/3/issue/ENG-404');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
  });

  it('validates a new issue as Jira does: field errors by field id, ADF required for rich text', async () => {
    const invalid = await api('POST', '/rest/api/3/issue', { fields: { project: { key: 'NOPE' }, issuetype: { name: 'Task' }, description: 'plain text' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({
      errorMessages: [],
      errors: {
        project: 'valid project is required',
        summary: 'You must specify a summary of the issue.',
        description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)',
      },
    });
    const created = await api('POST', '/rest/api/3/issue', { fields: { project: { id: '10000' }, issuetype: { id: '10004' }, summary: 'Crash on empty search' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: '10005', key: 'ENG-4', self: `${jira.url}/rest/api/3/issue/10005` });
    expect(jira.issues.get('ENG-4')).toMatchObject({ issueType: 'Bug', status: 'To Do', reporterAccountId: FAKE_JIRA_USER.accountId });
  });

  it('moves an issue through its transitions and lists projects with their lead on request', async () => {
    const transitions = await api('GET', '/rest/api/3/issue/ENG-2/transitions');
    expect((transitions.body as { transitions: { id: string; name: string }[] }).transitions.map((t) => `${t.id}:${t.name}`)).toEqual([
      '11:To Do',
      '21:In Progress',
      '31:Done',
    ]);
    expect((await api('POST', '/rest/api/3/issue/ENG-2/transitions', { transition: { id: '21' } })).status).toBe(204);
    expect(jira.issues.get('ENG-2')?.status).toBe('In Progress');
    expect((await api('POST', '/rest/api/3/issue/ENG-2/transitions', { transition: { id: '99' } })).body).toEqual({
      errorMessages: ["Transition id '99' is not valid for this issue."],
      errors: {},
    });

    const projects = await api('GET', '/rest/api/3/project?expand=lead');
    expect(projects.body).toEqual([
      expect.objectContaining({ key: 'ENG', name: 'Engineering', lead: expect.objectContaining({ displayName: 'Ada Lovelace' }) }),
      expect.objectContaining({ key: 'OPS', name: 'Operations', lead: expect.objectContaining({ displayName: 'Grace Hopper' }) }),
    ]);
    const page = await api('GET', '/rest/api/3/project/search?maxResults=1');
    expect(page.body).toMatchObject({ total: 2, isLast: false, values: [{ key: 'ENG' }] });
  });

  it('starts from a copy of the seed, so one server never sees another’s changes', async () => {
    const other = await startFakeJira();
    try {
      expect(other.issues.get('ENG-2')?.status).toBe('To Do');
      expect(other.issues.has('ENG-4')).toBe(false);
    } finally {
      await other.close();
    }
  });
});

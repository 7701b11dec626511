// Everything exported here is the public API of @globalmcp/integrations/testing:
// test doubles for the services child MCP servers talk to. Node-only.
export { startFakeJira } from './fakeJira.js';
export type {
  FakeJira,
  FakeJiraComment,
  FakeJiraIssue,
  FakeJiraOptions,
  FakeJiraProject,
  FakeJiraRequest,
  FakeJiraUser,
} from './fakeJira.js';
export { FAKE_JIRA_ISSUES, FAKE_JIRA_PROJECTS, FAKE_JIRA_USER, FAKE_JIRA_USERS } from './fakeJiraSeed.js';
export { adfDocument, adfToText, isAdfDocument } from './adfDocument.js';
export type { AdfDocument, AdfNode } from './adfDocument.js';
export { parseJql } from './parseJql.js';
export type { JqlClause, JqlField, JqlOrderField, JqlParseResult, JqlQuery, JqlValue } from './parseJql.js';

import type { FakeJiraIssue, FakeJiraProject, FakeJiraUser } from './fakeJira.js';

/** The user the seed's credentials belong to: `JIRA_USERNAME=ada@example.com`, `JIRA_API_TOKEN=ada-api-token`. */
export const FAKE_JIRA_USER: FakeJiraUser = {
  accountId: '712020:5f1c7c0e-6a39-4c8e-9d7b-2a6f1f0c1ada',
  emailAddress: 'ada@example.com',
  displayName: 'Ada Lovelace',
  apiToken: 'ada-api-token',
};

export const FAKE_JIRA_USERS: readonly FakeJiraUser[] = [
  FAKE_JIRA_USER,
  {
    accountId: '712020:9b0e2d41-77c3-4f0a-8e55-3c1d2b4a6ace',
    emailAddress: 'grace@example.com',
    displayName: 'Grace Hopper',
    apiToken: 'grace-api-token',
  },
];

const ADA = FAKE_JIRA_USERS[0]?.accountId as string;
const GRACE = FAKE_JIRA_USERS[1]?.accountId as string;

export const FAKE_JIRA_PROJECTS: readonly FakeJiraProject[] = [
  { id: '10000', key: 'ENG', name: 'Engineering', description: 'Product engineering: the web app and its build.', leadAccountId: ADA },
  { id: '10001', key: 'OPS', name: 'Operations', description: 'Infrastructure, environments and on-call.', leadAccountId: GRACE },
];

/** Descriptions and comments are ADF exactly as Jira Cloud returns text typed into its editor. */
export const FAKE_JIRA_ISSUES: readonly FakeJiraIssue[] = [
  {
    id: '10001',
    key: 'ENG-1',
    projectKey: 'ENG',
    issueType: 'Bug',
    summary: 'Login page times out after 30 seconds',
    description: {
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Since release 2.4, signing in with SSO hangs and the login page shows ' },
            { type: 'text', text: '504 Gateway Timeout', marks: [{ type: 'code' }] },
            { type: 'text', text: ' after 30 seconds.' },
          ],
        },
        { type: 'heading', attrs: { level: 3 }, content: [{ type: 'text', text: 'Steps to reproduce' }] },
        {
          type: 'orderedList',
          attrs: { order: 1 },
          content: [
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Open the login page in a private window.' }] }] },
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Choose Sign in with SSO.' }] }] },
          ],
        },
      ],
    },
    status: 'In Progress',
    priority: 'High',
    assigneeAccountId: GRACE,
    reporterAccountId: ADA,
    labels: ['login', 'sso'],
    created: '2026-10-05T09:12:44.000+0000',
    updated: '2026-10-07T16:03:10.000+0000',
    comments: [
      {
        id: '10100',
        authorAccountId: GRACE,
        body: {
          type: 'doc',
          version: 1,
          content: [{ type: 'paragraph', content: [{ type: 'text', text: "Reproduced on staging: the identity provider's metadata endpoint takes 29 s to answer." }] }],
        },
        created: '2026-10-07T16:03:10.000+0000',
        updated: '2026-10-07T16:03:10.000+0000',
      },
    ],
  },
  {
    id: '10002',
    key: 'ENG-2',
    projectKey: 'ENG',
    issueType: 'Story',
    summary: 'Add a dark mode toggle to the settings page',
    description: {
      type: 'doc',
      version: 1,
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'As a user working at night I want a dark theme, so that the app is easier on the eyes.' }] },
        {
          type: 'bulletList',
          content: [
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'The toggle follows the system setting by default.' }] }] },
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'The choice is remembered per account.' }] }] },
          ],
        },
      ],
    },
    status: 'To Do',
    priority: 'Medium',
    assigneeAccountId: null,
    reporterAccountId: GRACE,
    labels: ['ui', 'accessibility'],
    created: '2026-10-06T11:30:00.000+0000',
    updated: '2026-10-06T11:30:00.000+0000',
    comments: [],
  },
  {
    id: '10003',
    key: 'ENG-3',
    projectKey: 'ENG',
    issueType: 'Task',
    summary: 'Upgrade the build to Node 20',
    description: {
      type: 'doc',
      version: 1,
      content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Node 18 is out of support; move CI and the Docker images to Node 20.' }] }],
    },
    status: 'Done',
    priority: 'Low',
    assigneeAccountId: ADA,
    reporterAccountId: ADA,
    labels: ['build'],
    created: '2026-09-14T08:00:00.000+0000',
    updated: '2026-09-20T17:45:00.000+0000',
    comments: [],
  },
  {
    id: '10004',
    key: 'OPS-1',
    projectKey: 'OPS',
    issueType: 'Task',
    summary: 'Rotate the staging database credentials',
    description: {
      type: 'doc',
      version: 1,
      content: [{ type: 'paragraph', content: [{ type: 'text', text: 'The staging Postgres password was shared in a chat channel; rotate it and update the vault.' }] }],
    },
    status: 'In Progress',
    priority: 'Highest',
    assigneeAccountId: GRACE,
    reporterAccountId: GRACE,
    labels: ['security'],
    created: '2026-10-08T07:20:00.000+0000',
    updated: '2026-10-08T07:20:00.000+0000',
    comments: [],
  },
];

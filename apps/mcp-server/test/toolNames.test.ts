import { expect, it } from 'vitest';
import { GATEWAY_TOOL_NAMES } from '../src/federationSetup.ts';
import { GATEWAY_TOOLS } from '../src/tools.ts';

it('the names reserved in the federation are exactly the gateway tools', () => {
  expect([...GATEWAY_TOOL_NAMES].sort()).toEqual(GATEWAY_TOOLS.map((t) => t.name).sort());
});

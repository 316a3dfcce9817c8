// The catalogue: every MIKEY capability as an MCP tool or resource. One file per tool under
// src/tools/<area>/; this list is the single place they are gathered.
import type { McpCatalogue } from '../mcp/server.js';
import type { ToolSpec } from '../mcp/tool.js';
import type { ResourceSpec } from '../mcp/resource.js';
import { whoami } from './account/whoami.js';

export const TOOLS: ReadonlyArray<ToolSpec<any, any>> = [whoami];

export const RESOURCES: readonly ResourceSpec[] = [];

export const CATALOGUE: McpCatalogue = { tools: TOOLS, resources: RESOURCES };

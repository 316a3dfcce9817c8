// MCP resources with subscriptions: a client subscribed to `mikey://portfolio` is told when a fill,
// a price-driven stop or an alert changes it — pushed, not polled.
import type { MikeyEvent } from '../services/events.js';
import type { Permission } from '../services/api-keys.js';
import type { ToolContext } from './tool.js';

export interface ResourceSpec {
  uri: string;
  name: string;
  title: string;
  description: string;
  permission: Permission | null;
  /** JSON document for the acting user. */
  read(ctx: ToolContext): Promise<unknown>;
  /** Whether an event (already known to concern the acting user) changes this resource. */
  changedBy(event: MikeyEvent): boolean;
}

export function defineResource(spec: ResourceSpec): ResourceSpec {
  return spec;
}

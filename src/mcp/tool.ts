// How a MIKEY tool is declared: one file per tool under src/tools/<area>/, verb-first name, a title,
// a description written for a model, a zod input schema with `.describe()` on every field, an output
// schema for data results, honest annotations, and the permission it needs. `run` is a thin shell
// over an application service; expected failures are thrown as AppError and become `isError`
// results with a recovery hint.
import type { z } from 'zod';
import type { Permission } from '../services/api-keys.js';
import type { Actor } from '../services/actor.js';
import type { Services } from '../services/index.js';

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolContext {
  services: Services;
  /** The authenticated identity: never taken from a tool argument. */
  actor: Actor;
  /** What this session may do: an API key's permissions, or everything for the local owner. */
  permissions: ReadonlySet<Permission> | 'all';
  /**
   * Asks the person to confirm through the MCP client (elicitation) when it supports that.
   * Resolves `undefined` when the client cannot ask; the server-side token stays the rule.
   */
  confirm?: (message: string) => Promise<'accept' | 'decline' | 'cancel' | undefined>;
  signal?: AbortSignal;
  /**
   * Reports progress of long work (backtests, sweeps) to the caller when it asked for it (MCP's
   * progress token); a no-op otherwise. `done` rises towards `total`; `message` is for a person.
   */
  progress?: (p: ToolProgress) => void;
  /**
   * The community (Telegram group, Discord server) the call came from, set by chat surfaces for a
   * message in a group; absent over MCP and in private chats. Leaderboards and competitions use it.
   */
  community?: CommunityContext;
}

/** A Telegram group or Discord server a chat message came from, as the platform reported it. */
export interface CommunityContext {
  platform: 'telegram' | 'discord';
  /** Telegram group chat id or Discord guild id. */
  communityId: string;
  /** Where public answers and pushes go: the group chat (Telegram) or the channel (Discord). */
  chatId: string;
  /** The sender administers the group (Telegram creator/administrator, Discord Manage Server). */
  isAdmin: boolean;
}

export interface ToolProgress {
  done: number;
  total: number;
  message: string;
}

export interface ToolImage {
  data: Uint8Array;
  mimeType: 'image/png';
}

export interface ToolSuccess<O> {
  /** What a person or model reads first: numbers first, concise. */
  text: string;
  /** Structured result (validated against the output schema). */
  data?: O;
  images?: ToolImage[];
}

type Shape = z.ZodRawShape;
export type ToolArgs<I extends Shape> = z.objectOutputType<I, z.ZodTypeAny>;
export type ToolData<O extends Shape | undefined> = O extends Shape ? z.objectOutputType<O, z.ZodTypeAny> : undefined;

export interface ToolSpec<I extends Shape = Shape, O extends Shape | undefined = Shape | undefined> {
  name: string;
  title: string;
  description: string;
  /** The API-key permission the tool needs; `null` for any authenticated caller. */
  permission: Permission | null;
  input: I;
  output?: O;
  annotations: ToolAnnotations;
  run(ctx: ToolContext, args: ToolArgs<I>): Promise<ToolSuccess<ToolData<O>>>;
}

/** Declares a tool with its types inferred. */
export function defineTool<I extends Shape, O extends Shape | undefined = undefined>(spec: ToolSpec<I, O>): ToolSpec<I, O> {
  return spec;
}

export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
export const READ_ONLY_OPEN_WORLD: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };

/**
 * Marks text that came from outside (exchange messages, user-written titles and notes) as data, so
 * a model reading it treats it as such and never as instructions (reliability 16).
 */
export function untrusted(source: string, text: string): string {
  const safe = text.replace(/</g, '‹').replace(/>/g, '›');
  return `<untrusted-data source="${source}">${safe}</untrusted-data>`;
}

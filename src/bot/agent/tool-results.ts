// Between MCP and the Messages API: tool definitions taken verbatim from the in-process client's
// listTools() (one source of truth), tool results read into text + images + structured data, and
// tool results handed back to the model wrapped as untrusted data (reliability 16).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { untrusted } from '../../mcp/tool.js';
import type { TurnImage } from './types.js';

export type McpTool = Awaited<ReturnType<Client['listTools']>>['tools'][number];
export type McpCallResult = Awaited<ReturnType<Client['callTool']>>;

/**
 * The model's tool list: name, description and input schema exactly as the MCP server lists them,
 * with the prompt-cache breakpoint on the last definition. Only the JSON-schema `$schema` marker
 * is dropped: it describes the document, not the input.
 */
export function toAnthropicTools(tools: readonly McpTool[]): Tool[] {
  return tools.map((t, i) => {
    const { $schema: _ignored, ...schema } = t.inputSchema as Record<string, unknown>;
    const def: Tool = {
      name: t.name,
      description: t.description ?? t.title ?? t.name,
      input_schema: { ...schema, type: 'object' },
    };
    if (i === tools.length - 1) def.cache_control = { type: 'ephemeral' };
    return def;
  });
}

/** A tool result as MIKEY uses it. */
export interface ToolOutcome {
  name: string;
  args: Record<string, unknown>;
  isError: boolean;
  /** Joined text content. */
  text: string;
  images: TurnImage[];
  structured: Record<string, unknown> | undefined;
  ms: number;
  /** Set when MIKEY refused the call; the tool never ran. */
  refused?: string;
}

interface ContentLike {
  type: string;
  text?: unknown;
  data?: unknown;
  mimeType?: unknown;
}

/** Reads an MCP CallToolResult. */
export function readCallResult(name: string, args: Record<string, unknown>, result: McpCallResult, ms: number): ToolOutcome {
  const content = (Array.isArray((result as { content?: unknown }).content) ? (result as { content: ContentLike[] }).content : []);
  const texts: string[] = [];
  const images: TurnImage[] = [];
  for (const c of content) {
    if (c.type === 'text' && typeof c.text === 'string') texts.push(c.text);
    else if (c.type === 'image' && typeof c.data === 'string') {
      images.push({ data: new Uint8Array(Buffer.from(c.data, 'base64')), mimeType: typeof c.mimeType === 'string' ? c.mimeType : 'image/png', tool: name });
    }
  }
  const structured = (result as { structuredContent?: unknown }).structuredContent;
  return {
    name,
    args,
    isError: (result as { isError?: unknown }).isError === true,
    text: texts.join('\n'),
    images,
    structured: structured && typeof structured === 'object' && !Array.isArray(structured) ? (structured as Record<string, unknown>) : undefined,
    ms,
  };
}

/**
 * The tool_result block for the model. Text is wrapped as untrusted data; images are replaced by a
 * one-line note. Why a note and not the image: the person gets the chart; the model's job is to
 * talk numbers, which the tools give it as text. An image block would cost ~1,000+ input tokens
 * on this round and on every later turn that carries it in history, and stored history would hold
 * base64 blobs.
 */
export function toToolResultBlock(toolUseId: string, outcome: ToolOutcome): ToolResultBlockParam {
  if (outcome.refused) {
    return { type: 'tool_result', tool_use_id: toolUseId, is_error: true, content: [{ type: 'text', text: outcome.refused }] };
  }
  const parts: Array<{ type: 'text'; text: string }> = [];
  parts.push({ type: 'text', text: untrusted(`tool:${outcome.name}`, outcome.text || '(no text)') });
  for (const img of outcome.images) {
    parts.push({ type: 'text', text: `[${img.mimeType} chart from ${img.tool}, ${Math.round(img.data.length / 1024)} KB, sent to the person; not shown to you]` });
  }
  return { type: 'tool_result', tool_use_id: toolUseId, content: parts, ...(outcome.isError ? { is_error: true } : {}) };
}

const TOKEN_KEYS = ['confirmationToken', 'confirmation_token', 'token'];

function tokenIn(obj: unknown, depth = 0): { token: string; expiresAt?: string } | undefined {
  if (!obj || typeof obj !== 'object' || depth > 3) return undefined;
  const o = obj as Record<string, unknown>;
  for (const k of TOKEN_KEYS) {
    const v = o[k];
    if (typeof v === 'string' && v.length >= 8) {
      const exp = o.expiresAt ?? o.confirmationExpiresAt ?? o.expires_at;
      return { token: v, ...(typeof exp === 'string' ? { expiresAt: exp } : {}) };
    }
  }
  for (const k of ['confirmation', 'card', 'data', 'details']) {
    const found = tokenIn(o[k], depth + 1);
    if (found) {
      const exp = o.expiresAt;
      return found.expiresAt || typeof exp !== 'string' ? found : { ...found, expiresAt: exp };
    }
  }
  return undefined;
}

/**
 * The confirmation token a trade card carries: in the structured content of a preview, or — for an
 * `isError` "confirmation required" answer — in the JSON details printed after its message.
 */
export function findConfirmationToken(outcome: Pick<ToolOutcome, 'structured' | 'text'>): { token: string; expiresAt?: string } | undefined {
  const fromStructured = tokenIn(outcome.structured);
  if (fromStructured) return fromStructured;
  const brace = outcome.text.indexOf('\n{');
  if (brace >= 0) {
    try {
      const found = tokenIn(JSON.parse(outcome.text.slice(brace + 1)));
      if (found) return found;
    } catch {
      // not JSON details
    }
  }
  const m = /confirmation[ _-]?token["']?\s*[:=]\s*["']?([A-Za-z0-9._~+/=-]{8,})/i.exec(outcome.text);
  return m?.[1] ? { token: m[1] } : undefined;
}

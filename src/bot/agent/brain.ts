// `createBrain`: what a chat surface calls once per conversation (user × platform × chat). With a
// model endpoint — an Anthropic key, or a local Messages API server (Ollama, llama.cpp) named by
// ANTHROPIC_BASE_URL — it returns the model-backed agent (which falls back to the offline
// understanding when the model is down); without one, the offline brain. Both call MIKEY's tools through one
// in-process MCP client bound to the person's identity, and share one pending-confirmation slot.
import Anthropic from '@anthropic-ai/sdk';
import { modelEndpoint, type Config } from '../../config.js';
import { connectInProcess } from '../../mcp/in-process.js';
import type { McpCatalogue, SessionIdentity } from '../../mcp/server.js';
import { scrub, type Logger } from '../../log.js';
import type { Services } from '../../services/index.js';
import type { UnderstandContext } from '../nlu/index.js';
import { ChatAgent, DEFAULT_AGENT_SETTINGS, type AgentSettings, type AttemptCounter } from './agent.js';
import { Confirmations, ToolRunner } from './confirmation.js';
import { ConversationStore } from './history.js';
import { OfflineBrain } from './offline.js';
import type { Sleep } from './retry.js';
import type { Brain } from './types.js';

export const BrainChoice = { auto: 'auto', agent: 'agent', offline: 'offline' } as const;
export type BrainChoice = (typeof BrainChoice)[keyof typeof BrainChoice];

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface BrainOptions {
  /** Who is acting: the linked MIKEY user (never taken from a message or a model). */
  identity: SessionIdentity;
  /** Which conversation: "telegram" + chat id, "discord" + channel id, "terminal" + "local". */
  conversation: { platform: string; chatId: string };
  /** The tool catalogue; default: MIKEY's full catalogue (src/tools). */
  catalogue?: McpCatalogue;
  /** auto (default): the agent when a model endpoint is configured (a key, or a local base URL), else offline. */
  mode?: BrainChoice;
  nlu?: UnderstandContext;
  /** Store conversations and usage in the database (default true). */
  persist?: boolean;
  agent?: Partial<Omit<AgentSettings, 'model'>> & { model?: string };
  anthropic?: { apiKey?: string; baseURL?: string; fetch?: Fetch; timeoutMs?: number };
  sleep?: Sleep;
}

/** What a local model server is sent as its key when none is configured (they need none). */
export const LOCAL_PLACEHOLDER_KEY = 'local-model-no-key';

/** Wraps fetch so every HTTP attempt (including the SDK's own retries) is counted. */
export function countingFetch(counter: AttemptCounter, inner: Fetch = globalThis.fetch.bind(globalThis)): Fetch {
  return (input, init) => {
    counter.attempts++;
    return inner(input, init);
  };
}

/** The SDK's log lines go to MIKEY's logger (stderr, redacted) — never to stdout. */
function sdkLogger(logger: Logger): NonNullable<ConstructorParameters<typeof Anthropic>[0]>['logger'] {
  const line = (level: 'error' | 'warn' | 'info' | 'debug') => (message: string, ...rest: unknown[]): void => {
    logger[level](`anthropic: ${scrub(message)}`, rest.length ? { detail: rest } : undefined);
  };
  return { error: line('error'), warn: line('warn'), info: line('debug'), debug: line('debug') };
}

export async function createBrain(config: Config, services: Services, opts: BrainOptions): Promise<Brain> {
  const catalogue = opts.catalogue ?? (await import('../../tools/index.js')).CATALOGUE;
  const { client, close } = await connectInProcess(services, opts.identity, catalogue, `mikey-chat-${opts.conversation.platform}`);
  const runner = new ToolRunner(client, services.logger);
  const confirmations = new Confirmations(services.clock);
  const choice = opts.mode ?? BrainChoice.auto;
  const endpoint = modelEndpoint({
    ANTHROPIC_API_KEY: opts.anthropic?.apiKey ?? config.ANTHROPIC_API_KEY,
    ANTHROPIC_BASE_URL: opts.anthropic?.baseURL ?? config.ANTHROPIC_BASE_URL,
  });

  if (choice === BrainChoice.offline || (choice === BrainChoice.auto && !endpoint)) {
    return new OfflineBrain({ runner, confirmations, ...(opts.nlu ? { nlu: opts.nlu } : {}), close });
  }
  if (!endpoint) {
    await close();
    throw new Error('The chat agent needs ANTHROPIC_API_KEY, or ANTHROPIC_BASE_URL pointing at a local model server (e.g. http://127.0.0.1:11434); set one, or run without both to use offline understanding.');
  }

  const settings: AgentSettings = { ...DEFAULT_AGENT_SETTINGS, ...opts.agent, model: opts.agent?.model ?? config.MIKEY_MODEL, localModel: endpoint.local };
  const attempts: AttemptCounter = { attempts: 0 };
  const anthropic = new Anthropic({
    // Always an explicit credential, so the SDK never goes looking in the environment or in
    // credential files. A local server (Ollama, llama.cpp) ignores the placeholder.
    apiKey: endpoint.apiKey ?? LOCAL_PLACEHOLDER_KEY,
    ...(endpoint.baseURL ? { baseURL: endpoint.baseURL } : {}),
    maxRetries: settings.retry.sdkMaxRetries,
    timeout: opts.anthropic?.timeoutMs ?? 60_000,
    fetch: countingFetch(attempts, opts.anthropic?.fetch),
    logger: sdkLogger(services.logger),
    logLevel: 'warn',
  });
  const fallback = new OfflineBrain({ runner, confirmations, ...(opts.nlu ? { nlu: opts.nlu } : {}) });
  return new ChatAgent({
    anthropic,
    attempts,
    client,
    runner,
    confirmations,
    services,
    userId: opts.identity.actor.userId,
    platform: opts.conversation.platform,
    chatId: opts.conversation.chatId,
    settings,
    ...(opts.persist === false ? {} : { store: new ConversationStore(services.db) }),
    fallback,
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    close,
  });
}

// One plain request to the Messages API for the services that ask the model for a short, strictly
// checked answer (event analysis, agent decisions): no retries — a caller that gets no answer in time
// keeps its own rules — and only the answer's text comes back. The SDK is loaded on first use.

/** Where the model is: ANTHROPIC_API_KEY (a local Messages API server needs none), ANTHROPIC_BASE_URL, MIKEY_MODEL. */
export interface ModelTextOptions {
  apiKey: string | undefined;
  baseURL?: string;
  model: string;
  /** Per request. Default 20 s. */
  timeoutMs?: number;
}

/** The text of the model's answer to one system prompt and one user message; throws on any failure. */
export async function askModelText(m: ModelTextOptions, request: { system: string; user: string; maxTokens: number }): Promise<string> {
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  const client = new Anthropic({ apiKey: m.apiKey ?? 'local', baseURL: m.baseURL, maxRetries: 0, timeout: m.timeoutMs ?? 20_000 });
  const r = await client.messages.create({ model: m.model, max_tokens: request.maxTokens, system: request.system, messages: [{ role: 'user', content: request.user }] });
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

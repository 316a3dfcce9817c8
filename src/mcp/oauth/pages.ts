// The two small pages a person sees while a remote MCP client signs in: sign in with a one-time
// code, then approve the scopes. Plain HTML forms, no script; every value is escaped.
import type { OAuthScope } from './provider.js';

const SCOPE_TEXT: Record<OAuthScope, string> = {
  'read:market': 'Read market data (prices, candles, order books)',
  'read:portfolio': 'Read your portfolios, positions, orders and alerts',
  'write:orders': 'Place and cancel orders',
  'write:alerts': 'Create and remove alerts',
};

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}input[type=text]{font-size:1.1rem;width:100%;padding:.4rem}button{font-size:1rem;padding:.4rem 1rem;margin-top:.6rem}.err{color:#b00020}.note{color:#555}label{display:block;margin:.3rem 0}</style>
</head><body>${body}</body></html>`;
}

export interface SignInView {
  request: string;
  clientName: string;
  error?: string;
  notice?: string;
}

export function signInPage(v: SignInView): string {
  return page(
    'Sign in to MIKEY',
    `<h1>Sign in to MIKEY</h1>
<p><strong>${esc(v.clientName)}</strong> wants to use MIKEY on your behalf.</p>
${v.error ? `<p class="err" role="alert">${esc(v.error)}</p>` : ''}${v.notice ? `<p class="note" role="status">${esc(v.notice)}</p>` : ''}
<form method="post" action="/oauth/sign-in">
<input type="hidden" name="request" value="${esc(v.request)}">
<label for="code">One-time code</label>
<input type="text" id="code" name="code" autocomplete="one-time-code" placeholder="MK-XXXX-XXXX" required>
<button type="submit">Sign in</button>
</form>
<p class="note">No code? Run <code>mikey link</code> on the MIKEY host, or have one sent to your linked Telegram or Discord:</p>
<form method="post" action="/oauth/send-code">
<input type="hidden" name="request" value="${esc(v.request)}">
<label for="username">MIKEY username</label>
<input type="text" id="username" name="username" autocomplete="username" required>
<button type="submit">Send me a code</button>
</form>`,
  );
}

export interface ConsentView {
  request: string;
  clientName: string;
  username: string;
  /** The scopes offered: what the client asked for, among MIKEY's. */
  offered: readonly OAuthScope[];
  error?: string;
}

export function consentPage(v: ConsentView): string {
  const boxes = v.offered
    .map((s) => `<label><input type="checkbox" name="scope" value="${esc(s)}" checked> ${esc(SCOPE_TEXT[s])} <code>${esc(s)}</code></label>`)
    .join('\n');
  return page(
    'Allow access to MIKEY',
    `<h1>Allow access?</h1>
<p>Signed in as <strong>${esc(v.username)}</strong>. <strong>${esc(v.clientName)}</strong> asks to:</p>
${v.error ? `<p class="err" role="alert">${esc(v.error)}</p>` : ''}
<form method="post" action="/oauth/consent">
<input type="hidden" name="request" value="${esc(v.request)}">
${boxes}
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
<p class="note">Untick anything you do not want to grant. You can revoke access at any time.</p>`,
  );
}

export function messagePage(title: string, text: string): string {
  return page(title, `<h1>${esc(title)}</h1><p>${esc(text)}</p>`);
}

// Child process of live-crash.db.test.ts: opens the app on the shared database (Postgres through
// DATABASE_URL, or the embedded one in MIKEY_DATA_DIR), places a confirmed live order and waits for
// the venue's answer, which the fake withholds. The parent kills it with SIGKILL meanwhile.
import { openApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { actorFor } from '../../../src/services/actor.js';
import { isAppError } from '../../../src/services/errors.js';

const app = await openApp({ config: loadConfig(process.env) });
const actor = actorFor(process.env.CRASH_USER_ID!, 'cli');
const input = { portfolioId: process.env.CRASH_PORTFOLIO_ID!, symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '0.3' };
let token = '';
try {
  await app.services.trading.placeOrder(actor, input);
} catch (err) {
  if (!isAppError(err) || err.code !== 'confirmation_required') throw err;
  token = (err.details as { confirmationToken: string }).confirmationToken;
}
process.stdout.write('sending\n');
await app.services.trading.placeOrder(actor, { ...input, confirmationToken: token });
process.stdout.write('answered\n');
await app.close();

// What a command that asks something at the terminal first (a typed name, hidden secrets) does next:
// open the app itself, or — when another MIKEY process holds the embedded database — hand the
// command, with what was asked here, to that process over its command socket.
import type { App } from '../app.js';
import type { Out } from '../cli-types.js';
import { DatabaseLockedError } from '../db/client.js';
import { ControlUnavailableError, sendControlRequest, type ControlRequest } from './socket.js';

/**
 * The opened app, or the exit code of the command run by the process holding the database.
 * `unanswered` ends the message when that process does not answer commands (e.g. "nothing was created").
 */
export async function openOrForward(open: () => Promise<App>, request: ControlRequest, out: Out, unanswered: string): Promise<App | number> {
  try {
    return await open();
  } catch (err) {
    if (!(err instanceof DatabaseLockedError)) throw err;
    try {
      return await sendControlRequest(err.dataDir, request, out);
    } catch (sendErr) {
      if (!(sendErr instanceof ControlUnavailableError)) throw sendErr;
      out.error(`${err.message}\nIt does not answer commands (${sendErr.message})${unanswered}`);
      return 1;
    }
  }
}

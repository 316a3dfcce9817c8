// get-competition: a competition's window, markets and prize with its standings (rank, entrant,
// return %) — final results once it has finished. Percentages only; safe for a group. Read-only.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { competitionShape } from '../../services/community/schemas.js';
import { competitionLine, standingsTable } from './format.js';

export const getCompetition = defineTool({
  name: 'get-competition',
  title: 'Competition standings',
  description:
    'A competition of this group or server (by name or id prefix; default: its open one, else its latest) with its standings: rank, entrant and return %, valued at market prices while it runs, final results and prizes once finished. ' +
    'Example: {} or {"competition":"December Cup"}.',
  permission: 'read:portfolio',
  input: competitionShape,
  output: {
    competition: z.object({ id: z.string(), name: z.string(), status: z.string() }).passthrough().describe('The competition'),
    basis: z.string().describe('final, live or none'),
    rows: z.array(z.object({ rank: z.number(), name: z.string(), returnPercent: z.string() }).passthrough()).describe('Standings, best first'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const v = await ctx.services.community.getCompetition(ctx.actor, ctx.community, args);
    const lines = [competitionLine(v.competition)];
    if (v.rows.length === 0) lines.push('Nobody has joined yet; /join (or "join the competition") enters you.');
    else {
      lines.push(v.basis === 'final' ? 'Final results:' : v.basis === 'live' ? 'Standings now (valued at market prices):' : 'Entrants (it has not started):');
      lines.push(standingsTable(v.rows, v.competition.token, v.basis === 'final'));
    }
    return { text: lines.join('\n'), data: v as never };
  },
});

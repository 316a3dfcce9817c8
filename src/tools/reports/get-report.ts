import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { getReportShape } from '../../services/reports/report-service.js';

export const getReport = defineTool({
  name: 'get-report',
  title: 'Get report',
  description:
    'A report of the last 4 hours or day in Markdown: portfolio value and P&L, positions, fills, alerts fired, risk alerts, and a scorecard of MIKEY\'s own past analyses against what the price did. ' +
    'Written by the model when one is configured, else from a template. Example: {"period":"day"}.',
  permission: 'read:portfolio',
  input: getReportShape,
  output: {
    period: z.string().describe('4h or day'),
    periodStart: z.string().describe('Start (ISO)'),
    periodEnd: z.string().describe('End (ISO)'),
    markdown: z.string().describe('The report'),
    writtenBy: z.string().describe('model or template'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(ctx, args) {
    const r = await ctx.services.reports.getReport(ctx.actor, args);
    return { text: r.markdown, data: { period: r.period, periodStart: r.periodStart, periodEnd: r.periodEnd, markdown: r.markdown, writtenBy: r.writtenBy } };
  },
});

// Subscribable resources: a client subscribed to one is told when a fill, a stop or an alert changes it.
import { defineResource, type ResourceSpec } from '../mcp/resource.js';

export const RESOURCES: readonly ResourceSpec[] = [
  defineResource({
    uri: 'mikey://portfolio',
    name: 'portfolio',
    title: 'Portfolio',
    description: 'Your default portfolio: value, cash, P&L, open positions. Updated on fills, closes, funding and balance changes.',
    permission: 'read:portfolio',
    read: (ctx) => ctx.services.portfolio.getPortfolio(ctx.actor, {}),
    changedBy: (e) => e.type === 'order.filled' || e.type === 'position.changed' || e.type === 'balance.changed',
  }),
  defineResource({
    uri: 'mikey://positions',
    name: 'positions',
    title: 'Open positions',
    description: 'Your open positions with mark, P&L, liquidation price, stops and targets. Updated on fills, stops, take-profits and liquidations.',
    permission: 'read:portfolio',
    read: (ctx) => ctx.services.portfolio.getPositions(ctx.actor, { status: 'open' }),
    changedBy: (e) => e.type === 'order.filled' || e.type === 'position.changed',
  }),
  defineResource({
    uri: 'mikey://alerts',
    name: 'alerts',
    title: 'Alerts',
    description: 'Your alert rules and recent firings (titles are user-written text). Updated when an alert fires or the rules change.',
    permission: 'read:portfolio',
    read: (ctx) => ctx.services.alerts.listAlerts(ctx.actor, { status: 'all', includeFired: true }),
    changedBy: (e) => e.type === 'alert.triggered' || e.type === 'alert.rules.changed',
  }),
];

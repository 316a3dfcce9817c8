// Relations for drizzle's relational query API (`db.query.orders.findFirst({ with: { trades: true } })`).
// They mirror the foreign keys; soft links (signal_event_id, event_analyses.event_id) are declared
// too, since the query API only needs matching columns.
import { relations } from 'drizzle-orm';
import { balances, exchangeCredentials, ledgerEntries, portfolioSnapshots, portfolios } from './accounts.js';
import { alertRules, alerts } from './alerts.js';
import { aiAnalyses } from './analysis.js';
import { conversationMessages, conversations, llmUsage } from './chat.js';
import { reports } from './reports.js';
import { riskAlerts, riskLimits, riskMetrics } from './risk.js';
import { botPerformance, bots, strategies, tradingAgents, tradingSignals } from './strategies.js';
import { auditLogs } from './system.js';
import { rewardLogs, stakingPools, tokenBalances, userStakes } from './token.js';
import { confirmationTokens, orders, positions, trades } from './trading.js';
import { apiKeys, chatIdentities, linkCodes, notificationPreferences, userSessions, users } from './users.js';
import { eventAnalyses, onchainEvents, walletScores, wallets } from './wallets.js';

export const usersRelations = relations(users, ({ many }) => ({
  chatIdentities: many(chatIdentities),
  linkCodes: many(linkCodes),
  sessions: many(userSessions),
  apiKeys: many(apiKeys),
  notificationPreferences: many(notificationPreferences),
  portfolios: many(portfolios),
  exchangeCredentials: many(exchangeCredentials),
  orders: many(orders),
  trades: many(trades),
  positions: many(positions),
  strategies: many(strategies),
  tradingAgents: many(tradingAgents),
  bots: many(bots),
  alertRules: many(alertRules),
  alerts: many(alerts),
  riskLimits: many(riskLimits),
  riskMetrics: many(riskMetrics),
  riskAlerts: many(riskAlerts),
  aiAnalyses: many(aiAnalyses),
  reports: many(reports),
  conversations: many(conversations),
  tokenBalances: many(tokenBalances),
  stakes: many(userStakes),
  rewardLogs: many(rewardLogs),
  auditLogs: many(auditLogs),
}));

export const chatIdentitiesRelations = relations(chatIdentities, ({ one }) => ({
  user: one(users, { fields: [chatIdentities.userId], references: [users.id] }),
}));
export const linkCodesRelations = relations(linkCodes, ({ one }) => ({
  user: one(users, { fields: [linkCodes.userId], references: [users.id] }),
}));
export const userSessionsRelations = relations(userSessions, ({ one }) => ({
  user: one(users, { fields: [userSessions.userId], references: [users.id] }),
}));
export const apiKeysRelations = relations(apiKeys, ({ one }) => ({
  user: one(users, { fields: [apiKeys.userId], references: [users.id] }),
}));
export const notificationPreferencesRelations = relations(notificationPreferences, ({ one }) => ({
  user: one(users, { fields: [notificationPreferences.userId], references: [users.id] }),
}));

export const portfoliosRelations = relations(portfolios, ({ one, many }) => ({
  user: one(users, { fields: [portfolios.userId], references: [users.id] }),
  balances: many(balances),
  ledgerEntries: many(ledgerEntries),
  snapshots: many(portfolioSnapshots),
  exchangeCredentials: many(exchangeCredentials),
  orders: many(orders),
  trades: many(trades),
  positions: many(positions),
  riskLimits: many(riskLimits),
  bots: many(bots),
}));
export const balancesRelations = relations(balances, ({ one }) => ({
  portfolio: one(portfolios, { fields: [balances.portfolioId], references: [portfolios.id] }),
}));
export const ledgerEntriesRelations = relations(ledgerEntries, ({ one }) => ({
  portfolio: one(portfolios, { fields: [ledgerEntries.portfolioId], references: [portfolios.id] }),
}));
export const portfolioSnapshotsRelations = relations(portfolioSnapshots, ({ one }) => ({
  portfolio: one(portfolios, { fields: [portfolioSnapshots.portfolioId], references: [portfolios.id] }),
}));
export const exchangeCredentialsRelations = relations(exchangeCredentials, ({ one }) => ({
  user: one(users, { fields: [exchangeCredentials.userId], references: [users.id] }),
  portfolio: one(portfolios, { fields: [exchangeCredentials.portfolioId], references: [portfolios.id] }),
}));

export const ordersRelations = relations(orders, ({ one, many }) => ({
  user: one(users, { fields: [orders.userId], references: [users.id] }),
  portfolio: one(portfolios, { fields: [orders.portfolioId], references: [portfolios.id] }),
  parent: one(orders, { fields: [orders.parentOrderId], references: [orders.id], relationName: 'order_children' }),
  children: many(orders, { relationName: 'order_children' }),
  position: one(positions, { fields: [orders.positionId], references: [positions.id] }),
  strategy: one(strategies, { fields: [orders.strategyId], references: [strategies.id] }),
  signal: one(tradingSignals, { fields: [orders.signalId], references: [tradingSignals.id] }),
  trades: many(trades),
}));
export const tradesRelations = relations(trades, ({ one }) => ({
  order: one(orders, { fields: [trades.orderId], references: [orders.id] }),
  portfolio: one(portfolios, { fields: [trades.portfolioId], references: [portfolios.id] }),
  user: one(users, { fields: [trades.userId], references: [users.id] }),
}));
export const positionsRelations = relations(positions, ({ one, many }) => ({
  user: one(users, { fields: [positions.userId], references: [users.id] }),
  portfolio: one(portfolios, { fields: [positions.portfolioId], references: [portfolios.id] }),
  signalWallet: one(wallets, { fields: [positions.signalWalletId], references: [wallets.id] }),
  orders: many(orders),
}));
export const confirmationTokensRelations = relations(confirmationTokens, ({ one }) => ({
  user: one(users, { fields: [confirmationTokens.userId], references: [users.id] }),
  portfolio: one(portfolios, { fields: [confirmationTokens.portfolioId], references: [portfolios.id] }),
  order: one(orders, { fields: [confirmationTokens.orderId], references: [orders.id] }),
}));

export const riskLimitsRelations = relations(riskLimits, ({ one }) => ({
  user: one(users, { fields: [riskLimits.userId], references: [users.id] }),
  portfolio: one(portfolios, { fields: [riskLimits.portfolioId], references: [portfolios.id] }),
}));
export const riskMetricsRelations = relations(riskMetrics, ({ one }) => ({
  user: one(users, { fields: [riskMetrics.userId], references: [users.id] }),
  portfolio: one(portfolios, { fields: [riskMetrics.portfolioId], references: [portfolios.id] }),
}));
export const riskAlertsRelations = relations(riskAlerts, ({ one }) => ({
  user: one(users, { fields: [riskAlerts.userId], references: [users.id] }),
  portfolio: one(portfolios, { fields: [riskAlerts.portfolioId], references: [portfolios.id] }),
}));

export const alertRulesRelations = relations(alertRules, ({ one, many }) => ({
  user: one(users, { fields: [alertRules.userId], references: [users.id] }),
  portfolio: one(portfolios, { fields: [alertRules.portfolioId], references: [portfolios.id] }),
  alerts: many(alerts),
}));
export const alertsRelations = relations(alerts, ({ one }) => ({
  user: one(users, { fields: [alerts.userId], references: [users.id] }),
  rule: one(alertRules, { fields: [alerts.ruleId], references: [alertRules.id] }),
  order: one(orders, { fields: [alerts.orderId], references: [orders.id] }),
  strategy: one(strategies, { fields: [alerts.strategyId], references: [strategies.id] }),
}));

export const strategiesRelations = relations(strategies, ({ one, many }) => ({
  user: one(users, { fields: [strategies.userId], references: [users.id] }),
  signals: many(tradingSignals),
  orders: many(orders),
  bots: many(bots),
}));
export const tradingAgentsRelations = relations(tradingAgents, ({ one, many }) => ({
  user: one(users, { fields: [tradingAgents.userId], references: [users.id] }),
  signals: many(tradingSignals),
}));
export const tradingSignalsRelations = relations(tradingSignals, ({ one, many }) => ({
  user: one(users, { fields: [tradingSignals.userId], references: [users.id] }),
  strategy: one(strategies, { fields: [tradingSignals.strategyId], references: [strategies.id] }),
  agent: one(tradingAgents, { fields: [tradingSignals.agentId], references: [tradingAgents.id] }),
  orders: many(orders),
}));
export const botsRelations = relations(bots, ({ one, many }) => ({
  user: one(users, { fields: [bots.userId], references: [users.id] }),
  portfolio: one(portfolios, { fields: [bots.portfolioId], references: [portfolios.id] }),
  strategy: one(strategies, { fields: [bots.strategyId], references: [strategies.id] }),
  performance: many(botPerformance),
}));
export const botPerformanceRelations = relations(botPerformance, ({ one }) => ({
  bot: one(bots, { fields: [botPerformance.botId], references: [bots.id] }),
}));

export const aiAnalysesRelations = relations(aiAnalyses, ({ one }) => ({
  user: one(users, { fields: [aiAnalyses.userId], references: [users.id] }),
}));

export const walletsRelations = relations(wallets, ({ many }) => ({
  scores: many(walletScores),
  events: many(onchainEvents),
  positions: many(positions),
}));
export const walletScoresRelations = relations(walletScores, ({ one }) => ({
  wallet: one(wallets, { fields: [walletScores.walletId], references: [wallets.id] }),
}));
export const onchainEventsRelations = relations(onchainEvents, ({ one }) => ({
  wallet: one(wallets, { fields: [onchainEvents.walletId], references: [wallets.id] }),
  analysis: one(eventAnalyses, { fields: [onchainEvents.id], references: [eventAnalyses.eventId] }),
}));
export const eventAnalysesRelations = relations(eventAnalyses, ({ one }) => ({
  event: one(onchainEvents, { fields: [eventAnalyses.eventId], references: [onchainEvents.id] }),
}));

export const reportsRelations = relations(reports, ({ one }) => ({
  user: one(users, { fields: [reports.userId], references: [users.id] }),
}));
export const auditLogsRelations = relations(auditLogs, ({ one }) => ({
  actor: one(users, { fields: [auditLogs.actorUserId], references: [users.id] }),
}));

export const conversationsRelations = relations(conversations, ({ one, many }) => ({
  user: one(users, { fields: [conversations.userId], references: [users.id] }),
  messages: many(conversationMessages),
  usage: many(llmUsage),
}));
export const conversationMessagesRelations = relations(conversationMessages, ({ one }) => ({
  conversation: one(conversations, { fields: [conversationMessages.conversationId], references: [conversations.id] }),
}));
export const llmUsageRelations = relations(llmUsage, ({ one }) => ({
  user: one(users, { fields: [llmUsage.userId], references: [users.id] }),
  conversation: one(conversations, { fields: [llmUsage.conversationId], references: [conversations.id] }),
}));

export const tokenBalancesRelations = relations(tokenBalances, ({ one }) => ({
  user: one(users, { fields: [tokenBalances.userId], references: [users.id] }),
}));
export const stakingPoolsRelations = relations(stakingPools, ({ many }) => ({
  stakes: many(userStakes),
}));
export const userStakesRelations = relations(userStakes, ({ one }) => ({
  user: one(users, { fields: [userStakes.userId], references: [users.id] }),
  pool: one(stakingPools, { fields: [userStakes.poolId], references: [stakingPools.id] }),
}));
export const rewardLogsRelations = relations(rewardLogs, ({ one }) => ({
  user: one(users, { fields: [rewardLogs.userId], references: [users.id] }),
}));

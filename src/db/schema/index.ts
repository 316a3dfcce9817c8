// MIKEY's one Postgres schema. drizzle-kit reads this file (drizzle.config.ts); the database
// client passes everything exported here to drizzle. The map from the five seed documents to these
// tables is docs/data-model.md and docs/seed-map.json.
export * from './enums.js';
export * from './users.js';
export * from './accounts.js';
export * from './market-data.js';
export * from './trading.js';
export * from './risk.js';
export * from './alerts.js';
export * from './strategies.js';
export * from './analysis.js';
export * from './wallets.js';
export * from './token.js';
export * from './community.js';
export * from './reports.js';
export * from './system.js';
export * from './chat.js';
export * from './cluster.js';
export * from './oauth.js';
export * from './views.js';
export * from './relations.js';
export * from './time-series.js';

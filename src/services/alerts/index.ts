// Server-side alerts: rules (create/list/delete), the engine that evaluates them, and the notifier hub.
export * from './alert-service.js';
export * from './alert-engine.js';
export * from './notifier-hub.js';

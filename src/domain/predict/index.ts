// Scored predictions, pure core: look-ahead-free features, labels, learners beside naive baselines,
// and walk-forward evaluation. No I/O; storage, scheduling and surfaces live elsewhere.
export * from './features.js';
export * from './feature-stream.js';
export * from './labels.js';
export * from './dataset.js';
export * from './models/index.js';
export * from './scoring.js';
export * from './walk-forward.js';

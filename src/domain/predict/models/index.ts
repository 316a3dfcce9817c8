export * from './model.js';
export * from './linear-algebra.js';
export * from './logistic-regression.js';
export * from './ridge-regression.js';
export * from './baselines.js';
export * from './gradient-boosting.js';
export * from './tree.js';

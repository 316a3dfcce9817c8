// Evaluating a regression tree (shared by training and prediction).
import type { TreeNode } from './model.js';

/** The output of one tree for a feature row. */
export function treeValue(node: TreeNode, x: readonly number[]): number {
  let current = node;
  for (let guard = 0; guard < 64 && !('value' in current); guard++) {
    current = x[current.feature]! <= current.threshold ? current.left : current.right;
  }
  if (!('value' in current)) throw new RangeError('tree is deeper than 64 levels; the stored model is corrupt, retrain it');
  return current.value;
}

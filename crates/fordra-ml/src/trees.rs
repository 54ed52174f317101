//! Gradient-boosted trees, learned by forust-ml (XGBoost-style histogram boosting), with a flat
//! row-at-a-time predictor for scoring many invoices fast and Shapley contributions for reasons.

use crate::features::Rows;
use forust_ml::gradientbooster::ContributionsMethod;
use forust_ml::metric::Metric;
use forust_ml::objective::ObjectiveType;
use forust_ml::{GradientBooster, Matrix};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// What the trees predict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Binary outcome; predictions are log-odds.
    Log,
    /// A number (days late); predictions are its expected value.
    Squared,
}

/// Settings fixed for every creditor: shallow trees (interactions of up to four factors), a
/// moderate learning rate, 64 bins per feature.
const MAX_ITERATIONS: usize = 60;
const LEARNING_RATE: f32 = 0.15;
const MAX_DEPTH: usize = 4;
const BINS: u16 = 64;

/// A node of the flat predictor: a split on `feature` at `value`, or (`LEAF` set in `feature`) a
/// leaf worth `value` whose children are itself, so a walk of fixed length ends on it. 24 bytes,
/// so a tree of depth 4 fits in a few cache lines.
#[derive(Clone, Copy, Debug)]
struct Node {
    value: f64,
    feature: u32,
    left: u32,
    right: u32,
    missing: u32,
}

const LEAF: u32 = 1 << 31;

/// Each tree's (root, depth), and all nodes.
type Flat = (Vec<(usize, usize)>, Vec<Node>);

/// Directions known in advance, which the trees may not contradict however little data they
/// have: more and longer lateness before never lowers the risk or the days late, a better
/// credit score never raises them.
fn monotone() -> forust_ml::constraints::ConstraintMap {
    use forust_ml::constraints::Constraint;
    [
        ("prior_late_share", Constraint::Positive),
        ("prior_mean_days_late", Constraint::Positive),
        ("prior_max_days_late", Constraint::Positive),
        ("credit_score", Constraint::Negative),
    ]
    .into_iter()
    .filter_map(|(name, c)| crate::features::index_of(name).map(|i| (i, c)))
    .collect()
}

/// Makes every tree monotone in the constrained features. forust-ml keeps a constrained split's
/// children in order, and bounds the weights below it only where a later split is on a
/// constrained feature too, so a split on another feature can still cross the bound. This
/// applies the bounds XGBoost applies while growing, afterwards: below a split on a feature
/// that must raise the prediction, every weight on the left is at most the middle of the two
/// children's and every weight on the right at least that (the reverse for one that must lower
/// it). Two rows differing only in that feature part at such a split, so the one with the
/// higher value never ends on a lower leaf.
#[allow(clippy::indexing_slicing, reason = "children are positions in the same tree's nodes, as forust builds them")]
fn clamp_monotone(b: &mut GradientBooster, constraints: &forust_ml::constraints::ConstraintMap) {
    use forust_ml::constraints::Constraint;
    for t in &mut b.trees {
        let mut stack = vec![(0usize, f32::NEG_INFINITY, f32::INFINITY)];
        while let Some((i, lo, hi)) = stack.pop() {
            let n = &mut t.nodes[i];
            n.weight_value = n.weight_value.clamp(lo, hi);
            if n.is_leaf {
                continue;
            }
            let (l, r, missing, feature) = (n.left_child, n.right_child, n.missing_node, n.split_feature);
            let mid = (t.nodes[l].weight_value.clamp(lo, hi) + t.nodes[r].weight_value.clamp(lo, hi)) / 2.0;
            let (left, right) = match constraints.get(&feature) {
                Some(Constraint::Positive) => ((lo, mid), (mid, hi)),
                Some(Constraint::Negative) => ((mid, hi), (lo, mid)),
                _ => ((lo, hi), (lo, hi)),
            };
            stack.push((l, left.0, left.1));
            stack.push((r, right.0, right.1));
            if missing != l && missing != r {
                stack.push((missing, lo, hi));
            }
        }
    }
}

fn booster(loss: Loss, n: usize, iterations: usize) -> GradientBooster {
    // Leaves must hold enough invoices that they describe behaviour, not noise: a minimum
    // hessian mass (about 0.2 per invoice under log loss, 1 under squared loss) that grows
    // with the data.
    let n = n as f32;
    let (objective, min_leaf) = match loss {
        Loss::Log => (ObjectiveType::LogLoss, (n / 2000.0).max(5.0)),
        Loss::Squared => (ObjectiveType::SquaredLoss, (n / 500.0).max(20.0)),
    };
    GradientBooster::default()
        .set_monotone_constraints(Some(monotone()))
        .set_objective_type(objective)
        .set_iterations(iterations)
        .set_learning_rate(LEARNING_RATE)
        .set_max_depth(MAX_DEPTH)
        .set_nbins(BINS)
        .set_min_leaf_weight(min_leaf)
        .set_seed(7)
}

/// A gradient-boosted tree ensemble, with its trees flattened for fast scoring.
#[derive(Serialize, Deserialize)]
pub struct Trees {
    booster: GradientBooster,
    /// All trees' (root, depth) and nodes in one array, built on first use; children are
    /// absolute indexes.
    #[serde(skip)]
    flat: OnceLock<Flat>,
}

impl std::fmt::Debug for Trees {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Trees({} trees, base {})", self.booster.trees.len(), self.booster.base_score)
    }
}

impl Trees {
    /// Fits on the rows `idx` of `x` (in time order) with targets `y` (0/1 for `Loss::Log`).
    /// The number of trees is chosen first by early stopping on the most recent fifth of the
    /// training window (a small history overfits quickly), then the trees are grown on all of it.
    #[allow(clippy::indexing_slicing, reason = "idx are row positions; rows are `cols` wide")]
    pub fn fit(x: &Rows, idx: &[usize], y: &[f64], loss: Loss) -> Result<Trees, crate::MlError> {
        let err = |e: forust_ml::errors::ForustError| crate::MlError::Trees(e.to_string());
        let mut iterations = MAX_ITERATIONS;
        if idx.len() >= 50 {
            let cut = idx.len() * 4 / 5;
            let (fit, val) = (x.select(&idx[..cut]), x.select(&idx[cut..]));
            let (fc, vc) = (fit.columns(), val.columns());
            let (fm, vm) = (Matrix::new(&fc, fit.len(), fit.cols), Matrix::new(&vc, val.len(), val.cols));
            let metric = match loss {
                Loss::Log => Metric::LogLoss,
                Loss::Squared => Metric::RootMeanSquaredError,
            };
            let mut b = booster(loss, cut, MAX_ITERATIONS)
                .set_evaluation_metric(Some(metric))
                .set_early_stopping_rounds(Some(8));
            let (fw, vw) = (vec![1.0; fit.len()], vec![1.0; val.len()]);
            b.fit(&fm, &y[..cut], &fw, Some(vec![(vm, &y[cut..], &vw)])).map_err(err)?;
            iterations = b.prediction_iteration.unwrap_or(MAX_ITERATIONS).max(5);
        }
        let sub = x.select(idx);
        let cols = sub.columns();
        let m = Matrix::new(&cols, sub.len(), sub.cols);
        let mut b = booster(loss, idx.len(), iterations);
        b.fit_unweighted(&m, y, None).map_err(err)?;
        clamp_monotone(&mut b, &monotone());
        // Used only while growing; a hash map, whose order would make the stored file differ
        // from one training to the next.
        b.monotone_constraints = None;
        Ok(Trees { booster: b, flat: OnceLock::new() })
    }

    fn flat(&self) -> &Flat {
        self.flat.get_or_init(|| {
            let mut roots = Vec::new();
            let mut nodes = Vec::new();
            for t in &self.booster.trees {
                let off = nodes.len();
                roots.push((off, t.nodes.iter().map(|n| n.depth).max().unwrap_or(0)));
                nodes.extend(t.nodes.iter().enumerate().map(|(i, n)| {
                    let (l, r, m) = if n.is_leaf { (i, i, i) } else { (n.left_child, n.right_child, n.missing_node) };
                    Node {
                        value: if n.is_leaf { f64::from(n.weight_value) } else { n.split_value },
                        feature: if n.is_leaf { LEAF } else { n.split_feature as u32 },
                        left: (off + l) as u32,
                        right: (off + r) as u32,
                        missing: (off + m) as u32,
                    }
                }));
            }
            (roots, nodes)
        })
    }

    /// One step down from `n` for `row` (a leaf steps to itself).
    #[inline(always)]
    #[allow(clippy::indexing_slicing, reason = "a split's feature is below the row width the trees were grown on")]
    fn step(n: &Node, row: &[f64]) -> u32 {
        let v = row[(n.feature & !LEAF) as usize];
        // Selects, not branches: which way a row goes is unpredictable, a select is not.
        let next = if v < n.value { n.left } else { n.right };
        if v.is_nan() {
            n.missing
        } else {
            next
        }
    }

    #[allow(clippy::indexing_slicing, reason = "child indexes point inside the flattened node array built with them")]
    fn leaf(nodes: &[Node], root: usize, row: &[f64]) -> f64 {
        let mut n = &nodes[root];
        while n.feature & LEAF == 0 {
            n = &nodes[Self::step(n, row) as usize];
        }
        n.value
    }

    /// The raw prediction (log-odds for `Loss::Log`) for one row: the same sum, in the same
    /// order, as forust's own predictor.
    pub fn raw(&self, row: &[f64]) -> f64 {
        let (roots, nodes) = self.flat();
        roots.iter().fold(self.booster.base_score, |s, r| s + Self::leaf(nodes, r.0, row))
    }

    /// Raw predictions for a block of rows (row-major, `cols` wide) into `out`: tree by tree, so
    /// each tree stays in the fastest cache while the block goes through it, and level by level,
    /// so every row takes the same number of steps and no branch depends on the data. Same sums
    /// as `raw`.
    #[allow(clippy::indexing_slicing, reason = "out has one slot per row of the block")]
    pub fn raw_block(&self, rows: &[f64], cols: usize, out: &mut [f64]) {
        let (roots, nodes) = self.flat();
        out.fill(self.booster.base_score);
        let mut at = vec![0u32; out.len()];
        for &(root, depth) in roots {
            at.fill(root as u32);
            for _ in 0..depth {
                for (a, row) in at.iter_mut().zip(rows.chunks_exact(cols)) {
                    *a = Self::step(&nodes[*a as usize], row);
                }
            }
            for (o, a) in out.iter_mut().zip(&at) {
                *o += nodes[*a as usize].value;
            }
        }
    }

    /// Shapley contributions of each feature to the raw prediction, per row, followed by the
    /// bias (the expected raw prediction); together they add up to `raw`.
    pub fn contributions(&self, x: &Rows) -> Vec<Vec<f64>> {
        let cols = x.columns();
        let m = Matrix::new(&cols, x.len(), x.cols);
        let c = self.booster.predict_contributions(&m, ContributionsMethod::Shapley, false);
        c.chunks_exact(x.cols + 1).map(<[f64]>::to_vec).collect()
    }

    /// Number of trees.
    pub fn trees(&self) -> usize {
        self.booster.trees.len()
    }

    #[cfg(test)]
    fn forust_predict(&self, x: &Rows) -> Vec<f64> {
        let cols = x.columns();
        self.booster.predict(&Matrix::new(&cols, x.len(), x.cols), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Rows, Vec<f64>) {
        let mut d = Vec::new();
        let mut y = Vec::new();
        for i in 0..600 {
            let a = (i % 17) as f64;
            let b = ((i * 7) % 11) as f64;
            d.extend([a, b, (i % 3) as f64]);
            y.push(if a > 8.0 && b > 3.0 { 1.0 } else { 0.0 });
        }
        (Rows { cols: 3, data: d }, y)
    }

    #[test]
    fn flat_predictor_equals_forust_and_contributions_add_up() {
        let (x, y) = data();
        let idx: Vec<usize> = (0..x.len()).collect();
        let t = Trees::fit(&x, &idx, &y, Loss::Log).unwrap();
        let theirs = t.forust_predict(&x);
        for (i, v) in theirs.iter().enumerate() {
            assert_eq!(t.raw(x.row(i)), *v);
        }
        let mut block = vec![0.0; x.len()];
        t.raw_block(&x.data, x.cols, &mut block);
        assert_eq!(block, theirs);
        assert!(t.raw(&[12.0, 8.0, 0.0]) > 2.0 && t.raw(&[2.0, 8.0, 0.0]) < -2.0);
        let c = t.contributions(&x.select(&[0, 100]));
        for (k, i) in [0usize, 100].iter().enumerate() {
            let sum: f64 = c[k].iter().sum::<f64>();
            assert!((sum - t.raw(x.row(*i))).abs() < 1e-3, "{sum} vs {}", t.raw(x.row(*i)));
        }
        // The noise column explains nothing.
        assert!(c[0][2].abs() < c[0][0].abs());
    }

    #[test]
    fn training_is_repeatable_and_survives_a_save() {
        let (x, y) = data();
        let idx: Vec<usize> = (0..x.len()).collect();
        let a = serde_json::to_string(&Trees::fit(&x, &idx, &y, Loss::Squared).unwrap()).unwrap();
        let b = serde_json::to_string(&Trees::fit(&x, &idx, &y, Loss::Squared).unwrap()).unwrap();
        assert_eq!(a, b);
        let back: Trees = serde_json::from_str(&a).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), a);
    }
}

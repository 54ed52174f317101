//! Logistic regression (Newton / IRLS with an L2 penalty) on standardised features: the
//! interpretable comparison model beside the trees. Hand-written because it is a few dozen lines
//! of linear algebra for a dozen features, deterministic, with no Python at run time.

// Matrix arithmetic reads clearest with explicit row and column indices.
#![allow(clippy::needless_range_loop)]

use crate::features::Rows;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Standardises features (mean 0, standard deviation 1) as learnt from the training rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Each feature's mean.
    pub mean: Vec<f64>,
    /// Each feature's standard deviation (1 where it does not vary).
    pub sd: Vec<f64>,
}

impl Scaler {
    /// Learns the means and deviations of the rows at `idx`.
    pub fn fit(x: &Rows, idx: &[usize]) -> Scaler {
        let d = x.cols;
        let n = idx.len().max(1) as f64;
        let mut mean = vec![0.0; d];
        idx.iter().for_each(|i| x.row(*i).iter().zip(&mut mean).for_each(|(v, m)| *m += v / n));
        let mut var = vec![0.0; d];
        idx.iter()
            .for_each(|i| x.row(*i).iter().zip(&mean).zip(&mut var).for_each(|((v, m), s)| *s += (v - m).powi(2) / n));
        Scaler { mean, sd: var.into_iter().map(|v| if v.sqrt() > 1e-12 { v.sqrt() } else { 1.0 }).collect() }
    }
    /// Standardised row with a leading 1 for the intercept.
    pub fn row(&self, r: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.push(1.0);
        out.extend(r.iter().zip(&self.mean).zip(&self.sd).map(|((v, m), s)| (v - m) / s));
    }
}

/// Solves `a · x = b` (a symmetric positive definite, small) by Gaussian elimination with pivoting.
#[allow(clippy::indexing_slicing, reason = "a is n × n and b has n entries; every index is below n")]
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n).max_by(|i, j| a[*i][col].abs().total_cmp(&a[*j][col].abs()))?;
        if a[piv][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for r in col + 1..n {
            let f = a[r][col] / a[col][col];
            for c in col..n {
                a[r][c] -= f * a[col][c];
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}

/// The logistic function: log-odds to a probability.
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// A logistic regression of paying late on the standardised features (a transparent baseline).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    /// How features are standardised before the weights apply.
    pub scaler: Scaler,
    /// Intercept first, then one weight per standardised feature.
    pub weights: Vec<f64>,
}

impl Logistic {
    /// Fits P(y) on the rows `idx` by Newton's method on the penalised log likelihood.
    #[allow(clippy::indexing_slicing, reason = "rows are `cols` wide and weights cols + 1 long; idx are row positions")]
    pub fn fit(x: &Rows, idx: &[usize], y: &[bool], l2: f64) -> Logistic {
        let scaler = Scaler::fit(x, idx);
        let d = x.cols + 1;
        let mut w = vec![0.0; d];
        let base = (y.iter().filter(|v| **v).count() as f64 / y.len().max(1) as f64).clamp(1e-6, 1.0 - 1e-6);
        w[0] = (base / (1.0 - base)).ln();
        for _ in 0..25 {
            // Gradient and (upper triangle of the) Hessian, summed over chunks in parallel; the
            // chunks are fixed and added in order, so the result does not depend on threads.
            let parts: Vec<(Vec<Vec<f64>>, Vec<f64>)> = idx
                .par_chunks(8192)
                .zip(y.par_chunks(8192))
                .map(|(ids, ys)| {
                    let mut h = vec![vec![0.0; d]; d];
                    let mut g = vec![0.0; d];
                    let mut r = Vec::with_capacity(d);
                    for (i, yi) in ids.iter().zip(ys) {
                        scaler.row(x.row(*i), &mut r);
                        let p = sigmoid(r.iter().zip(&w).map(|(a, b)| a * b).sum());
                        let err = p - f64::from(u8::from(*yi));
                        let s = (p * (1.0 - p)).max(1e-9);
                        for a in 0..d {
                            g[a] += err * r[a];
                            let sa = s * r[a];
                            for b in a..d {
                                h[a][b] += sa * r[b];
                            }
                        }
                    }
                    (h, g)
                })
                .collect();
            let mut h = vec![vec![0.0; d]; d];
            let mut g = vec![0.0; d];
            for (ph, pg) in parts {
                for a in 0..d {
                    g[a] += pg[a];
                    for b in a..d {
                        h[a][b] += ph[a][b];
                    }
                }
            }
            for a in 0..d {
                for b in 0..a {
                    h[a][b] = h[b][a];
                }
                if a > 0 {
                    h[a][a] += l2;
                    g[a] += l2 * w[a];
                }
            }
            let Some(step) = solve(h, g) else { break };
            let mut max = 0.0f64;
            for a in 0..d {
                w[a] -= step[a];
                max = max.max(step[a].abs());
            }
            if max < 1e-8 {
                break;
            }
        }
        Logistic { scaler, weights: w }
    }

    /// P(paid late) for a feature row.
    pub fn predict(&self, r: &[f64]) -> f64 {
        let mut s = Vec::with_capacity(r.len() + 1);
        self.scaler.row(r, &mut s);
        sigmoid(s.iter().zip(&self.weights).map(|(a, b)| a * b).sum())
    }

    /// Each feature's push on the log-odds for this row (weight × standardised value).
    pub fn contributions(&self, r: &[f64]) -> Vec<f64> {
        let mut s = Vec::with_capacity(r.len() + 1);
        self.scaler.row(r, &mut s);
        s.iter().zip(&self.weights).skip(1).map(|(a, b)| a * b).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_recovers_a_planted_rule() {
        // y = 1 when x0 > 0.5 (x1 is noise): the model must rank by x0.
        let mut data = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            let a = (i % 20) as f64 / 20.0;
            let b = ((i * 7) % 13) as f64;
            data.extend([a, b]);
            y.push(a > 0.5);
        }
        let x = Rows { cols: 2, data };
        let idx: Vec<usize> = (0..400).collect();
        let m = Logistic::fit(&x, &idx, &y, 1.0);
        assert!(m.predict(&[0.9, 3.0]) > 0.9);
        assert!(m.predict(&[0.1, 3.0]) < 0.1);
        assert!(m.weights[1].abs() > 5.0 * m.weights[2].abs(), "{:?}", m.weights);
    }
}

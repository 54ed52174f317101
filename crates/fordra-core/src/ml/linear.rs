//! Logistic regression (Newton / IRLS with an L2 penalty) and ridge regression, on standardised
//! features. Hand-written: a few dozen lines of linear algebra for a handful of features, no
//! Python at run time, deterministic results.

// Matrix arithmetic reads clearest with explicit row and column indices.
#![allow(clippy::needless_range_loop)]

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
}

impl Scaler {
    pub fn fit(x: &[Vec<f64>]) -> Scaler {
        let d = x.first().map_or(0, Vec::len);
        let n = x.len().max(1) as f64;
        let mean: Vec<f64> = (0..d).map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n).collect();
        let sd = (0..d).map(|j| (x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n).sqrt()).map(|s| if s > 1e-12 { s } else { 1.0 }).collect();
        Scaler { mean, sd }
    }
    /// Standardised row with a leading 1 for the intercept.
    pub fn row(&self, r: &[f64]) -> Vec<f64> {
        std::iter::once(1.0).chain(r.iter().zip(&self.mean).zip(&self.sd).map(|((v, m), s)| (v - m) / s)).collect()
    }
}

/// Solves `a · x = b` (a symmetric positive definite, small) by Gaussian elimination with pivoting.
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

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    pub scaler: Scaler,
    /// Intercept first, then one weight per standardised feature.
    pub weights: Vec<f64>,
}

impl Logistic {
    /// Fits P(y) by Newton's method on the penalised log likelihood.
    pub fn fit(x: &[Vec<f64>], y: &[bool], l2: f64) -> Logistic {
        let scaler = Scaler::fit(x);
        let rows: Vec<Vec<f64>> = x.iter().map(|r| scaler.row(r)).collect();
        let d = rows.first().map_or(1, Vec::len);
        let mut w = vec![0.0; d];
        let base = y.iter().filter(|v| **v).count() as f64 / y.len().max(1) as f64;
        w[0] = (base.clamp(1e-6, 1.0 - 1e-6) / (1.0 - base.clamp(1e-6, 1.0 - 1e-6))).ln();
        for _ in 0..25 {
            let mut h = vec![vec![0.0; d]; d];
            let mut g = vec![0.0; d];
            for (r, yi) in rows.iter().zip(y) {
                let p = sigmoid(r.iter().zip(&w).map(|(a, b)| a * b).sum());
                let err = p - f64::from(u8::from(*yi));
                let s = (p * (1.0 - p)).max(1e-9);
                for i in 0..d {
                    g[i] += err * r[i];
                    for j in i..d {
                        h[i][j] += s * r[i] * r[j];
                    }
                }
            }
            for i in 0..d {
                for j in 0..i {
                    h[i][j] = h[j][i];
                }
                if i > 0 {
                    h[i][i] += l2;
                    g[i] += l2 * w[i];
                }
            }
            let Some(step) = solve(h, g) else { break };
            let mut max = 0.0f64;
            for i in 0..d {
                w[i] -= step[i];
                max = max.max(step[i].abs());
            }
            if max < 1e-8 {
                break;
            }
        }
        Logistic { scaler, weights: w }
    }

    pub fn predict(&self, r: &[f64]) -> f64 {
        sigmoid(self.scaler.row(r).iter().zip(&self.weights).map(|(a, b)| a * b).sum())
    }

    /// Each feature's push on the log-odds for this row (weight × standardised value).
    pub fn contributions(&self, r: &[f64]) -> Vec<f64> {
        self.scaler.row(r).iter().zip(&self.weights).skip(1).map(|(a, b)| a * b).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ridge {
    pub scaler: Scaler,
    pub weights: Vec<f64>,
}

impl Ridge {
    pub fn fit(x: &[Vec<f64>], y: &[f64], l2: f64) -> Ridge {
        let scaler = Scaler::fit(x);
        let rows: Vec<Vec<f64>> = x.iter().map(|r| scaler.row(r)).collect();
        let d = rows.first().map_or(1, Vec::len);
        let mut a = vec![vec![0.0; d]; d];
        let mut b = vec![0.0; d];
        for (r, yi) in rows.iter().zip(y) {
            for i in 0..d {
                b[i] += r[i] * yi;
                for j in 0..d {
                    a[i][j] += r[i] * r[j];
                }
            }
        }
        for (i, row) in a.iter_mut().enumerate().skip(1) {
            row[i] += l2;
        }
        let weights = solve(a, b).unwrap_or_else(|| vec![0.0; d]);
        Ridge { scaler, weights }
    }
    pub fn predict(&self, r: &[f64]) -> f64 {
        self.scaler.row(r).iter().zip(&self.weights).map(|(a, b)| a * b).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_recovers_a_planted_rule() {
        // y = 1 when x0 > 0.5 (with noise in x1): the model must rank by x0.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            let a = (i % 20) as f64 / 20.0;
            let b = ((i * 7) % 13) as f64;
            x.push(vec![a, b]);
            y.push(a > 0.5);
        }
        let m = Logistic::fit(&x, &y, 1.0);
        assert!(m.predict(&[0.9, 3.0]) > 0.9);
        assert!(m.predict(&[0.1, 3.0]) < 0.1);
        assert!(m.weights[1].abs() > 5.0 * m.weights[2].abs(), "{:?}", m.weights);
    }

    #[test]
    fn ridge_fits_a_line() {
        let x: Vec<Vec<f64>> = (0..50).map(|i| vec![i as f64]).collect();
        let y: Vec<f64> = (0..50).map(|i| 3.0 + 2.0 * i as f64).collect();
        let m = Ridge::fit(&x, &y, 0.0);
        assert!((m.predict(&[10.0]) - 23.0).abs() < 1e-6);
    }
}

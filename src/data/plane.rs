//! The 2-D plane of feature space the view shows. With two features it is the data's own plane;
//! with more it is either a *slice* (two chosen features vary, every other one is held at its
//! median) or the first two *principal components* (the plane through the mean spanned by the
//! directions of largest variance). Grid pixels are points of the plane mapped back to feature
//! space (`lift`), so the boundary drawn is the classifier's own decision on that plane; data
//! points are drawn at their orthogonal projection onto it (`project`).

use super::{Bounds, Dataset};

#[derive(Clone, Debug, PartialEq)]
pub enum PlaneKind {
    /// Features `i` and `j` on the axes, the others at `origin`.
    Slice { i: usize, j: usize },
    /// Principal components; the share of the total variance each axis explains.
    Pca { explained: [f32; 2] },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    pub kind: PlaneKind,
    /// A point of feature space at view coordinates (0, 0) (or the held values, for a slice).
    pub origin: Vec<f32>,
    /// Unit directions of the view's x and y axes in feature space (orthonormal).
    pub u: Vec<f32>,
    pub v: Vec<f32>,
}

impl Plane {
    /// Features `i` and `j` against each other, the others held at the data's per-feature median
    /// (for a one-hot column that is its most common level's indicator, 0 or 1).
    pub fn slice(data: &Dataset, i: usize, j: usize) -> Plane {
        let d = data.dim.max(1);
        let origin: Vec<f32> = (0..d)
            .map(|k| {
                let mut col: Vec<f32> = (0..data.len()).map(|r| data.row(r)[k]).collect();
                col.sort_by(|a, b| a.total_cmp(b));
                if col.is_empty() { 0.0 } else { col[col.len() / 2] }
            })
            .collect();
        Plane::through(origin, i, j)
    }

    /// The first two coordinate axes through the origin of a `dim`-dimensional space.
    pub fn axes(dim: usize) -> Plane {
        Plane::through(vec![0.0; dim.max(1)], 0, 1)
    }

    /// The plane of the data's first two features (what a 2-D dataset is).
    pub fn first_two(data: &Dataset) -> Plane {
        if data.dim <= 2 { Plane::axes(data.dim) } else { Plane::slice(data, 0, 1) }
    }

    /// Features `i` and `j` vary, the others stay at `held`; with one feature the view's y axis
    /// is flat.
    fn through(mut held: Vec<f32>, i: usize, j: usize) -> Plane {
        let d = held.len();
        let (i, j) = (i.min(d - 1), j.min(d - 1));
        held[i] = 0.0;
        held[j] = 0.0;
        let unit = |k: usize| (0..d).map(|m| if m == k { 1.0 } else { 0.0 }).collect::<Vec<f32>>();
        let v = if i == j { vec![0.0; d] } else { unit(j) };
        Plane { kind: PlaneKind::Slice { i, j }, origin: held, u: unit(i), v }
    }

    /// The first two principal components of the (already standardised) data, by power iteration
    /// on the covariance matrix with deflation; deterministic (fixed start vector). Signs are
    /// fixed so that each direction's largest-magnitude entry is positive.
    pub fn pca(data: &Dataset) -> Plane {
        let d = data.dim.max(1);
        let n = data.len().max(1) as f64;
        let mut mean = vec![0.0f64; d];
        for r in 0..data.len() {
            for (m, &x) in mean.iter_mut().zip(data.row(r)) {
                *m += x as f64 / n;
            }
        }
        // cov: [d, d], row-major.
        let mut cov = vec![0.0f64; d * d];
        for r in 0..data.len() {
            let row = data.row(r);
            for a in 0..d {
                let da = row[a] as f64 - mean[a];
                for b in a..d {
                    cov[a * d + b] += da * (row[b] as f64 - mean[b]) / n;
                }
            }
        }
        for a in 0..d {
            for b in 0..a {
                cov[a * d + b] = cov[b * d + a];
            }
        }
        let total: f64 = (0..d).map(|a| cov[a * d + a]).sum::<f64>().max(1e-300);
        let (u, lu) = top_eigenvector(&cov, d, None);
        let (v, lv) = top_eigenvector(&cov, d, Some(&u));
        let f = |x: Vec<f64>| x.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
        Plane {
            kind: PlaneKind::Pca { explained: [(lu / total) as f32, (lv / total) as f32] },
            origin: f(mean),
            u: f(u),
            v: f(v),
        }
    }

    pub fn dim(&self) -> usize {
        self.origin.len()
    }

    /// View coordinates of a feature-space point: its projection onto the plane.
    pub fn project(&self, x: &[f32]) -> (f32, f32) {
        let (mut a, mut b) = (0.0, 0.0);
        for k in 0..self.dim().min(x.len()) {
            let dx = x[k] - self.origin[k];
            a += dx * self.u[k];
            b += dx * self.v[k];
        }
        (a, b)
    }

    /// The feature-space point at view coordinates `(a, b)`.
    pub fn lift(&self, a: f32, b: f32) -> Vec<f32> {
        (0..self.dim()).map(|k| self.origin[k] + a * self.u[k] + b * self.v[k]).collect()
    }

    /// Square bounds around the projected data, padded by `pad` of the span.
    pub fn bounds(&self, data: &Dataset, pad: f32) -> Bounds {
        Bounds::around((0..data.len()).map(|r| self.project(data.row(r))), pad)
    }

    /// Feature-space points of a `res x res` grid over `bounds` (row 0 at the top), `[res * res,
    /// dim]` row-major: what the classifier is asked about to paint the boundary.
    pub fn grid_points(&self, bounds: Bounds, res: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(res * res * self.dim());
        for row in 0..res {
            for col in 0..res {
                let (a, b) = bounds.pixel_to_data(res, col as f32 + 0.5, row as f32 + 0.5);
                out.extend(self.lift(a, b));
            }
        }
        out
    }

    /// What the view shows, for the page ("slice: petal_length x petal_width, others at their
    /// median" / "PCA: PC1 (73%) x PC2 (23%)").
    pub fn describe(&self, names: &[String]) -> String {
        let name = |k: usize| names.get(k).cloned().unwrap_or_else(|| format!("feature {}", k + 1));
        match self.kind {
            PlaneKind::Slice { i, j } if self.dim() <= 2 => format!("{} x {}", name(i), name(j)),
            PlaneKind::Slice { i, j } => format!("Slice: {} x {}, the other features held at their median", name(i), name(j)),
            PlaneKind::Pca { explained } => format!(
                "PCA: PC1 ({:.0}% of the variance) x PC2 ({:.0}%); points are projected onto this plane",
                explained[0] * 100.0,
                explained[1] * 100.0
            ),
        }
    }

    /// Axis titles.
    pub fn axis_names(&self, names: &[String]) -> (String, String) {
        let name = |k: usize| names.get(k).cloned().unwrap_or_else(|| format!("feature {}", k + 1));
        match self.kind {
            PlaneKind::Slice { i, j } => (name(i), name(j)),
            PlaneKind::Pca { .. } => ("PC1".into(), "PC2".into()),
        }
    }
}

/// The unit eigenvector of the largest eigenvalue of the symmetric `[d, d]` matrix `m`,
/// orthogonal to `deflate` if given, and its eigenvalue.
fn top_eigenvector(m: &[f64], d: usize, deflate: Option<&[f64]>) -> (Vec<f64>, f64) {
    let project_out = |x: &mut Vec<f64>| {
        if let Some(p) = deflate {
            let dot: f64 = x.iter().zip(p).map(|(a, b)| a * b).sum();
            for (xi, pi) in x.iter_mut().zip(p) {
                *xi -= dot * pi;
            }
        }
    };
    let normalise = |x: &mut Vec<f64>| {
        let n = x.iter().map(|a| a * a).sum::<f64>().sqrt();
        if n > 0.0 {
            x.iter_mut().for_each(|a| *a /= n);
        }
        n
    };
    // A start vector with every component non-zero and distinct, so no eigenvector is missed by
    // symmetry.
    let mut x: Vec<f64> = (0..d).map(|k| 1.0 + 0.1 * k as f64).collect();
    project_out(&mut x);
    normalise(&mut x);
    let mut lambda = 0.0;
    for _ in 0..500 {
        let mut y: Vec<f64> = (0..d).map(|a| (0..d).map(|b| m[a * d + b] * x[b]).sum()).collect();
        project_out(&mut y);
        lambda = normalise(&mut y);
        if lambda == 0.0 {
            break;
        }
        let change: f64 = y.iter().zip(&x).map(|(a, b)| (a - b).abs()).sum();
        x = y;
        if change < 1e-12 {
            break;
        }
    }
    if lambda == 0.0 {
        // Degenerate data: any direction orthogonal to `deflate` will do.
        x = (0..d).map(|k| if k == usize::from(deflate.is_some()).min(d - 1) { 1.0 } else { 0.0 }).collect();
        project_out(&mut x);
        normalise(&mut x);
    }
    let big = x.iter().copied().fold(0.0f64, |m, a| if a.abs() > m.abs() { a } else { m });
    if big < 0.0 {
        x.iter_mut().for_each(|a| *a = -*a);
    }
    (x, lambda)
}

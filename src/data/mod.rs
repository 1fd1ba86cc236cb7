//! Data: labelled points (any dimension), the toy generators, user edits and the train/test split.
//!
//! Everything here is plain host data; the `classifiers` layer moves it onto a device.

pub mod plane;
pub mod table;
pub mod toy;

pub use toy::{DatasetKind, ToyConfig, generate};

use crate::rng::Rng;

/// Labelled points, row-major. `x.len() == n * dim`, `y[i] < n_classes`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub dim: usize,
    pub x: Vec<f32>,
    pub y: Vec<u32>,
    pub n_classes: usize,
    /// Display names of the classes (`"0"`, `"1"`, ... for toy data).
    pub class_names: Vec<String>,
    /// Display names of the feature axes.
    pub feature_names: Vec<String>,
    /// Where each dimension comes from in the user's table (how a standardised number maps back
    /// to the file's units, which one-hot dimensions form one categorical column); empty: every
    /// dimension is a number as it is, named by `feature_names` (toy data).
    pub sources: Vec<FeatureSource>,
}

/// The column of the user's table behind one encoded dimension.
#[derive(Clone, Debug, PartialEq)]
pub enum FeatureSource {
    /// `encoded = (value - mean) / std`.
    Numeric { column: String, mean: f64, std: f64 },
    /// 1 when the column has this level, else 0.
    Level { column: String, level: String },
}

impl Dataset {
    pub fn new_2d(points: Vec<[f32; 2]>, labels: Vec<u32>, n_classes: usize) -> Self {
        let x = points.iter().flat_map(|p| [p[0], p[1]]).collect();
        Self {
            dim: 2,
            x,
            y: labels,
            n_classes,
            class_names: (0..n_classes).map(|c| c.to_string()).collect(),
            feature_names: vec!["x1".into(), "x2".into()],
            sources: Vec::new(),
        }
    }

    /// The source of dimension `d` (toy data: the number itself).
    pub fn source(&self, d: usize) -> FeatureSource {
        self.sources.get(d).cloned().unwrap_or_else(|| FeatureSource::Numeric {
            column: self.feature_names.get(d).cloned().unwrap_or_else(|| format!("x{}", d + 1)),
            mean: 0.0,
            std: 1.0,
        })
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.dim..(i + 1) * self.dim]
    }

    /// Mean and population standard deviation of each feature over the first `rows` rows (all
    /// when there are fewer), for standardising.
    pub fn feature_mean_std(&self, rows: usize) -> Vec<(f64, f64)> {
        let n = rows.min(self.len());
        (0..self.dim).map(|j| crate::eval::mean_std(&(0..n).map(|i| self.row(i)[j] as f64).collect::<Vec<_>>())).collect()
    }

    /// The rows at `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        let mut x = Vec::with_capacity(idx.len() * self.dim);
        for &i in idx {
            x.extend_from_slice(self.row(i));
        }
        Dataset { x, y: idx.iter().map(|&i| self.y[i]).collect(), ..self.clone_meta() }
    }

    fn clone_meta(&self) -> Dataset {
        Dataset {
            dim: self.dim,
            x: Vec::new(),
            y: Vec::new(),
            n_classes: self.n_classes,
            class_names: self.class_names.clone(),
            feature_names: self.feature_names.clone(),
            sources: self.sources.clone(),
        }
    }

    /// Appends `other`'s rows (same dimension and classes).
    pub fn extend(&mut self, other: &Dataset) {
        debug_assert_eq!(self.dim, other.dim);
        self.x.extend_from_slice(&other.x);
        self.y.extend_from_slice(&other.y);
    }

    /// Number of points per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.n_classes];
        for &y in &self.y {
            c[y as usize] += 1;
        }
        c
    }

    /// Axis-aligned bounds of the first two features, padded by `pad` (a fraction of the span)
    /// and widened to a square so circles look round.
    pub fn view_bounds(&self, pad: f32) -> Bounds {
        let second = if self.dim > 1 { 1 } else { 0 };
        Bounds::around((0..self.len()).map(|i| (self.row(i)[0], self.row(i)[second])), pad)
    }
}

/// The data-space rectangle a view shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub x: (f32, f32),
    pub y: (f32, f32),
}

impl Bounds {
    /// The square around `points`, padded by `pad` of the span (at least half a unit each way);
    /// `[-1, 1]^2` for no points.
    pub fn around(points: impl IntoIterator<Item = (f32, f32)>, pad: f32) -> Bounds {
        let (mut lo, mut hi) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
        for (a, b) in points {
            lo = [lo[0].min(a), lo[1].min(b)];
            hi = [hi[0].max(a), hi[1].max(b)];
        }
        if !lo[0].is_finite() {
            return Bounds { x: (-1.0, 1.0), y: (-1.0, 1.0) };
        }
        let half = ((hi[0] - lo[0]).max(hi[1] - lo[1]).max(1e-3) * (0.5 + pad)).max(0.5);
        let c = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
        Bounds { x: (c[0] - half, c[0] + half), y: (c[1] - half, c[1] + half) }
    }

    /// A canvas pixel position (origin top-left, `size` pixels per side) in view coordinates.
    pub fn pixel_to_data(&self, size: usize, px: f32, py: f32) -> (f32, f32) {
        let s = size as f32;
        (self.x.0 + (self.x.1 - self.x.0) * px / s, self.y.1 - (self.y.1 - self.y.0) * py / s)
    }
}

/// A point the user drew (added) on top of the generated data. Drawn points always train.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrawnPoint {
    pub x: f32,
    pub y: f32,
    pub class: u32,
}

/// `data` with the user's edits, in order: the points at `removed` left out, `added` appended (a
/// 2-D dataset only; a drawn point's class is clamped to the dataset's classes).
pub fn edited(data: &Dataset, removed: &[usize], added: &[DrawnPoint]) -> Dataset {
    let keep: Vec<usize> = (0..data.len()).filter(|i| !removed.contains(i)).collect();
    let mut out = data.subset(&keep);
    if data.dim == 2 && !added.is_empty() {
        out.extend(&drawn(added, data.n_classes));
    }
    out
}

fn drawn(added: &[DrawnPoint], n_classes: usize) -> Dataset {
    let points = added.iter().map(|p| [p.x, p.y]).collect();
    let labels = added.iter().map(|p| p.class.min(n_classes as u32 - 1)).collect();
    Dataset::new_2d(points, labels, n_classes)
}

/// Train and test sets, derived deterministically from a dataset, the user's edits and a seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub train: Dataset,
    pub test: Dataset,
}

/// Stratified split: each class is shuffled (seeded) and `frac` of it goes to train, so small
/// classes are represented on both sides. `removed` are indices into `data` the user erased;
/// `added` points join the training set.
pub fn split(data: &Dataset, frac: f64, seed: u64, removed: &[usize], added: &[DrawnPoint]) -> Split {
    let mut rng = Rng::derive(seed, 0x5B11);
    let mut train_idx = Vec::new();
    let mut test_idx = Vec::new();
    for c in 0..data.n_classes as u32 {
        let mut idx: Vec<usize> =
            (0..data.len()).filter(|&i| data.y[i] == c && !removed.contains(&i)).collect();
        rng.shuffle(&mut idx);
        let k = (idx.len() as f64 * frac).round() as usize;
        train_idx.extend_from_slice(&idx[..k]);
        test_idx.extend_from_slice(&idx[k..]);
    }
    // Interleave classes again so minibatches are not sorted by class.
    rng.shuffle(&mut train_idx);
    rng.shuffle(&mut test_idx);
    let mut train = data.subset(&train_idx);
    if data.dim == 2 && !added.is_empty() {
        train.extend(&drawn(added, data.n_classes));
    }
    Split { train, test: data.subset(&test_idx) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stratified_disjoint_and_seeded() {
        let d = toy::generate(&ToyConfig { kind: DatasetKind::Blobs, n: 300, classes: 3, ..Default::default() });
        let s = split(&d, 0.8, 1, &[], &[]);
        assert_eq!(s.train.len() + s.test.len(), 300);
        assert_eq!(s.train.class_counts(), vec![80, 80, 80]);
        assert_eq!(s, split(&d, 0.8, 1, &[], &[]));
        assert_ne!(s, split(&d, 0.8, 2, &[], &[]));
    }

    #[test]
    fn edited_keeps_row_order() {
        let d = toy::generate(&ToyConfig { n: 10, ..Default::default() });
        let e = edited(&d, &[1, 5], &[DrawnPoint { x: 0.5, y: 0.5, class: 9 }]);
        assert_eq!(e.len(), 9);
        assert_eq!(e.row(1), d.row(2));
        assert_eq!((e.row(8), e.y[8]), (&[0.5f32, 0.5][..], 1), "a drawn point's class is clamped");
    }

    #[test]
    fn edits_remove_and_add_points() {
        let d = toy::generate(&ToyConfig { n: 100, ..Default::default() });
        let s = split(&d, 0.5, 1, &[0, 1, 2], &[DrawnPoint { x: 0.0, y: 0.0, class: 1 }]);
        assert_eq!(s.train.len() + s.test.len(), 100 - 3 + 1);
        assert_eq!(*s.train.y.last().unwrap(), 1);
    }
}

//! Seeded toy datasets in the plane. Every generator is deterministic per `seed` and returns points
//! roughly inside [-1.5, 1.5]^2, classes balanced (point `i` gets class `i % classes` where the
//! generator allows it).

use super::Dataset;
use crate::rng::Rng;
use core::f64::consts::PI;

/// The toy generators, named as in the share link (`dataset=moons`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DatasetKind {
    #[default]
    Moons,
    Circles,
    Xor,
    Blobs,
    Spirals,
    Checkerboard,
    Linear,
    /// Angular sectors of an annulus (TEEN's few-shot sessions).
    Sectors,
}

impl DatasetKind {
    pub const ALL: [DatasetKind; 8] = [
        DatasetKind::Moons,
        DatasetKind::Circles,
        DatasetKind::Xor,
        DatasetKind::Blobs,
        DatasetKind::Spirals,
        DatasetKind::Checkerboard,
        DatasetKind::Linear,
        DatasetKind::Sectors,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DatasetKind::Moons => "moons",
            DatasetKind::Circles => "circles",
            DatasetKind::Xor => "xor",
            DatasetKind::Blobs => "blobs",
            DatasetKind::Spirals => "spirals",
            DatasetKind::Checkerboard => "checkerboard",
            DatasetKind::Linear => "linear",
            DatasetKind::Sectors => "sectors",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DatasetKind::Moons => "Two moons",
            DatasetKind::Circles => "Circles",
            DatasetKind::Xor => "XOR",
            DatasetKind::Blobs => "Gaussian blobs",
            DatasetKind::Spirals => "Spirals",
            DatasetKind::Checkerboard => "Checkerboard",
            DatasetKind::Linear => "Linearly separable",
            DatasetKind::Sectors => "Annulus sectors",
        }
    }

    pub fn from_key(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }

    /// The class counts this generator accepts; `classes` outside it is clamped.
    pub fn class_range(self) -> (usize, usize) {
        match self {
            DatasetKind::Blobs => (2, 5),
            DatasetKind::Spirals => (2, 3),
            DatasetKind::Sectors => (3, 12),
            _ => (2, 2),
        }
    }
}

/// What to generate. `noise` is the standard deviation of Gaussian jitter added to each coordinate.
#[derive(Clone, Debug, PartialEq)]
pub struct ToyConfig {
    pub kind: DatasetKind,
    pub n: usize,
    pub noise: f64,
    pub seed: u64,
    /// Classes for blobs (2-5), arms for spirals (2-3), sectors (3-12); other generators are
    /// two-class.
    pub classes: usize,
}

impl Default for ToyConfig {
    fn default() -> Self {
        Self { kind: DatasetKind::Moons, n: 500, noise: 0.1, seed: 1, classes: 2 }
    }
}

impl ToyConfig {
    pub fn n_classes(&self) -> usize {
        let (lo, hi) = self.kind.class_range();
        self.classes.clamp(lo, hi)
    }
}

pub fn generate(cfg: &ToyConfig) -> Dataset {
    let mut rng = Rng::derive(cfg.seed, 0xDA7A);
    let c = cfg.n_classes();
    let n = cfg.n;
    let mut pts = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let (p, label) = match cfg.kind {
            DatasetKind::Moons => moon(&mut rng, (i % 2) as u32),
            DatasetKind::Circles => circle(&mut rng, (i % 2) as u32),
            DatasetKind::Xor => xor(&mut rng),
            DatasetKind::Blobs => blob(&mut rng, (i % c) as u32, c),
            DatasetKind::Spirals => spiral(&mut rng, (i % c) as u32, c),
            DatasetKind::Checkerboard => checker(&mut rng),
            DatasetKind::Linear => linear(&mut rng, cfg.seed),
            DatasetKind::Sectors => sector(&mut rng, (i % c) as u32, c),
        };
        let jitter = [rng.normal() * cfg.noise, rng.normal() * cfg.noise];
        pts.push([(p[0] + jitter[0]) as f32, (p[1] + jitter[1]) as f32]);
        labels.push(label);
    }
    Dataset::new_2d(pts, labels, c)
}

/// scikit-learn's `make_moons`, centred: outer arc (class 0) and inner arc (class 1).
fn moon(rng: &mut Rng, class: u32) -> ([f64; 2], u32) {
    let t = rng.range(0.0, PI);
    let p = if class == 0 {
        [libm::cos(t), libm::sin(t)]
    } else {
        [1.0 - libm::cos(t), 0.5 - libm::sin(t)]
    };
    ([p[0] - 0.5, p[1] - 0.25], class)
}

/// scikit-learn's `make_circles` with factor 0.5: outer ring class 0, inner ring class 1.
fn circle(rng: &mut Rng, class: u32) -> ([f64; 2], u32) {
    let t = rng.range(0.0, 2.0 * PI);
    let r = if class == 0 { 1.0 } else { 0.5 };
    ([r * libm::cos(t), r * libm::sin(t)], class)
}

/// Uniform in the square, label = sign(x*y), keeping a small gap at the axes like TF Playground.
fn xor(rng: &mut Rng) -> ([f64; 2], u32) {
    let gap = |rng: &mut Rng| {
        let v = rng.range(0.05, 1.0);
        if rng.uniform() < 0.5 { -v } else { v }
    };
    let p = [gap(rng), gap(rng)];
    (p, u32::from(p[0] * p[1] < 0.0))
}

/// Isotropic blobs (sd 0.15) centred on a circle of radius 1, one per class.
fn blob(rng: &mut Rng, class: u32, c: usize) -> ([f64; 2], u32) {
    let a = 2.0 * PI * class as f64 / c as f64 + PI / 2.0;
    ([libm::cos(a) + 0.15 * rng.normal(), libm::sin(a) + 0.15 * rng.normal()], class)
}

/// Archimedean spirals, one arm per class, 1.25 turns each.
fn spiral(rng: &mut Rng, class: u32, c: usize) -> ([f64; 2], u32) {
    let t = rng.uniform();
    let r = 0.1 + 1.2 * t;
    let a = 2.0 * PI * class as f64 / c as f64 + t * 2.5 * PI;
    ([r * libm::cos(a), r * libm::sin(a)], class)
}

/// `c` equal angular sectors of the annulus 0.75 <= r <= 1.5 (the spec's radius 1-2, scaled to
/// the view). Labels are arranged for few-shot sessions: every third sector (1, 4, 7, ...)
/// carries one of the last `c / 3` labels, so the classes a session adds sit between the others
/// (TEEN's toy: 8 base sectors, 4 novel ones in between).
fn sector(rng: &mut Rng, class: u32, c: usize) -> ([f64; 2], u32) {
    let novel = c / 3;
    let base = c - novel;
    let k = if (class as usize) >= base {
        3 * (class as usize - base) + 1
    } else {
        // The base label b goes to the b-th sector that is not of the form 3j + 1 (j < novel).
        (0..c).filter(|&k| !(k % 3 == 1 && k / 3 < novel)).nth(class as usize).unwrap_or(0)
    };
    let width = 2.0 * PI / c as f64;
    let a = width * (k as f64 + rng.uniform());
    let r = rng.range(0.75, 1.5);
    ([r * libm::cos(a), r * libm::sin(a)], class)
}

/// A 4x4 checkerboard on [-1, 1]^2.
fn checker(rng: &mut Rng) -> ([f64; 2], u32) {
    let p = [rng.range(-1.0, 1.0), rng.range(-1.0, 1.0)];
    let cell = |v: f64| libm::floor((v + 1.0) * 2.0) as i64;
    (p, ((cell(p[0]) + cell(p[1])).rem_euclid(2)) as u32)
}

/// Uniform points on either side of a line through the origin whose angle depends on the seed,
/// with a margin of 0.1 so the noiseless set is separable.
fn linear(rng: &mut Rng, seed: u64) -> ([f64; 2], u32) {
    let angle = Rng::derive(seed, 0x11AE).range(0.0, PI);
    let w = [libm::cos(angle), libm::sin(angle)];
    loop {
        let p = [rng.range(-1.0, 1.0), rng.range(-1.0, 1.0)];
        let m = w[0] * p[0] + w[1] * p[1];
        if m.abs() >= 0.1 {
            return (p, u32::from(m > 0.0));
        }
    }
}



//! Wide and deep NTK kernels (Radhakrishnan, Belkin, Uhler 2023; `shared/specs/wide-deep-ntk.md`),
//! the kernel half (issue 9, in progress): Gauss-Hermite quadrature, an activation's Hermite
//! coefficients and its dual, the three numbers that decide the infinite-depth limit
//! (`a_0`, `a_1^2`, `xi`, and the singular-kernel exponent `alpha`), and the depth-L NTK of a
//! fully connected network computed in log space so that L = 10^4 neither under- nor overflows.
//! Host `f64` maths; the classifier on top (`classifiers::ntk`) evaluates a [`Profile`] of the
//! kernel, tabulated here, on the device.

/// Nodes and weights of `n`-point Gauss-Hermite quadrature for the standard normal:
/// `E[f(Z)] ~ sum_i w_i f(x_i)` (Numerical Recipes' `gauher` for the weight `exp(-x^2)`, then
/// `x -> sqrt(2) x`, `w -> w / sqrt(pi)`).
pub fn gauss_hermite(n: usize) -> (Vec<f64>, Vec<f64>) {
    let pim4 = std::f64::consts::PI.powf(-0.25);
    let (mut x, mut w) = (vec![0.0; n], vec![0.0; n]);
    let m = n.div_ceil(2);
    let nf = n as f64;
    let mut z = 0.0f64;
    for i in 1..=m {
        z = match i {
            1 => (2.0 * nf + 1.0).sqrt() - 1.85575 * (2.0 * nf + 1.0).powf(-0.16667),
            2 => z - 1.14 * nf.powf(0.426) / z,
            3 => 1.86 * z - 0.86 * x[0],
            4 => 1.91 * z - 0.91 * x[1],
            _ => 2.0 * z - x[i - 3],
        };
        let mut pp = 1.0;
        for _ in 0..100 {
            let (mut p1, mut p2) = (pim4, 0.0);
            for j in 1..=n {
                let p3 = p2;
                p2 = p1;
                let jf = j as f64;
                p1 = z * (2.0 / jf).sqrt() * p2 - ((jf - 1.0) / jf).sqrt() * p3;
            }
            pp = (2.0 * nf).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() <= 3e-14 {
                break;
            }
        }
        x[i - 1] = z;
        x[n - i] = -z;
        w[i - 1] = 2.0 / (pp * pp);
        w[n - i] = w[i - 1];
    }
    let s2 = std::f64::consts::SQRT_2;
    let sp = std::f64::consts::PI.sqrt();
    (x.iter().map(|v| v * s2).collect(), w.iter().map(|v| v / sp).collect())
}

/// The activations of the playground (before normalisation to `E[phi(Z)^2] = 1`).
#[derive(Clone, Debug, PartialEq)]
pub enum Activation {
    Relu,
    Tanh,
    /// The normalised second Hermite polynomial `(z^2 - 1) / sqrt(2)`: the 1-NN regime.
    He2,
    /// `sqrt(s) z + sqrt(1 - s) He_k(z) / sqrt(k!)`: the spec's family of "optimal" activations.
    Poly { k: usize, s: f64 },
    /// Any function of `z` the user types (its derivative by central differences).
    Formula(crate::formula::Expr),
}

impl Activation {
    /// The activation before normalisation, at `z`.
    pub fn raw(&self, z: f64) -> f64 {
        match *self {
            Activation::Relu => z.max(0.0),
            Activation::Tanh => z.tanh(),
            Activation::He2 => (z * z - 1.0) / std::f64::consts::SQRT_2,
            Activation::Poly { k, s } => s.sqrt() * z + (1.0 - s).sqrt() * hermite_orthonormal(z, k)[k],
            Activation::Formula(ref e) => e.eval(z),
        }
    }

    fn raw_derivative(&self, z: f64) -> f64 {
        match *self {
            Activation::Relu => if z > 0.0 { 1.0 } else { 0.0 },
            Activation::Tanh => 1.0 - z.tanh().powi(2),
            Activation::He2 => std::f64::consts::SQRT_2 * z,
            // d/dz He_k / sqrt(k!) = sqrt(k) He_{k-1} / sqrt((k-1)!).
            Activation::Poly { k, s } => s.sqrt() + (1.0 - s).sqrt() * (k as f64).sqrt() * hermite_orthonormal(z, k)[k - 1],
            Activation::Formula(ref e) => {
                let h = 1e-5 * (1.0 + z.abs());
                (e.eval(z + h) - e.eval(z - h)) / (2.0 * h)
            }
        }
    }

    /// The spec's optimal activation for intrinsic dimension `d`: `phi_{k,s}` with the singular
    /// exponent `alpha = 2 ln(1/s) / ln(s + k(1 - s))` equal to `d`, `s` by bisection, `k` the
    /// smallest odd degree >= 3 for which a solution exists (`d / 2 > 1 / (k - 1)`).
    pub fn optimal(d: usize) -> Activation {
        let half = d.max(1) as f64 / 2.0;
        let mut k = 3;
        while half <= 1.0 / (k as f64 - 1.0) + 1e-9 {
            k += 2;
        }
        let ratio = |s: f64| (1.0 / s).ln() / (s + k as f64 * (1.0 - s)).ln();
        // ratio falls from +inf (s -> 0) to 1 / (k - 1) (s -> 1).
        let (mut lo, mut hi) = (1e-12, 1.0 - 1e-12);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if ratio(mid) > half { lo = mid } else { hi = mid }
        }
        Activation::Poly { k, s: 0.5 * (lo + hi) }
    }
}

fn lse(values: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.collect();
    let top = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() { top } else { top + v.iter().map(|t| (t - top).exp()).sum::<f64>().ln() }
}

fn logaddexp(a: f64, b: f64) -> f64 {
    let top = a.max(b);
    if !top.is_finite() { top } else { top + ((a - top).exp() + (b - top).exp()).ln() }
}

/// `He_j(z) / sqrt(j!)` for `j = 0..=k` (orthonormal under the standard normal).
pub fn hermite_orthonormal(z: f64, k: usize) -> Vec<f64> {
    let mut h = vec![1.0, z];
    for j in 1..k {
        let next = (z * h[j] - (j as f64).sqrt() * h[j - 1]) / ((j + 1) as f64).sqrt();
        h.push(next);
    }
    h.truncate(k + 1);
    h
}

/// What decides an activation's infinite-depth limit.
#[derive(Clone, Debug, PartialEq)]
pub struct Dual {
    pub activation: Activation,
    /// `a_k^2`, k = 0..=60, of the normalised activation.
    pub a2: Vec<f64>,
    /// `xi = E[phi'(Z)^2]` by quadrature (not from the truncated series).
    pub xi: f64,
    /// The normalising factor: `phi = scale * raw` has `E[phi(Z)^2] = 1`.
    pub scale: f64,
    /// The non-zero terms `(k, ln a_k^2, ln(k a_k^2))`, k >= 1, for the log-space recursion.
    terms: Vec<(f64, f64, f64)>,
}

/// The regime of the L -> infinity classifier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Regime {
    MajorityVote,
    NearestNeighbour,
    /// `K ~ ||z - z'||^-alpha`.
    Singular { alpha: f64 },
}

/// Hermite terms kept, quadrature nodes.
pub const TERMS: usize = 60;
pub const NODES: usize = 100;

impl Dual {
    pub fn new(activation: Activation) -> Dual {
        let (x, w) = gauss_hermite(NODES);
        let norm2: f64 = x.iter().zip(&w).map(|(z, wi)| wi * activation.raw(*z).powi(2)).sum::<f64>().max(1e-300);
        let c = 1.0 / norm2.sqrt();
        let mut a = vec![0.0; TERMS + 1];
        for (z, wi) in x.iter().zip(&w) {
            let h = hermite_orthonormal(*z, TERMS);
            let f = c * activation.raw(*z);
            for k in 0..=TERMS {
                a[k] += wi * f * h[k];
            }
        }
        let xi = x.iter().zip(&w).map(|(z, wi)| wi * (c * activation.raw_derivative(*z)).powi(2)).sum();
        // Quadrature noise (1e-34 where a coefficient is 0) is dropped, and the kept squares sum to
        // exactly 1, so that the dual maps 1 to 1.
        let mut a2: Vec<f64> = a.iter().map(|v| v * v).map(|v| if v < 1e-20 { 0.0 } else { v }).collect();
        let total: f64 = a2.iter().sum();
        if total > 0.0 {
            a2.iter_mut().for_each(|v| *v /= total);
        }
        let terms = (1..=TERMS).filter(|&k| a2[k] > 0.0).map(|k| (k as f64, a2[k].ln(), (k as f64 * a2[k]).ln())).collect();
        Dual { activation, a2, xi, scale: c, terms }
    }

    /// The activation is usable: finite, not zero almost everywhere, and its series holds it
    /// (a formula like `exp(z^2)` has no finite second moment under the normal).
    pub fn check(&self) -> Result<(), String> {
        let total: f64 = self.a2.iter().sum();
        if !self.xi.is_finite() || !total.is_finite() || (total - 1.0).abs() > 1e-6 || self.a2.iter().any(|v| !v.is_finite()) {
            return Err("the activation has no finite mean square under the standard normal (or is zero)".into());
        }
        if self.a2[1] > 1.0 - 1e-9 {
            return Err("the activation is linear: every depth gives the same linear kernel".into());
        }
        Ok(())
    }

    /// Iterating rho in linear space (it tends to a fixed point > 0: no underflow) when
    /// `a_0 != 0`; ReLU's closed form always.
    fn linear_rho(&self) -> bool {
        self.a2[0] > 1e-12 || self.activation == Activation::Relu
    }

    /// Work of one layer at one rho (for sizing a bounded training step).
    pub fn layer_cost(&self) -> usize {
        if self.activation == Activation::Relu { 2 } else if self.linear_rho() { TERMS } else { 2 * self.terms.len().max(1) }
    }

    /// One layer of the recursion at one rho, in log space: `(ln rho, ln K)` of layer `l - 1` to
    /// those of layer `l`.
    pub fn layer(&self, lr: f64, lk: f64) -> (f64, f64) {
        if self.linear_rho() {
            let (s, sd) = self.dual(lr.exp());
            let ls = s.ln();
            return (ls, logaddexp(ls, lk + sd.ln()));
        }
        let ld = lse(self.terms.iter().map(|&(k, _, lka)| lka + (k - 1.0) * lr));
        // rho = 1 is a fixed point that repels upward (slope xi > 1): rounding above 0 would
        // double every layer, so rho stays clamped to 1.
        let lr = (lr + lse(self.terms.iter().map(|&(k, la, _)| la + (k - 1.0) * lr))).min(0.0);
        (lr, logaddexp(lr, lk + ld))
    }

    pub fn regime(&self) -> Regime {
        if self.a2[0] > 1e-12 {
            Regime::MajorityVote
        } else if self.a2[1] < 1e-12 {
            Regime::NearestNeighbour
        } else {
            Regime::Singular { alpha: 2.0 * (1.0 / self.a2[1]).ln() / self.xi.ln() }
        }
    }

    /// `phi_check(rho)` and its derivative: ReLU's closed forms, else the Hermite series.
    pub fn dual(&self, rho: f64) -> (f64, f64) {
        if self.activation == Activation::Relu {
            let r = rho.clamp(-1.0, 1.0);
            let pi = std::f64::consts::PI;
            return (((1.0 - r * r).sqrt() + (pi - r.acos()) * r) / pi, (pi - r.acos()) / pi);
        }
        let (mut v, mut d, mut p) = (0.0, 0.0, 1.0);
        for k in 0..=TERMS {
            v += self.a2[k] * p;
            if k + 1 <= TERMS {
                d += (k + 1) as f64 * self.a2[k + 1] * p;
            }
            p *= rho;
        }
        (v, d)
    }

    /// `ln K^L(rho)` of the depth-`depth` NTK, in log space (the spec's recursion: with
    /// `a_0 = 0`, `ln rho` and `ln Sigma_dot` by log-sum-exp over the series; else rho iterates
    /// in linear space toward its fixed point).
    pub fn log_ntk(&self, rho: f64, depth: usize) -> f64 {
        let (mut lr, mut lk) = (rho.ln(), rho.ln());
        for _ in 0..depth {
            (lr, lk) = self.layer(lr, lk);
        }
        lk
    }

    /// `K^L(rho) / K^L(1)` in log space.
    pub fn log_normalised(&self, rho: f64, depth: usize) -> f64 {
        self.log_ntk(rho, depth) - self.log_ntk(1.0, depth)
    }
}

/// Least-squares slope of `ln K~` against `ln(1 - rho)` at `1 - rho` in {1e-3, 1e-2, 1e-1},
/// sign flipped (so a singular kernel `||z - z'||^-alpha` gives `alpha / 2`).
pub fn profile_slope(dual: &Dual, depth: usize) -> f64 {
    let pts: Vec<(f64, f64)> = [1e-3f64, 1e-2, 1e-1].iter().map(|g| (g.ln(), dual.log_normalised(1.0 - g, depth))).collect();
    least_squares_slope(&pts)
}

/// The depth-L kernel as a function of `rho`, tabulated at nodes equally spaced in
/// `u = ln(1 - rho)` and advanced layer by layer, so that a classifier can grow its depth in
/// bounded steps and evaluate any number of kernel entries by interpolation (`u` is the natural
/// variable: the singular kernel is a power of `1 - rho`, the 1-NN kernel's log falls like a
/// power of it). Nodes cover `1 - rho` in [1e-9, 0.999]; f32 dot products cannot resolve closer
/// points, and lifted data keeps `rho` well above 0.001.
#[derive(Clone, Debug)]
pub struct Profile {
    pub dual: Dual,
    pub depth: usize,
    lr: Vec<f64>,
    lk: Vec<f64>,
    /// `(ln rho, ln K)` at rho = 1.
    diag: (f64, f64),
}

/// Nodes of a [`Profile`] and their range in `u = ln(1 - rho)`.
pub const PROFILE_NODES: usize = 2048;
pub const U_MIN: f64 = -20.723265836946411; // ln 1e-9
pub const U_MAX: f64 = -0.0010005003335835335; // ln 0.999

impl Profile {
    pub fn new(dual: Dual) -> Profile {
        let lr: Vec<f64> = (0..PROFILE_NODES).map(|i| (1.0 - Self::node_u(i).exp()).ln()).collect();
        Profile { dual, depth: 0, lk: lr.clone(), lr, diag: (0.0, 0.0) }
    }

    /// `u` at node `i`.
    pub fn node_u(i: usize) -> f64 {
        U_MIN + (U_MAX - U_MIN) * i as f64 / (PROFILE_NODES - 1) as f64
    }

    /// Adds `layers` layers.
    pub fn advance(&mut self, layers: usize) {
        for _ in 0..layers {
            for (lr, lk) in self.lr.iter_mut().zip(self.lk.iter_mut()) {
                (*lr, *lk) = self.dual.layer(*lr, *lk);
            }
            self.diag = self.dual.layer(self.diag.0, self.diag.1);
        }
        self.depth += layers;
    }

    /// Work of one layer (for sizing a bounded step).
    pub fn layer_cost(&self) -> usize {
        PROFILE_NODES * self.dual.layer_cost()
    }

    /// `ln K~ = ln K^L - ln K^L(1)` at the nodes (`-inf` where it underflowed f64).
    pub fn table(&self) -> Vec<f64> {
        self.lk.iter().map(|v| v - self.diag.1).collect()
    }

    /// `ln K~(rho)` by linear interpolation in `u` (clamped to the node range) of `table`.
    pub fn at(table: &[f64], rho: f64) -> f64 {
        let u = (1.0 - rho).max(1e-300).ln();
        let pos = ((u - U_MIN) / (U_MAX - U_MIN) * (PROFILE_NODES - 1) as f64).clamp(0.0, (PROFILE_NODES - 1) as f64);
        let i = (pos.floor() as usize).min(PROFILE_NODES - 2);
        let f = pos - i as f64;
        if f == 0.0 { table[i] } else { table[i] + f * (table[i + 1] - table[i]) }
    }

    /// Least-squares slope of `ln K~` against `ln(1 - rho)` at `1 - rho` in {1e-3, 1e-2, 1e-1},
    /// sign flipped, from the table ([`profile_slope`] recomputes the points instead).
    pub fn slope(&self) -> f64 {
        let table = self.table();
        let pts: Vec<(f64, f64)> = [1e-3f64, 1e-2, 1e-1].iter().map(|g| (g.ln(), Self::at(&table, 1.0 - g))).collect();
        least_squares_slope(&pts)
    }
}

fn least_squares_slope(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let num: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let den: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    -num / den
}

/// The lift's height for row-major `[*, d]` points: `b = 1.1 max ||x||`, so that every
/// `rho = z.z'` of lifted points lies in (0, 1].
pub fn lift_height(x: &[f64], d: usize) -> f64 {
    1.1 * x.chunks(d.max(1)).map(|r| r.iter().map(|v| v * v).sum::<f64>().sqrt()).fold(1e-9, f64::max)
}

/// Lifts row-major `[*, d]` points onto the unit sphere of R^(d+1): `z = (x, b) / ||(x, b)||`
/// (`[*, d + 1]`).
pub fn lift_rows(x: &[f64], d: usize, b: f64) -> Vec<f64> {
    x.chunks(d.max(1))
        .flat_map(|r| {
            let norm = (r.iter().map(|v| v * v).sum::<f64>() + b * b).sqrt();
            r.iter().chain([&b]).map(move |v| v / norm)
        })
        .collect()
}

/// Lifts 2-D points onto the unit sphere of R^3 with the height of all points given.
pub fn lift(points: &[[f64; 2]]) -> Vec<[f64; 3]> {
    let flat: Vec<f64> = points.iter().flatten().copied().collect();
    lift_rows(&flat, 2, lift_height(&flat, 2)).chunks(3).map(|z| [z[0], z[1], z[2]]).collect()
}

fn rho(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]).clamp(1e-300, 1.0)
}

/// The depth-L NTK classifier (ridgeless kernel regression, `lambda = 1e-10`) on labels +-1:
/// the train Gram `exp(lK - lK(1))` solved by Cholesky, each test row shifted by its largest log
/// kernel; a row with no finite value falls back to its most similar training point (the exact
/// limiting ranking in the 1-NN regime).
pub fn ntk_predict(dual: &Dual, depth: usize, train: &[[f64; 3]], y: &[i8], test: &[[f64; 3]]) -> Vec<i8> {
    let n = train.len();
    let diag = dual.log_ntk(1.0, depth);
    let mut gram = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let v = if i == j { 1.0 } else { (dual.log_ntk(rho(&train[i], &train[j]), depth) - diag).exp() };
            gram[i * n + j] = v;
            gram[j * n + i] = v;
        }
        gram[i * n + i] += 1e-10;
    }
    let targets: Vec<f64> = y.iter().map(|&v| v as f64).collect();
    let alpha = cholesky_solve(gram, targets, n).unwrap_or_else(|| y.iter().map(|&v| v as f64).collect());
    test.iter()
        .map(|t| {
            let lk: Vec<f64> = train.iter().map(|p| dual.log_ntk(rho(t, p), depth)).collect();
            let top = lk.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !top.is_finite() {
                return y[nearest(train, t)];
            }
            let f: f64 = lk.iter().zip(&alpha).map(|(l, a)| a * (l - top).exp()).sum();
            if f >= 0.0 { 1 } else { -1 }
        })
        .collect()
}

/// The training point with the largest `rho` (nearest on the lifted sphere).
fn nearest(train: &[[f64; 3]], t: &[f64; 3]) -> usize {
    (0..train.len()).fold(0, |best, i| if rho(t, &train[i]) > rho(t, &train[best]) { i } else { best })
}

/// The 1-NN rule on lifted points.
pub fn nearest_neighbour(train: &[[f64; 3]], y: &[i8], test: &[[f64; 3]]) -> Vec<i8> {
    test.iter().map(|t| y[nearest(train, t)]).collect()
}

/// The singular-kernel (Hilbert for `power` = d) rule in the plane: `sign sum_i y_i ||x - x_i||^-power`.
pub fn singular_rule(train: &[[f64; 2]], y: &[i8], test: &[[f64; 2]], power: f64) -> Vec<i8> {
    test.iter()
        .map(|t| {
            let f: f64 = train.iter().zip(y).map(|(p, &l)| l as f64 * ((t[0] - p[0]).powi(2) + (t[1] - p[1]).powi(2)).max(1e-300).powf(-power / 2.0)).sum();
            if f >= 0.0 { 1 } else { -1 }
        })
        .collect()
}

/// Lower Cholesky factor of the row-major `k x k` matrix `a` (None if not positive definite).
pub fn cholesky(mut a: Vec<f64>, k: usize) -> Option<Vec<f64>> {
    for j in 0..k {
        let mut d = a[j * k + j];
        for p in 0..j {
            d -= a[j * k + p] * a[j * k + p];
        }
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j * k + j] = d;
        for i in j + 1..k {
            let mut v = a[i * k + j];
            for p in 0..j {
                v -= a[i * k + p] * a[j * k + p];
            }
            a[i * k + j] = v / d;
        }
    }
    Some(a)
}

/// Solves `L L^T x = b` with the factor of [`cholesky`].
pub fn cholesky_apply(a: &[f64], mut b: Vec<f64>, k: usize) -> Vec<f64> {
    for i in 0..k {
        for p in 0..i {
            b[i] -= a[i * k + p] * b[p];
        }
        b[i] /= a[i * k + i];
    }
    for i in (0..k).rev() {
        for p in i + 1..k {
            b[i] -= a[p * k + i] * b[p];
        }
        b[i] /= a[i * k + i];
    }
    b
}

fn cholesky_solve(a: Vec<f64>, b: Vec<f64>, k: usize) -> Option<Vec<f64>> {
    cholesky(a, k).map(|l| cholesky_apply(&l, b, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadrature_integrates_normal_moments() {
        let (x, w) = gauss_hermite(NODES);
        let moment = |p: i32| x.iter().zip(&w).map(|(z, wi)| wi * z.powi(p)).sum::<f64>();
        for (p, want) in [(0, 1.0), (2, 1.0), (4, 3.0), (6, 15.0), (1, 0.0), (3, 0.0)] {
            assert!((moment(p) - want).abs() < 1e-9, "E[Z^{p}] = {}", moment(p));
        }
    }

    #[test]
    fn relu_dual_sanity() {
        // Property 1: normalised ReLU: dual(1) = 1, dual'(1) = 1, a_0^2 = 1/pi; the 60-term series
        // from 100-node quadrature matches the closed form within 5e-3 at rho in {0, 0.5, 0.9}.
        let d = Dual::new(Activation::Relu);
        let (v, dv) = d.dual(1.0);
        assert!((v - 1.0).abs() < 1e-12 && (dv - 1.0).abs() < 1e-12);
        // The kink limits the quadrature (the spec saw <= 2.6e-3 on the series).
        assert!((d.a2[0] - 1.0 / std::f64::consts::PI).abs() < 5e-3, "a0^2 {}", d.a2[0]);
        assert!((d.xi - 1.0).abs() < 2e-2, "xi {}", d.xi);
        let series = |r: f64| d.a2.iter().enumerate().map(|(k, a)| a * r.powi(k as i32)).sum::<f64>();
        for r in [0.0, 0.5, 0.9] {
            assert!((series(r) - d.dual(r).0).abs() <= 5e-3, "rho {r}: {} vs {}", series(r), d.dual(r).0);
        }
        assert_eq!(d.regime(), Regime::MajorityVote);
        // The spec's example: normalised tanh has a_1^2 = 0.930, xi = 1.178, alpha = 0.88.
        let t = Dual::new(Activation::Tanh);
        let Regime::Singular { alpha } = t.regime() else { panic!("tanh is singular") };
        assert!((t.a2[1] - 0.930).abs() < 2e-3 && (t.xi - 1.178).abs() < 2e-3 && (alpha - 0.88).abs() < 0.01, "{} {} {alpha}", t.a2[1], t.xi);
        assert_eq!(Dual::new(Activation::He2).regime(), Regime::NearestNeighbour);
    }

    #[test]
    fn deep_relu_kernels_flatten_off_the_diagonal() {
        // Property 2: K^L(rho) / K^L(1) at L = 1000 in [0.250, 0.260] for rho in {0.5, 0.9}.
        let d = Dual::new(Activation::Relu);
        for r in [0.5, 0.9] {
            let v = d.log_normalised(r, 1000).exp();
            assert!((0.250..=0.260).contains(&v), "rho {r}: {v}");
        }
        let v100 = d.log_normalised(0.9, 100).exp();
        assert!((v100 - 0.303).abs() < 0.01, "L = 100: {v100}");
    }

    #[test]
    fn the_optimal_activation_tends_to_the_singular_kernel() {
        // Property 4: phi_{3,1/2}: fitted slope 1.64 (L = 100), 1.25 (L = 1000), 1.06 (L = 1e4),
        // +-0.05, toward alpha / 2 = 1; s = 0.3: 1.44 at L = 1e4.
        let d = Dual::new(Activation::Poly { k: 3, s: 0.5 });
        let Regime::Singular { alpha } = d.regime() else { panic!("singular") };
        assert!((alpha - 2.0).abs() < 1e-3 && (d.xi - 2.0).abs() < 1e-3, "alpha {alpha}, xi {}", d.xi);
        for (depth, want) in [(100, 1.64), (1000, 1.25), (10_000, 1.06)] {
            let s = profile_slope(&d, depth);
            assert!((s - want).abs() <= 0.05, "L = {depth}: slope {s} vs {want}");
        }
        // The tabulated profile the classifier uses gives the same slope.
        let mut p = Profile::new(d.clone());
        p.advance(1000);
        assert!((p.slope() - profile_slope(&d, 1000)).abs() < 1e-3, "table {} vs {}", p.slope(), profile_slope(&d, 1000));
        let s3 = profile_slope(&Dual::new(Activation::Poly { k: 3, s: 0.3 }), 10_000);
        assert!((s3 - 1.44).abs() <= 0.05, "s = 0.3: {s3}");
    }

    /// Two Gaussian classes in the plane, labels +-1 with `flip` of them flipped.
    fn noisy(n: usize, flip: f64, seed: u64) -> (Vec<[f64; 2]>, Vec<i8>) {
        let mut rng = crate::rng::Rng::new(seed);
        let x: Vec<[f64; 2]> = (0..n).map(|_| [rng.normal(), rng.normal()]).collect();
        let y = x.iter().map(|p| {
            let l: i8 = if p[0] >= 0.0 { 1 } else { -1 };
            if rng.uniform() < flip { -l } else { l }
        }).collect();
        (x, y)
    }

    #[test]
    fn the_he2_network_is_one_nearest_neighbour_at_depth_100() {
        // Property 3: at L >= 100 the He2 network's predictions equal 1-NN on the lifted points
        // for every test point.
        let (x, y) = noisy(120, 0.25, 1);
        let (t, _) = noisy(200, 0.0, 2);
        let all: Vec<[f64; 2]> = x.iter().chain(&t).copied().collect();
        let lifted = lift(&all);
        let (train, test) = lifted.split_at(x.len());
        let d = Dual::new(Activation::He2);
        let ntk = ntk_predict(&d, 100, train, &y, test);
        assert_eq!(ntk, nearest_neighbour(train, &y, test));
        // At depth 1 it is a different (smooth) classifier.
        assert_ne!(ntk_predict(&d, 1, train, &y, test), ntk);
    }

    #[test]
    fn the_hilbert_rule_beats_one_nearest_neighbour_on_noisy_labels() {
        // Property 5: x ~ N(0, I2), y = sign(x1) with 25% flips (Bayes 0.25), n = 1000: the
        // singular rule with power 2 errs at least 0.05 less than 1-NN, which errs 0.375 +- 0.03.
        let (x, y) = noisy(1000, 0.25, 3);
        let (t, ty) = noisy(4000, 0.25, 4);
        let err = |pred: &[i8]| pred.iter().zip(&ty).filter(|(a, b)| a != b).count() as f64 / ty.len() as f64;
        let lifted = lift(&x.iter().chain(&t).copied().collect::<Vec<_>>());
        let (train, test) = lifted.split_at(x.len());
        let nn = err(&nearest_neighbour(train, &y, test));
        let hilbert = err(&singular_rule(&x, &y, &t, 2.0));
        eprintln!("1-NN {nn:.3}, Hilbert {hilbert:.3}");
        assert!((nn - 0.375).abs() <= 0.03, "1-NN {nn}");
        assert!(hilbert <= nn - 0.05, "Hilbert {hilbert} vs 1-NN {nn}");
    }
}

//! Boundary tilting (Tanay & Griffin 2016; `shared/specs/boundary-tilting.md`): for a linear
//! classifier, the deviation angle to the nearest-centroid classifier, the adversarial strength
//! `S = 1 / cos(theta)`, minimal adversarial perturbations and mirror images, the tilted family of
//! boundaries that classifies like the nearest-centroid classifier while every distance shrinks by
//! `cos(theta)`, and the L2-regularised linear SVM whose regularisation decides the tilt.
//!
//! Host `f64` maths (the spec's toy is D <= 100, m <= 2000: no device needed); the view draws
//! from these functions. Labels are `+1` (class I) and `-1` (class J). The spec's formula for S is
//! its own reconstruction (the paper's normalisation could not be read): the view shows S and
//! theta both, as the spec recommends.

use crate::rng::Rng;

/// `f(x) = w.x + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    pub w: Vec<f64>,
    pub b: f64,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

impl Linear {
    pub fn score(&self, x: &[f64]) -> f64 {
        dot(&self.w, x) + self.b
    }

    /// `+1` or `-1` (ties go to +1).
    pub fn predict(&self, x: &[f64]) -> i8 {
        if self.score(x) >= 0.0 { 1 } else { -1 }
    }

    /// `s_C(x) = (w.x + b) / ||w||`.
    pub fn signed_distance(&self, x: &[f64]) -> f64 {
        self.score(x) / norm(&self.w).max(1e-300)
    }

    /// The minimal l2 perturbation that crosses the boundary, overshooting by 1e-3:
    /// `x - (1 + 1e-3) (w.x + b) w / ||w||^2`.
    pub fn adversarial(&self, x: &[f64]) -> Vec<f64> {
        self.step_across(x, 1.0 + 1e-3)
    }

    /// The point symmetric to `x` across the boundary.
    pub fn mirror(&self, x: &[f64]) -> Vec<f64> {
        self.step_across(x, 2.0)
    }

    fn step_across(&self, x: &[f64], k: f64) -> Vec<f64> {
        let f = self.score(x) / dot(&self.w, &self.w).max(1e-300);
        x.iter().zip(&self.w).map(|(xi, wi)| xi - k * f * wi).collect()
    }
}

/// Class centroids `(mu_I, mu_J)` of row-major `[n, d]` points.
pub fn centroids(x: &[f64], y: &[i8], d: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut mi, mut mj, mut ni, mut nj) = (vec![0.0; d], vec![0.0; d], 0.0, 0.0);
    for (row, &label) in x.chunks(d).zip(y) {
        let (m, n) = if label > 0 { (&mut mi, &mut ni) } else { (&mut mj, &mut nj) };
        for (a, v) in m.iter_mut().zip(row) {
            *a += v;
        }
        *n += 1.0;
    }
    mi.iter_mut().for_each(|v| *v /= f64::max(ni, 1.0));
    mj.iter_mut().for_each(|v| *v /= f64::max(nj, 1.0));
    (mi, mj)
}

/// The nearest-centroid classifier `C*`: `w* = mu_I - mu_J`, `b* = -w*.(mu_I + mu_J) / 2`.
pub fn nearest_centroid(mu_i: &[f64], mu_j: &[f64]) -> Linear {
    let w: Vec<f64> = mu_i.iter().zip(mu_j).map(|(a, b)| a - b).collect();
    let mid: Vec<f64> = mu_i.iter().zip(mu_j).map(|(a, b)| (a + b) / 2.0).collect();
    let b = -dot(&w, &mid);
    Linear { w, b }
}

/// The deviation angle `theta = arccos(w.w* / (||w|| ||w*||))`, radians.
pub fn deviation_angle(w: &[f64], w_star: &[f64]) -> f64 {
    (dot(w, w_star) / (norm(w) * norm(w_star)).max(1e-300)).clamp(-1.0, 1.0).acos()
}

/// The class-signed mean distance `d(C) = (E_I[s_C] - E_J[s_C]) / 2`, from the data.
pub fn class_signed_mean_distance(c: &Linear, x: &[f64], y: &[i8], d: usize) -> f64 {
    let (mut si, mut sj, mut ni, mut nj) = (0.0, 0.0, 0.0, 0.0);
    for (row, &label) in x.chunks(d).zip(y) {
        let s = c.signed_distance(row);
        if label > 0 {
            si += s;
            ni += 1.0;
        } else {
            sj += s;
            nj += 1.0;
        }
    }
    0.5 * (si / f64::max(ni, 1.0) - sj / f64::max(nj, 1.0))
}

/// Adversarial strength `S = ||mu_I - mu_J|| / (z.(mu_I - mu_J))` with `z = w / ||w||`, which
/// equals `d(C*) / d(C)` and `1 / cos(theta)`.
pub fn strength(c: &Linear, mu_i: &[f64], mu_j: &[f64]) -> f64 {
    let diff: Vec<f64> = mu_i.iter().zip(mu_j).map(|(a, b)| a - b).collect();
    norm(&diff) / (dot(&c.w, &diff) / norm(&c.w).max(1e-300))
}

/// The tilted boundary: unit normal `cos(theta) z* + sin(theta) e_perp` (`e_perp` a unit vector
/// orthogonal to `z*`), through `midpoint`.
pub fn tilted(w_star: &[f64], e_perp: &[f64], theta: f64, midpoint: &[f64]) -> Linear {
    let n = norm(w_star).max(1e-300);
    let w: Vec<f64> = w_star.iter().zip(e_perp).map(|(a, e)| theta.cos() * a / n + theta.sin() * e).collect();
    let b = -dot(&w, midpoint);
    Linear { w, b }
}

/// `||P_V w|| / ||w||` for `V` spanned by the first `plane` coordinates.
pub fn in_plane_fraction(w: &[f64], plane: usize) -> f64 {
    norm(&w[..plane.min(w.len())]) / norm(w).max(1e-300)
}

/// The L2-regularised linear SVM `min (lambda / 2)||w||^2 + (1 / m) sum hinge`, by LIBLINEAR's dual
/// coordinate descent (Hsieh et al. 2008) with `C = 1 / (lambda m)` and the bias as an extra
/// constant feature (so it is regularised too, as in LIBLINEAR); `epochs` passes in a seeded
/// random order.
pub fn svm(x: &[f64], y: &[i8], d: usize, lambda: f64, epochs: usize, seed: u64) -> Linear {
    let m = y.len();
    let c = 1.0 / (lambda * m.max(1) as f64);
    let mut w = vec![0.0; d + 1];
    let mut alpha = vec![0.0; m];
    // Q_ii = ||x_i||^2 + 1 (the bias feature).
    let q: Vec<f64> = x.chunks(d).map(|r| dot(r, r) + 1.0).collect();
    let mut order: Vec<usize> = (0..m).collect();
    let mut rng = Rng::derive(seed, 0x5E4);
    for _ in 0..epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let row = &x[i * d..(i + 1) * d];
            let yi = y[i] as f64;
            let g = yi * (dot(&w[..d], row) + w[d]) - 1.0;
            let pg = if alpha[i] <= 0.0 { g.min(0.0) } else if alpha[i] >= c { g.max(0.0) } else { g };
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / q[i]).clamp(0.0, c);
                let delta = (alpha[i] - old) * yi;
                for (wk, xk) in w[..d].iter_mut().zip(row) {
                    *wk += delta * xk;
                }
                w[d] += delta;
            }
        }
    }
    let b = w.pop().unwrap_or(0.0);
    Linear { w, b }
}

/// L2-regularised logistic regression `min (lambda / 2)||w||^2 + (1 / m) sum log(1 + exp(-y f(x)))`
/// (bias unregularised). Dividing by lambda gives scikit-learn's form `1/2 ||w||^2 + C sum loss`
/// with `C = 1 / (lambda m)`, so this is [`crate::gen_disc::logistic`] (L-BFGS, one weight vector
/// for two classes) with labels `-1 -> 0`, `+1 -> 1`; `iterations` bounds its L-BFGS steps.
pub fn logistic(x: &[f64], y: &[i8], d: usize, lambda: f64, iterations: usize) -> Linear {
    let classes: Vec<usize> = y.iter().map(|&l| usize::from(l > 0)).collect();
    let c = 1.0 / (lambda * y.len().max(1) as f64);
    let head = crate::gen_disc::logistic(x, &classes, 2, d, c, iterations);
    // Class 0 scores 0: class 1's score is the decision function.
    Linear { w: head.w[d..2 * d].to_vec(), b: head.b[1] }
}

#[cfg(test)]
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 { 1.0 / (1.0 + (-z).exp()) } else { z.exp() / (1.0 + z.exp()) }
}

/// The sweep's data: two unit-variance blobs centred at `+-1.5` on the first coordinate of a
/// plane `V` (the first two coordinates) in `R^d`, the other `d - 2` coordinates noise of std
/// `sigma_perp`; classes alternate (balanced).
pub struct Embedded {
    pub d: usize,
    pub train_x: Vec<f64>,
    pub train_y: Vec<i8>,
    pub test_x: Vec<f64>,
    pub test_y: Vec<i8>,
}

pub fn embedded_blobs(m: usize, test: usize, d: usize, sigma_perp: f64, seed: u64) -> Embedded {
    let mut rng = Rng::derive(seed, 0x717);
    let mut draw = |n: usize| {
        let mut x = Vec::with_capacity(n * d);
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let label: i8 = if i % 2 == 0 { 1 } else { -1 };
            x.push(1.5 * label as f64 + rng.normal());
            x.push(rng.normal());
            for _ in 2..d {
                x.push(sigma_perp * rng.normal());
            }
            y.push(label);
        }
        (x, y)
    };
    let (train_x, train_y) = draw(m);
    let (test_x, test_y) = draw(test);
    Embedded { d, train_x, train_y, test_x, test_y }
}

/// One point of the regularisation sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    pub lambda: f64,
    pub model: Linear,
    /// Deviation angle to the training nearest-centroid classifier, degrees.
    pub theta_deg: f64,
    pub strength: f64,
    pub test_error: f64,
    /// Mean distance of the test points to the boundary (their minimal perturbation's length).
    pub mean_adversarial_distance: f64,
    pub in_plane: f64,
}

/// Which linear model a sweep fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// The L2 linear SVM ([`svm`], `epochs` passes).
    Svm { epochs: usize },
    /// L2 logistic regression ([`logistic`], at most `iterations` L-BFGS steps).
    Logistic { iterations: usize },
}

/// Fits the SVM at each `lambda` and measures it (`plane`: the data subspace's coordinates).
pub fn sweep(data: &Embedded, lambdas: &[f64], plane: usize, epochs: usize) -> Vec<SweepPoint> {
    sweep_fit(data, lambdas, plane, Fit::Svm { epochs })
}

/// Fits `fit` at each `lambda` and measures it.
pub fn sweep_fit(data: &Embedded, lambdas: &[f64], plane: usize, fit: Fit) -> Vec<SweepPoint> {
    let d = data.d;
    let (mi, mj) = centroids(&data.train_x, &data.train_y, d);
    let star = nearest_centroid(&mi, &mj);
    lambdas
        .iter()
        .map(|&lambda| {
            let model = match fit {
                Fit::Svm { epochs } => svm(&data.train_x, &data.train_y, d, lambda, epochs, 1),
                Fit::Logistic { iterations } => logistic(&data.train_x, &data.train_y, d, lambda, iterations),
            };
            let n = data.test_y.len().max(1) as f64;
            let wrong = data.test_x.chunks(d).zip(&data.test_y).filter(|(x, y)| model.predict(x) != **y).count();
            let dist = data.test_x.chunks(d).map(|x| model.signed_distance(x).abs()).sum::<f64>() / n;
            SweepPoint {
                lambda,
                theta_deg: deviation_angle(&model.w, &star.w).to_degrees(),
                strength: strength(&model, &mi, &mj),
                test_error: wrong as f64 / n,
                mean_adversarial_distance: dist,
                in_plane: in_plane_fraction(&model.w, plane),
                model,
            }
        })
        .collect()
}

/// The spec's lambda grid.
pub const LAMBDAS: [f64; 7] = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0];

/// The 3-D demo: two unit-variance Gaussian classes centred at `(+-1.2, 0)` in the plane `z = 0`,
/// with `z` noise of std `sigma_perp`; `n` points, classes alternating. Row-major `[n, 3]`.
pub fn demo_points(n: usize, sigma_perp: f64, seed: u64) -> (Vec<f64>, Vec<i8>) {
    let mut rng = Rng::derive(seed, 0x3D);
    let mut x = Vec::with_capacity(n * 3);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let label: i8 = if i % 2 == 0 { 1 } else { -1 };
        x.extend([1.2 * label as f64 + rng.normal(), rng.normal(), sigma_perp * rng.normal()]);
        y.push(label);
    }
    (x, y)
}

/// What the demo reads out for one tilt.
#[derive(Clone, Debug, PartialEq)]
pub struct Readout {
    pub model: Linear,
    pub theta_deg: f64,
    pub strength: f64,
    pub accuracy: f64,
    /// Mean length of the minimal adversarial perturbations, `mean |s_C(x)|`.
    pub mean_distance: f64,
    /// Accuracy of the nearest-centroid classifier on the same points.
    pub centroid_accuracy: f64,
}

/// The demo's boundary tilted by `theta_deg` out of the data plane (toward `+z`), through the
/// centroids' midpoint, and its readouts on `(x, y)` (`[n, 3]`).
pub fn demo_readout(x: &[f64], y: &[i8], theta_deg: f64) -> Readout {
    let (mi, mj) = centroids(x, y, 3);
    let star = nearest_centroid(&mi, &mj);
    // The unit vector out of the plane, made orthogonal to w* (w* has a tiny z part from noise).
    let z = norm(&star.w).max(1e-300);
    let wz = star.w[2] / z;
    let mut e = [-wz * star.w[0] / z, -wz * star.w[1] / z, 1.0 - wz * star.w[2] / z];
    let ne = norm(&e).max(1e-300);
    e.iter_mut().for_each(|v| *v /= ne);
    let mid: Vec<f64> = mi.iter().zip(&mj).map(|(a, b)| (a + b) / 2.0).collect();
    let model = tilted(&star.w, &e, theta_deg.to_radians(), &mid);
    let n = y.len().max(1) as f64;
    let acc = |c: &Linear| x.chunks(3).zip(y).filter(|(p, l)| c.predict(p) == **l).count() as f64 / n;
    Readout {
        theta_deg: deviation_angle(&model.w, &star.w).to_degrees(),
        strength: strength(&model, &mi, &mj),
        accuracy: acc(&model),
        mean_distance: x.chunks(3).map(|p| model.signed_distance(p).abs()).sum::<f64>() / n,
        centroid_accuracy: acc(&star),
        model,
    }
}

/// A fixed oblique camera: rotate by `yaw` about z, then look down by `pitch`; screen `(x, y)`
/// with y up (both radians).
pub fn project3(p: &[f64], yaw: f64, pitch: f64) -> (f64, f64) {
    let (xr, yr) = (p[0] * yaw.cos() - p[1] * yaw.sin(), p[0] * yaw.sin() + p[1] * yaw.cos());
    (xr, p[2] * pitch.cos() + yr * pitch.sin())
}

/// The corners of the square of half-size `half` of the plane `{p : w.p + b = 0}` around the
/// point of it nearest `centre`, in drawing order.
pub fn plane_corners(c: &Linear, centre: &[f64], half: f64) -> Vec<[f64; 3]> {
    let n = norm(&c.w).max(1e-300);
    let u: Vec<f64> = c.w.iter().map(|v| v / n).collect();
    let off = c.score(centre) / n;
    let o: Vec<f64> = centre.iter().zip(&u).map(|(p, k)| p - off * k).collect();
    // A direction in the plane: y made orthogonal to the normal (the tilt is in the x-z plane).
    let mut a = [0.0, 1.0, 0.0];
    let ay = dot(&a, &u);
    a.iter_mut().zip(&u).for_each(|(v, k)| *v -= ay * k);
    let na = norm(&a).max(1e-300);
    a.iter_mut().for_each(|v| *v /= na);
    let b = [u[1] * a[2] - u[2] * a[1], u[2] * a[0] - u[0] * a[2], u[0] * a[1] - u[1] * a[0]];
    [(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0)]
        .iter()
        .map(|(s, t)| [0, 1, 2].map(|k| o[k] + half * (s * a[k] + t * b[k])))
        .collect()
}

/// The sweep on a user's table: classes 0 and 1 of row-major `[n, d]` training and test points
/// (the others dropped), labels as +1 / -1.
pub fn binary_subset(x: &[f32], y: &[u32], d: usize) -> (Vec<f64>, Vec<i8>) {
    let mut out = Vec::new();
    let mut labels = Vec::new();
    for (row, &c) in x.chunks(d).zip(y) {
        if c < 2 {
            out.extend(row.iter().map(|v| *v as f64));
            labels.push(if c == 0 { 1 } else { -1 });
        }
    }
    (out, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_data(rng: &mut Rng, n: usize, d: usize) -> (Vec<f64>, Vec<i8>) {
        let x = (0..n * d).map(|_| rng.normal() * 2.0).collect();
        let y = (0..n).map(|i| if (i * 7 + 3) % 3 == 0 { 1 } else { -1 }).collect();
        (x, y)
    }

    #[test]
    fn strength_is_the_ratio_of_mean_distances_and_one_over_cos_theta() {
        // Property 1: for random w, b and labelled data, d(C*) / d(C) = 1 / cos(theta) to 1e-9
        // relative, whatever the bias.
        let mut rng = Rng::new(11);
        for _ in 0..50 {
            let d = 2 + rng.below(20);
            let (x, y) = random_data(&mut rng, 40, d);
            let (mi, mj) = centroids(&x, &y, d);
            let star = nearest_centroid(&mi, &mj);
            let c = Linear { w: (0..d).map(|_| rng.normal()).collect(), b: rng.normal() * 5.0 };
            let theta = deviation_angle(&c.w, &star.w);
            if theta.cos().abs() < 1e-3 {
                continue;
            }
            let ratio = class_signed_mean_distance(&star, &x, &y, d) / class_signed_mean_distance(&c, &x, &y, d);
            let s = strength(&c, &mi, &mj);
            for v in [ratio, s] {
                assert!((v * theta.cos() - 1.0).abs() <= 1e-9, "{v} vs 1/cos = {}", 1.0 / theta.cos());
            }
            let shifted = Linear { b: c.b + 3.0, ..c.clone() };
            let r2 = class_signed_mean_distance(&star, &x, &y, d) / class_signed_mean_distance(&shifted, &x, &y, d);
            assert!((r2 / ratio - 1.0).abs() <= 1e-9, "the bias cancels");
            // The adversarial point crosses the boundary; the mirror lies as far on the other side.
            let p = &x[..d];
            assert_ne!(c.predict(&c.adversarial(p)), c.predict(p));
            assert!((c.signed_distance(&c.mirror(p)) + c.signed_distance(p)).abs() <= 1e-9 * (1.0 + c.signed_distance(p).abs()));
        }
    }

    #[test]
    fn tilting_in_the_empty_directions_keeps_every_prediction_and_shrinks_every_distance() {
        // Property 2: sigma_perp = 0 (data in the plane z = 0 of R^3); the tilted family classifies
        // as C* at 0, 30, 60 and 85 degrees, and mean |s_C| is cos(theta) times its value at 0.
        let mut rng = Rng::new(5);
        let d = 3;
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            let label: i8 = if i % 2 == 0 { 1 } else { -1 };
            x.extend([1.2 * label as f64 + rng.normal(), 0.5 + rng.normal(), 0.0]);
            y.push(label);
        }
        let (mi, mj) = centroids(&x, &y, d);
        let star = nearest_centroid(&mi, &mj);
        let mid: Vec<f64> = mi.iter().zip(&mj).map(|(a, b)| (a + b) / 2.0).collect();
        let mean_abs = |c: &Linear| x.chunks(d).map(|p| c.signed_distance(p).abs()).sum::<f64>() / y.len() as f64;
        let base = tilted(&star.w, &[0.0, 0.0, 1.0], 0.0, &mid);
        let at0 = mean_abs(&base);
        for deg in [0.0f64, 30.0, 60.0, 85.0] {
            let c = tilted(&star.w, &[0.0, 0.0, 1.0], deg.to_radians(), &mid);
            for p in x.chunks(d) {
                assert_eq!(c.predict(p), star.predict(p), "{deg} degrees");
            }
            assert!((mean_abs(&c) - deg.to_radians().cos() * at0).abs() <= 1e-9 * at0, "{deg} degrees");
            assert!((deviation_angle(&c.w, &star.w).to_degrees() - deg).abs() < 1e-9);
        }
    }

    #[test]
    fn the_demo_keeps_its_accuracy_while_distances_shrink() {
        // The 3-D demo with sigma_perp = 0: accuracy is the nearest-centroid classifier's at every
        // tilt, S = 1 / cos(theta), and the mean distance scales by cos(theta); the drawn plane
        // lies in the boundary.
        let (x, y) = demo_points(300, 0.0, 4);
        let flat = demo_readout(&x, &y, 0.0);
        for deg in [0.0, 30.0, 60.0, 85.0] {
            let r = demo_readout(&x, &y, deg);
            assert_eq!(r.accuracy, r.centroid_accuracy, "{deg}");
            assert!((r.theta_deg - deg).abs() < 1e-6, "{} vs {deg}", r.theta_deg);
            assert!((r.strength * deg.to_radians().cos() - 1.0).abs() < 1e-9);
            assert!((r.mean_distance - deg.to_radians().cos() * flat.mean_distance).abs() < 1e-9);
            for p in plane_corners(&r.model, &[0.0, 0.0, 0.0], 2.0) {
                assert!(r.model.score(&p).abs() < 1e-9);
            }
        }
        // With noise out of the plane, tilting costs accuracy.
        let (x, y) = demo_points(300, 0.3, 4);
        assert!(demo_readout(&x, &y, 85.0).accuracy < demo_readout(&x, &y, 0.0).accuracy);
        let (p, l) = binary_subset(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], &[0, 2, 1], 2);
        assert_eq!((p, l), (vec![0.0, 1.0, 4.0, 5.0], vec![1, -1]));
    }

    #[test]
    fn svm_limits_and_the_monotone_trend_over_lambda() {
        // Properties 3 and 4 on the spec's simulation: D = 50, sigma_perp = 0.05, m = 60, 4000 test
        // points, lambda over 1e-4 .. 100.
        let data = embedded_blobs(60, 4000, 50, 0.05, 1);
        let points = sweep(&data, &LAMBDAS, 2, 300);
        for p in &points {
            eprintln!(
                "lambda {:>7}: theta {:5.1} deg, S {:6.3}, test error {:.3}, mean adversarial distance {:.3}, in-plane {:.2}",
                p.lambda, p.theta_deg, p.strength, p.test_error, p.mean_adversarial_distance, p.in_plane
            );
        }
        let (strong, weak) = (&points[0], &points[points.len() - 1]);
        assert!(weak.theta_deg < 1.0 && weak.strength < 1.001, "lambda 100: {weak:?}");
        assert!(strong.theta_deg >= 70.0 && strong.strength >= 3.0 && strong.in_plane <= 0.3, "lambda 1e-4: {strong:?}");
        assert!(strong.test_error <= weak.test_error + 0.1, "test error rises only modestly: {} vs {}", strong.test_error, weak.test_error);
        assert!(weak.mean_adversarial_distance >= 5.0 * strong.mean_adversarial_distance, "distances drop >= 5x");
        for w in points.windows(2) {
            assert!(w[1].theta_deg <= w[0].theta_deg + 2.0, "theta rises from {} to {} deg", w[0].theta_deg, w[1].theta_deg);
        }
        // Logistic regression, swept the same way, tilts the same way (reported beside the SVM
        // in the lab; not a property of the spec).
        let logistic = sweep_fit(&data, &LAMBDAS, 2, Fit::Logistic { iterations: 1000 });
        for p in &logistic {
            eprintln!("logistic lambda {:>7}: theta {:5.1} deg, S {:6.3}, test error {:.3}, in-plane {:.2}", p.lambda, p.theta_deg, p.strength, p.test_error, p.in_plane);
        }
        assert!(logistic[0].theta_deg > logistic[logistic.len() - 1].theta_deg + 30.0);
    }

    #[test]
    fn logistic_regression_reaches_its_optimum() {
        // At the optimum the regularised gradient vanishes: lambda w = (1/m) sum (1 - p_i) y_i x_i.
        let data = embedded_blobs(80, 10, 5, 0.3, 2);
        for lambda in [1e-2, 1.0] {
            let c = logistic(&data.train_x, &data.train_y, 5, lambda, 1000);
            let m = data.train_y.len() as f64;
            let mut g = vec![0.0; 6];
            for (r, &l) in data.train_x.chunks(5).zip(&data.train_y) {
                let l = l as f64;
                let p = sigmoid(l * c.score(r));
                for k in 0..5 {
                    g[k] -= (1.0 - p) * l * r[k] / m;
                }
                g[5] -= (1.0 - p) * l / m;
            }
            for k in 0..5 {
                g[k] += lambda * c.w[k];
            }
            assert!(g.iter().all(|v| v.abs() < 1e-8), "lambda {lambda}: gradient {g:?}");
        }
    }
}

//! Minimal adversarial perturbations for any classifier with input gradients
//! ([`Classifier::scores`]): a batched DeepFool iteration toward the nearest class boundary
//! (Moosavi-Dezfooli et al. 2016, linearising the gap to the runner-up class at every step),
//! then the first crossing of the boundary on the segment from the point to what it found. Where
//! DeepFool fails, segments toward probes of another class (a grid over the view) and toward the
//! nearest shown point of another class are searched too, and each point keeps the nearest
//! crossing. Everything stays on the device: the page reads the points back with the predictions.

use crate::classifiers::Classifier;
use burn::tensor::{Bool, Int, Tensor};

/// DeepFool steps and bisection halvings (2^-20 of the segment: far below the 1% the view needs).
pub const ITERATIONS: usize = 40;
pub const BISECTIONS: usize = 20;
/// Points at which the found segment is scanned for its first crossing.
pub const SCAN: usize = 32;
/// DeepFool's overshoot past the linearised boundary.
pub const OVERSHOOT: f64 = 0.02;

/// Adversarial points for `x` (`[n, dim]`, no autodiff): `(adversarial [n, dim], found [n],
/// bound [n])`, where `found` marks the points whose search crossed into another class (the
/// others are returned unmoved) and `bound` those whose crossing came from the segment toward the
/// nearest shown point (an upper bound on the minimal distance). `probes` (`[m, dim]`, e.g. a
/// grid over the view) are points whose classes guide the search where DeepFool fails. None when
/// the model has no input gradients.
pub fn minimal_perturbations(model: &dyn Classifier, x: Tensor<2>, probes: Option<Tensor<2>>) -> Option<(Tensor<2>, Tensor<1, Bool>, Tensor<1, Bool>)> {
    let [n, dim] = x.dims();
    let origin_class = model.scores(x.clone())?.argmax(1); // [n, 1]
    let mut adv = x.clone();
    for _ in 0..ITERATIONS {
        let xa = adv.clone().autodiff().require_grad();
        let s = model.scores(xa.clone())?;
        let c = s.dims()[1];
        if c < 2 {
            return None;
        }
        // [n, 1]: the original class's score and the best other one's.
        let own = s.clone().gather(1, origin_class.clone());
        let others = s.clone().mask_fill(one_hot_mask(origin_class.clone(), c), f32::NEG_INFINITY);
        let runner = others.argmax(1);
        let gap = s.gather(1, runner) - own; // < 0 while still in the original class
        let grads = gap.clone().sum().backward();
        let g = xa.grad(&grads)?.without_autodiff(); // [n, dim]
        let gap = gap.without_autodiff();
        let active = gap.clone().lower_elem(0.0); // [n, 1]
        // Step to the linearised boundary: -gap / ||g||^2 * g, overshot a little.
        let sq = g.clone().powi_scalar(2).sum_dim(1).clamp_min(1e-12);
        let step = g * (gap.neg().add_scalar(1e-6) / sq).mul_scalar(1.0 + OVERSHOOT);
        let step = step.mask_fill(active.bool_not().expand([n, dim]), 0.0);
        adv = adv + step;
    }
    // DeepFool stalls where the score gap has a ridge (ReLU networks have them): it then steps
    // back and forth without crossing; where the gradient vanishes (a kernel machine far from
    // its data) its steps explode. So two more segments are searched, each toward a point known
    // to lie in another class: the nearest `probes` point (the view's grid, when given: within
    // one grid cell of the nearest boundary in its plane) and the nearest shown point. Each point
    // keeps the nearest crossing of the three; it is marked as an upper bound only where DeepFool
    // and the grid both failed.
    let length = |p: &Tensor<2>| (p.clone() - x.clone()).powi_scalar(2).sum_dim(1); // [n, 1]
    let shown = nearest_of_other_class(x.clone(), x.clone(), origin_class.clone(), origin_class.clone());
    // A DeepFool end beyond the nearest shown point of another class is no better than it (and
    // its segment, scanned at the same number of points, would be coarser).
    let exploded = length(&adv).greater(length(&shown));
    let (mut best, found_a) = first_crossing(model, x.clone(), adv, origin_class.clone())?;
    let mut found = found_a.bool_and(exploded.bool_not());
    // Searches the segment toward `target` and keeps its crossing where nearer than the best so
    // far: `(where it was kept, where it crossed)`.
    let mut keep_nearer = |target: Tensor<2>| -> Option<(Tensor<2, Bool>, Tensor<2, Bool>)> {
        let (point, ok) = first_crossing(model, x.clone(), target, origin_class.clone())?;
        let nearer = ok.clone().bool_and(found.clone().bool_not().bool_or(length(&point).lower(length(&best))));
        best = best.clone().mask_where(nearer.clone().expand([n, dim]), point);
        found = found.clone().bool_or(ok.clone());
        Some((nearer, ok))
    };
    let grid_crossed = match probes {
        Some(p) => {
            let probe_class = model.scores(p.clone())?.argmax(1); // [m, 1]
            Some(keep_nearer(nearest_of_other_class(x.clone(), p, origin_class.clone(), probe_class))?.1)
        }
        None => None,
    };
    let (from_shown, _) = keep_nearer(shown)?;
    // Where the grid's segment crossed, the nearest crossing is within a cell of the boundary
    // whichever segment gave it; only where it did not is the shown point's an upper bound.
    let bound = match grid_crossed {
        Some(g) => from_shown.bool_and(g.bool_not()),
        None => from_shown,
    };
    let end = best.mask_where(found.clone().bool_not().expand([n, dim]), x);
    Some((end, found.reshape([n]), bound.reshape([n])))
}

/// For each row of `x` (`[n, dim]`, classes `class` `[n, 1]`), the nearest of `points` (`[m, dim]`,
/// classes `point_class` `[m, 1]`) of another class; a row with none gets an arbitrary point
/// (its segment then does not cross and is not used).
fn nearest_of_other_class(x: Tensor<2>, points: Tensor<2>, class: Tensor<2, Int>, point_class: Tensor<2, Int>) -> Tensor<2> {
    let (n, m) = (x.dims()[0], points.dims()[0]);
    let xs = x.clone().powi_scalar(2).sum_dim(1); // [n, 1]
    let ps = points.clone().powi_scalar(2).sum_dim(1).reshape([1, m]);
    let d2 = xs + ps - x.matmul(points.clone().transpose()).mul_scalar(2.0); // [n, m]
    let same = class.expand([n, m]).equal(point_class.reshape([1, m]).expand([n, m]));
    points.select(0, d2.mask_fill(same, f32::INFINITY).argmin(1).reshape([n]))
}

/// The first crossing of the class boundary on each segment from `x` to `end` (`[n, dim]`):
/// `(point just across [n, dim], crossed [n, 1])`. A segment may cross more than once (islands of
/// another class: an interpolating kernel machine has them around noisy points), so it is
/// scanned at SCAN points and only the first interval where the class changes is bisected: the
/// first crossing, to 1/SCAN of the segment's length, then 2^-BISECTIONS in all.
fn first_crossing(model: &dyn Classifier, x: Tensor<2>, end: Tensor<2>, class: Tensor<2, Int>) -> Option<(Tensor<2>, Tensor<2, Bool>)> {
    let [n, dim] = x.dims();
    let crossed = differs(model, end.clone(), class.clone())?; // [n, 1]
    let dir = end - x.clone();
    let t = Tensor::<1, Int>::arange(1..SCAN as i64 + 1, &x.device()).float().div_scalar(SCAN as f64); // [SCAN]
    let along = (x.clone().reshape([n, 1, dim]) + dir.clone().reshape([n, 1, dim]) * t.reshape([1, SCAN, 1])).reshape([n * SCAN, dim]);
    let changed = model.scores(along)?.argmax(1).reshape([n, SCAN]).not_equal(class.clone().expand([n, SCAN])); // [n, SCAN]
    // The first changed sample j: the largest of changed * (SCAN - j).
    let rank = Tensor::<1, Int>::arange(0..SCAN as i64, &x.device()).neg().add_scalar(SCAN as i64).reshape([1, SCAN]).expand([n, SCAN]);
    let first = (changed.clone().int() * rank).argmax(1).float(); // [n, 1]
    // Where no sample changed (the end sits on the boundary and rounding moved it), the whole
    // segment is bisected.
    let none = changed.any_dim(1).bool_not(); // [n, 1]
    // Bisection on t in [lo, hi]: x + lo d keeps the class, x + hi d does not.
    let mut lo = first.clone().div_scalar(SCAN as f64).mask_fill(none.clone(), 0.0);
    let mut hi = first.add_scalar(1.0).div_scalar(SCAN as f64).mask_fill(none, 1.0);
    // The scan gave the first 1/SCAN of the resolution (finer than 2^-BISECTIONS in all would
    // put points on the boundary to the last bit, where rounding decides the class).
    for _ in 0..BISECTIONS - SCAN.trailing_zeros() as usize {
        let mid = (lo.clone() + hi.clone()).mul_scalar(0.5);
        let over = differs(model, x.clone() + dir.clone() * mid.clone(), class.clone())?;
        hi = hi.mask_where(over.clone(), mid.clone());
        lo = lo.mask_where(over.bool_not(), mid);
    }
    // The scan and the bisection predict in batches of other shapes, whose float rounding can
    // differ in the last bit: a result that lands back in its class (on the boundary) takes the
    // segment's end, which was checked in a batch of this shape.
    let point = x.clone() + dir.clone() * hi;
    let on_boundary = differs(model, point.clone(), class)?.bool_not(); // [n, 1]
    Some((point.mask_where(on_boundary.expand([n, dim]), x + dir), crossed))
}

/// `[n, 1]`: the model's class at `x` differs from `class`.
fn differs(model: &dyn Classifier, x: Tensor<2>, class: Tensor<2, Int>) -> Option<Tensor<2, Bool>> {
    Some(model.scores(x)?.argmax(1).not_equal(class))
}

/// `[n, c]`: true at each row's `class` (`[n, 1]`), built on the device.
fn one_hot_mask(class: Tensor<2, Int>, c: usize) -> Tensor<2, Bool> {
    let n = class.dims()[0];
    let cols = Tensor::<1, Int>::arange(0..c as i64, &class.device()).reshape([1, c]).expand([n, c]);
    cols.equal(class.expand([n, c]))
}

/// Euclidean lengths of the perturbations `[n]` (0 where none was found).
pub fn distances(x: Tensor<2>, adversarial: Tensor<2>) -> Tensor<1> {
    let n = x.dims()[0];
    (adversarial - x).powi_scalar(2).sum_dim(1).sqrt().reshape([n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifiers::test_util::{device, floats, t2};
    use crate::classifiers::{REGISTRY, TrainData, find};
    use crate::params::Params;
    use burn::tensor::Device;

    fn trained(name: &str, data: &crate::data::Dataset, steps: usize) -> Box<dyn Classifier> {
        let spec = find(name).unwrap();
        let td = TrainData::new(data, &Device::flex().autodiff()).unwrap();
        let mut m = spec.build(&Params::defaults(spec.params), &td, 1).unwrap();
        for _ in 0..steps {
            m.step().unwrap();
        }
        m
    }

    fn classes(model: &dyn Classifier, x: &[f32]) -> Vec<usize> {
        let c = model.predict_proba(t2(vec![0.0; 2], [1, 2])).dims()[1];
        floats(model.predict_proba(t2(x.to_vec(), [x.len() / 2, 2]))).chunks(c).map(crate::viz::argmax).collect()
    }

    #[test]
    fn every_mlp_adversarial_point_is_across_and_within_one_percent_of_the_boundary() {
        across_and_within_one_percent("mlp", 300);
    }

    #[test]
    fn every_ntk_adversarial_point_is_across_and_within_one_percent_of_the_boundary() {
        // The kernel machine's scores go through the interpolated kernel table: their argmax must
        // be its prediction, and the search must land just across its boundary. (Before the scan
        // of the segment, 83 of 300 searches crossed an island of the other class first; before
        // the rule against exploding steps, DeepFool went up to 6e4 away where the kernel's
        // gradient vanishes.)
        across_and_within_one_percent("ntk", 5);
    }

    /// The check: every point found is classified differently from its origin, and the
    /// point 99% of the way there is still in the origin's class (so the boundary lies in the
    /// last 1% of the perturbation).
    fn across_and_within_one_percent(name: &str, steps: usize) {
        let data = crate::data::generate(&crate::data::ToyConfig { kind: crate::data::DatasetKind::Moons, n: 300, noise: 0.15, seed: 3, classes: 2 });
        let model = trained(name, &data, steps);
        let x = t2(data.x.clone(), [300, 2]);
        let (adv, found, _) = minimal_perturbations(model.as_ref(), x, None).unwrap();
        let (adv, found) = (floats(adv), found.into_data().convert::<bool>().try_to_vec::<bool>().unwrap());
        let origin = classes(model.as_ref(), &data.x);
        let moved = classes(model.as_ref(), &adv);
        let inner: Vec<f32> = data.x.iter().zip(&adv).map(|(a, b)| a + 0.99 * (b - a)).collect();
        let near = classes(model.as_ref(), &inner);
        let n_found = found.iter().filter(|f| **f).count();
        assert!(n_found >= 290, "only {n_found} of 300 searches crossed");
        for i in (0..300).filter(|&i| found[i]) {
            assert_ne!(moved[i], origin[i], "{name} point {i}: the adversarial point keeps the class");
            assert_eq!(near[i], origin[i], "{name} point {i}: the boundary is not within the last 1%");
        }
        // Minimal-ish: for a point near the boundary, the distance is small.
        let d = floats(distances(t2(data.x.clone(), [300, 2]), t2(adv, [300, 2])));
        let bad: Vec<f32> = d.iter().zip(&found).filter(|(v, f)| **f && !(v.is_finite() && **v > 0.0 && **v < 3.0)).map(|(v, _)| *v).collect();
        assert!(bad.is_empty(), "{name}: distances {bad:?}");
    }

    #[test]
    fn probes_over_the_view_shorten_the_search_where_deepfool_fails() {
        // The NTK's peaked kernel leaves DeepFool without a gradient for most points; a grid of
        // probes over the data gives every point a crossing within a cell of the boundary, never
        // longer than the search without them, and none is left as an upper bound.
        let data = crate::data::generate(&crate::data::ToyConfig { kind: crate::data::DatasetKind::Moons, n: 300, noise: 0.2, seed: 1, classes: 2 });
        let model = trained("ntk", &data, 5);
        let b = data.view_bounds(0.1);
        let probes = crate::data::plane::Plane::first_two(&data).grid_points(b, 48);
        let x = t2(data.x.clone(), [300, 2]);
        let (plain, _, plain_bound) = minimal_perturbations(model.as_ref(), x.clone(), None).unwrap();
        let (guided, found, bound) = minimal_perturbations(model.as_ref(), x.clone(), Some(t2(probes, [48 * 48, 2]))).unwrap();
        let bools = |t: Tensor<1, Bool>| t.into_data().convert::<bool>().try_to_vec::<bool>().unwrap();
        assert!(bools(found).iter().all(|f| *f));
        let (without, with) = (floats(distances(x.clone(), plain)), floats(distances(x, guided)));
        assert!(without.iter().zip(&with).all(|(a, b)| *b <= *a + 1e-5), "a guided search went farther");
        let improved = without.iter().zip(&with).filter(|(a, b)| **b < **a - 1e-3).count();
        let (before, after) = (bools(plain_bound).iter().filter(|b| **b).count(), bools(bound).iter().filter(|b| **b).count());
        eprintln!("upper bounds: {before} without probes, {after} with; {improved} of 300 shorter");
        assert!(before > 100 && after == 0 && improved > 50, "{before} {after} {improved}");
    }

    #[test]
    fn a_linear_model_gets_the_exact_orthogonal_projection() {
        // Logistic regression is linear in x: DeepFool's first step lands on the boundary along
        // its normal, so the perturbation is the distance to the plane (the closed form).
        let data = crate::data::generate(&crate::data::ToyConfig { kind: crate::data::DatasetKind::Linear, n: 200, noise: 0.0, seed: 2, classes: 2 });
        let model = trained("logreg", &data, 200);
        let x = t2(data.x.clone(), [200, 2]);
        let (adv, found, _) = minimal_perturbations(model.as_ref(), x.clone(), None).unwrap();
        assert!(found.clone().into_data().convert::<bool>().try_to_vec::<bool>().unwrap().iter().all(|f| *f));
        // The two-class logit gap is w.x + b with w = w1 - w0: read it from the scores of three points.
        let s = floats(model.scores(t2(vec![0.0, 0.0, 1.0, 0.0, 0.0, 1.0], [3, 2])).unwrap());
        let g = |k: usize| s[2 * k + 1] - s[2 * k];
        let (b, w) = (g(0), [g(1) - g(0), g(2) - g(0)]);
        let norm = (w[0] * w[0] + w[1] * w[1]).sqrt();
        let d = floats(distances(x, adv));
        for (i, p) in data.x.chunks(2).enumerate() {
            let exact = ((w[0] * p[0] + w[1] * p[1] + b) / norm).abs();
            assert!((d[i] - exact).abs() <= 1e-3 * (1.0 + exact), "point {i}: {} vs {exact}", d[i]);
        }
    }

    #[test]
    fn models_without_gradients_say_so() {
        let data = crate::data::generate(&crate::data::ToyConfig { kind: crate::data::DatasetKind::Moons, n: 100, noise: 0.1, seed: 1, classes: 2 });
        for spec in REGISTRY {
            let model = trained(spec.name, &data, 5);
            let has = model.scores(t2(vec![0.0, 0.0], [1, 2])).is_some();
            assert_eq!(minimal_perturbations(model.as_ref(), t2(data.x[..20].to_vec(), [10, 2]), None).is_some(), has, "{}", spec.name);
            let _ = device();
        }
    }

    #[test]
    fn stalled_searches_fall_back_and_still_cross() {
        // On noisier moons a 16-16 ReLU network has ridges of the score gap where DeepFool steps
        // back and forth (measured: 17 of 500 points); the fallback makes every search cross.
        let data = crate::data::generate(&crate::data::ToyConfig { kind: crate::data::DatasetKind::Moons, n: 500, noise: 0.2, seed: 1, classes: 2 });
        let model = trained("mlp", &data, 500);
        let (adv, found, _) = minimal_perturbations(model.as_ref(), t2(data.x.clone(), [500, 2]), None).unwrap();
        let found = found.into_data().convert::<bool>().try_to_vec::<bool>().unwrap();
        assert!(found.iter().all(|f| *f), "{} of 500 crossed", found.iter().filter(|f| **f).count());
        let (origin, moved) = (classes(model.as_ref(), &data.x), classes(model.as_ref(), &floats(adv)));
        assert!(origin.iter().zip(&moved).all(|(a, b)| a != b));
    }
}

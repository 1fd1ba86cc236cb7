//! TEEN's training-free prototype calibration (`shared/specs/teen.md`), the core of issue 7's
//! few-shot class-incremental method: a novel class's prototype is mixed with the
//! similarity-weighted mean of the base prototypes, and every class is scored by the cosine to its
//! prototype. Work in progress: the encoder, the base / novel sessions and the page's timeline
//! come with the registry entry.
//!
//! Parameterisation as in the official code: `alpha` weighs the base-derived term,
//! `p_hat = (1 - alpha) p_bar + alpha delta_bar`.

use super::unit_rows as normalise;
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

/// Calibrated novel prototypes: `novel` `[N, D]` (means of the K shots), `base` `[B, D]` ->
/// `[N, D]`. `a_nb = softmax_b(tau cos(p_n, p_b))` over base classes only,
/// `delta_n = normalise(sum_b a_nb p_bar_b)`, `p_hat_n = (1 - alpha) p_bar_n + alpha delta_n`.
pub fn calibrate(novel: Tensor<2>, base: Tensor<2>, alpha: f64, tau: f64) -> Tensor<2> {
    let (pn, pb) = (normalise(novel), normalise(base));
    let weights = softmax(pn.clone().matmul(pb.clone().transpose()).mul_scalar(tau), 1); // [N, B]
    let delta = normalise(weights.matmul(pb)); // [N, D]
    pn.mul_scalar(1.0 - alpha) + delta.mul_scalar(alpha)
}

/// The calibration weights `a_nb` (`[N, B]`), for the view's arrows.
pub fn weights(novel: Tensor<2>, base: Tensor<2>, tau: f64) -> Tensor<2> {
    softmax(normalise(novel).matmul(normalise(base).transpose()).mul_scalar(tau), 1)
}

/// Cosine logits `s cos(f, q_c)`: features `[n, D]`, prototypes `[C, D]` -> `[n, C]`.
pub fn cosine_logits(features: Tensor<2>, prototypes: Tensor<2>, scale: f64) -> Tensor<2> {
    normalise(features).matmul(normalise(prototypes).transpose()).mul_scalar(scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::classifiers::test_util::{floats, t2};

    fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    #[test]
    fn the_specs_closed_form_example() {
        // D = 2, base (1, 0) and (0, 1), novel (2, 1), tau 16, alpha 0.5.
        let base = t2(vec![1.0, 0.0, 0.0, 1.0], [2, 2]);
        let novel = t2(vec![2.0, 1.0], [1, 2]);
        assert!(close(&floats(normalise(novel.clone())), &[0.8944, 0.4472], 1e-4));
        assert!(close(&floats(weights(novel.clone(), base.clone(), 16.0)), &[0.99922, 0.00078], 1e-4));
        assert!(close(&floats(calibrate(novel.clone(), base.clone(), 1.0, 16.0)), &[1.0, 0.00078], 1e-4), "alpha 1 gives delta");
        assert!(close(&floats(calibrate(novel, base, 0.5, 16.0)), &[0.9472, 0.2240], 1e-4));
    }

    #[test]
    fn alpha_and_temperature_limits() {
        let mut rng = Rng::new(5);
        let (n, b, d) = (4, 6, 16);
        // Non-negative features, as after a final ReLU.
        let base = t2((0..b * d).map(|_| rng.uniform() as f32).collect(), [b, d]);
        let novel = t2((0..n * d).map(|_| rng.uniform() as f32).collect(), [n, d]);
        // alpha = 0: exactly the normalised novel means, so predictions equal the plain prototype classifier's.
        assert_eq!(floats(calibrate(novel.clone(), base.clone(), 0.0, 16.0)), floats(normalise(novel.clone())));
        // tau = 0: every delta is the normalised mean of the normalised base prototypes.
        let mean_base = normalise(normalise(base.clone()).mean_dim(0));
        let flat = floats(calibrate(novel.clone(), base.clone(), 1.0, 0.0));
        let want = floats(mean_base);
        for row in flat.chunks(d) {
            assert!(close(row, &want, 1e-6), "{row:?} vs {want:?}");
        }
        // tau = 1e4: delta is the single most similar base prototype.
        let sharp = floats(calibrate(novel.clone(), base.clone(), 1.0, 1e4));
        let cos = floats(normalise(novel).matmul(normalise(base.clone()).transpose()));
        let pb = floats(normalise(base));
        for (k, row) in sharp.chunks(d).enumerate() {
            let best = crate::viz::argmax(&cos[k * b..(k + 1) * b]);
            assert!(close(row, &pb[best * d..(best + 1) * d], 1e-5), "novel {k}");
        }
    }
}

//! ST-ProtoPNet's prototype layer and losses (`shared/specs/st-protopnet.md`), the core of
//! issue 7's second method: support prototypes pulled together across classes (toward the
//! boundary), trivial ones pushed apart, each branch with a cosine-similarity layer and a linear
//! head. Work in progress: the encoder, the alternating schedule, the registry entry and the
//! page's prototype markers come next.
//!
//! Layout: `P = C * M` prototypes per branch as rows, class by class (prototype `j` belongs to
//! class `j / M`); features and prototypes are unit vectors.

pub use super::unit_rows as renormalise;
use burn::tensor::{Bool, Device, Tensor, TensorData};

/// `s_j(x) = relu(z . p_j)`: unit features `[n, d]`, unit prototypes `[P, d]` -> `[n, P]`.
pub fn similarity(z: Tensor<2>, prototypes: Tensor<2>) -> Tensor<2> {
    z.matmul(prototypes.transpose()).clamp_min(0.0)
}

/// The last layer's initial weights `[P, C]`: +1 to the prototype's own class, -0.5 elsewhere
/// (logits are `s W`).
pub fn head_init(n_classes: usize, per_class: usize, device: &Device) -> Tensor<2> {
    let p = n_classes * per_class;
    let w: Vec<f32> = (0..p).flat_map(|j| (0..n_classes).map(move |c| if j / per_class == c { 1.0 } else { -0.5 })).collect();
    Tensor::from_data(TensorData::new(w, [p, n_classes]), device)
}

/// `[n, P]` mask of each row's own-class prototypes.
pub fn own_class(labels: &[u32], n_classes: usize, per_class: usize, device: &Device) -> Tensor<2, Bool> {
    let p = n_classes * per_class;
    let m: Vec<bool> = labels.iter().flat_map(|&y| (0..p).map(move |j| j / per_class == y as usize)).collect();
    Tensor::from_data(TensorData::new(m, [labels.len(), p]), device)
}

/// `Clst = mean_i max_{j in P_y} s_j(x_i)` (similarities are >= 0, so masked entries use -1).
pub fn cluster(s: Tensor<2>, own: Tensor<2, Bool>) -> Tensor<1> {
    s.mask_fill(own.bool_not(), -1.0).max_dim(1).mean()
}

/// `Sep = mean_i max_{j not in P_y} s_j(x_i)`.
pub fn separation(s: Tensor<2>, own: Tensor<2, Bool>) -> Tensor<1> {
    s.mask_fill(own, -1.0).max_dim(1).mean()
}

/// `Orth = sum_c ||P_c P_c^T - I_M||_1`: `[C * M, d]`.
pub fn orthogonality(prototypes: Tensor<2>, n_classes: usize, per_class: usize) -> Tensor<1> {
    let d = prototypes.dims()[1];
    let p = prototypes.reshape([n_classes, per_class, d]);
    let gram = p.clone().matmul(p.swap_dims(1, 2)); // [C, M, M]
    let eye = Tensor::<2>::eye(per_class, &gram.device()).reshape([1, per_class, per_class]);
    (gram - eye).abs().sum()
}

/// Cross-class cosines of prototype pairs, reduced per ordered class pair `(c, c')` by `reduce`
/// over the `M x M` pairs: `[C * M, d]` -> `[C, C]`.
fn class_pair_cosines(prototypes: Tensor<2>, n_classes: usize, per_class: usize, max: bool) -> Tensor<2> {
    let gram = prototypes.clone().matmul(prototypes.transpose()); // [P, P]
    let g = gram.reshape([n_classes, per_class, n_classes, per_class]);
    let r = if max { g.max_dim(3).max_dim(1) } else { g.min_dim(3).min_dim(1) }; // [C, 1, C, 1]
    r.reshape([n_classes, n_classes])
}

/// The mean over ordered pairs of different classes of a `[C, C]` table.
fn off_diagonal_mean(t: Tensor<2>) -> Tensor<1> {
    let c = t.dims()[0];
    let off = Tensor::<2>::eye(c, &t.device()).neg().add_scalar(1.0);
    (t * off).sum().div_scalar((c * (c - 1)).max(1) as f64)
}

/// `Discr = mean_{c != c'} max_{p in T_c, q in T_c'} p . q`: pushes the closest cross-class
/// trivial pair apart.
pub fn discrimination(trivial: Tensor<2>, n_classes: usize, per_class: usize) -> Tensor<1> {
    off_diagonal_mean(class_pair_cosines(trivial, n_classes, per_class, true))
}

/// `Close = -mean_{c != c'} min_{p in S_c, q in S_c'} p . q`: pulls even the farthest
/// cross-class support pair together.
pub fn closeness(support: Tensor<2>, n_classes: usize, per_class: usize) -> Tensor<1> {
    off_diagonal_mean(class_pair_cosines(support, n_classes, per_class, false)).neg()
}

/// `sum |W|` over the entries linking a prototype to another class.
pub fn off_class_l1(w: Tensor<2>, per_class: usize) -> Tensor<1> {
    let [p, c] = w.dims();
    let mask: Vec<f32> = (0..p).flat_map(|j| (0..c).map(move |k| if j / per_class == k { 0.0 } else { 1.0 })).collect();
    let mask = Tensor::<2>::from_data(TensorData::new(mask, [p, c]), &w.device());
    (w.abs() * mask).sum()
}

/// Push: each prototype becomes the feature of the own-class training point most similar to it.
/// `prototypes` `[P, d]`, unit `features` `[n, d]` -> (new prototypes, source row per prototype).
/// Host work on the read-back similarities (done once, at the end of training).
pub fn push(prototypes: &[f32], features: &[f32], labels: &[u32], dim: usize, per_class: usize) -> (Vec<f32>, Vec<usize>) {
    let p = prototypes.len() / dim;
    let mut out = Vec::with_capacity(prototypes.len());
    let mut sources = Vec::with_capacity(p);
    for j in 0..p {
        let proto = &prototypes[j * dim..(j + 1) * dim];
        let class = (j / per_class) as u32;
        let best = (0..labels.len())
            .filter(|&i| labels[i] == class)
            .map(|i| (i, features[i * dim..(i + 1) * dim].iter().zip(proto).map(|(a, b)| a * b).sum::<f32>()))
            .fold(None, |best: Option<(usize, f32)>, (i, s)| if best.is_none_or(|(_, b)| s > b) { Some((i, s)) } else { best });
        match best {
            Some((i, _)) => {
                out.extend_from_slice(&features[i * dim..(i + 1) * dim]);
                sources.push(i);
            }
            // A class without training points keeps its prototype.
            None => {
                out.extend_from_slice(proto);
                sources.push(usize::MAX);
            }
        }
    }
    (out, sources)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifiers::test_util::{device as dev, floats, t2};
    use crate::rng::Rng;

    fn random(rng: &mut Rng, n: usize, d: usize) -> Tensor<2> {
        renormalise(t2((0..n * d).map(|_| rng.normal() as f32).collect(), [n, d]))
    }

    #[test]
    fn invariants_unit_prototypes_head_pattern_and_push() {
        let mut rng = Rng::new(1);
        let p = random(&mut rng, 12, 8);
        for row in floats(p.clone()).chunks(8) {
            assert!((row.iter().map(|v| v * v).sum::<f32>().sqrt() - 1.0).abs() <= 1e-6);
        }
        let w = floats(head_init(4, 3, &dev()));
        for j in 0..12 {
            for c in 0..4 {
                assert_eq!(w[j * 4 + c], if j / 3 == c { 1.0 } else { -0.5 });
            }
        }
        // Push: each prototype is exactly the feature row of a training point of its own class.
        let features = floats(random(&mut rng, 40, 8));
        let labels: Vec<u32> = (0..40).map(|i| (i % 4) as u32).collect();
        let (pushed, sources) = push(&floats(p), &features, &labels, 8, 3);
        for (j, &i) in sources.iter().enumerate() {
            assert_eq!(labels[i] as usize, j / 3);
            assert_eq!(&pushed[j * 8..(j + 1) * 8], &features[i * 8..(i + 1) * 8]);
        }
    }

    #[test]
    fn loss_signs_at_their_extremes() {
        // Two classes, one prototype each: identical support prototypes give Close = -1; antipodal
        // trivial ones give Discr = -1.
        let same = t2(vec![0.6, 0.8, 0.6, 0.8], [2, 2]);
        assert!((floats(closeness(same, 2, 1))[0] + 1.0).abs() < 1e-6);
        let opposite = t2(vec![0.6, 0.8, -0.6, -0.8], [2, 2]);
        assert!((floats(discrimination(opposite, 2, 1))[0] + 1.0).abs() < 1e-6);
        // Orthogonal prototypes within a class have no orthogonality cost; cluster and separation
        // pick the own / other class's best similarity.
        let p = t2(vec![1.0, 0.0, 0.0, 1.0], [2, 2]);
        assert!(floats(orthogonality(p.clone(), 1, 2))[0].abs() < 1e-6);
        let z = t2(vec![1.0, 0.0], [1, 2]);
        let s = similarity(z, p);
        let own = own_class(&[0], 2, 1, &dev());
        assert_eq!((floats(cluster(s.clone(), own.clone()))[0], floats(separation(s, own))[0]), (1.0, 0.0));
    }

    #[test]
    fn descending_close_alone_brings_support_prototypes_together() {
        let ad = Device::flex().autodiff();
        let mut rng = Rng::new(4);
        let mut s = floats(random(&mut rng, 2, 8));
        let mut last = f32::NEG_INFINITY;
        for step in 0..60 {
            let t = Tensor::<2>::from_data(TensorData::new(s.clone(), [2, 8]), &ad).require_grad();
            let loss = closeness(t.clone(), 2, 1);
            let cosine = -floats(loss.clone())[0];
            assert!(cosine >= last - 1e-6, "step {step}: cosine {cosine} after {last}");
            last = cosine;
            let g = floats(t.grad(&loss.backward()).expect("gradient"));
            let moved: Vec<f32> = s.iter().zip(&g).map(|(a, b)| a - 0.05 * b).collect();
            s = floats(renormalise(t2(moved, [2, 8])));
        }
        assert!(last > 0.9, "the two support prototypes end close: cosine {last}");
    }
}

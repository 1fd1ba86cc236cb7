//! Toy datasets: deterministic per seed, the promised class counts, the promised shapes.

use boundary_lab::data::{DatasetKind, ToyConfig, generate};

#[test]
fn same_seed_gives_identical_datasets_and_another_seed_does_not() {
    for kind in DatasetKind::ALL {
        let cfg = ToyConfig { kind, n: 200, noise: 0.2, seed: 42, classes: 3 };
        let a = generate(&cfg);
        assert_eq!(a, generate(&cfg), "{kind:?}");
        assert_ne!(a, generate(&ToyConfig { seed: 43, ..cfg.clone() }), "{kind:?}");
        assert_eq!(a.len(), 200);
        assert!(a.x.iter().all(|v| v.is_finite() && v.abs() < 5.0));
    }
}

#[test]
fn class_counts_follow_the_generator() {
    let blobs = generate(&ToyConfig { kind: DatasetKind::Blobs, n: 500, classes: 5, ..Default::default() });
    assert_eq!(blobs.class_counts(), vec![100; 5]);
    let spirals = generate(&ToyConfig { kind: DatasetKind::Spirals, n: 300, classes: 9, ..Default::default() });
    assert_eq!(spirals.n_classes, 3, "spirals clamp to 3 arms");
    let moons = generate(&ToyConfig { kind: DatasetKind::Moons, n: 101, classes: 4, ..Default::default() });
    assert_eq!(moons.n_classes, 2);
    for kind in [DatasetKind::Xor, DatasetKind::Checkerboard, DatasetKind::Linear] {
        let d = generate(&ToyConfig { kind, n: 1000, ..Default::default() });
        let c = d.class_counts();
        assert!(c[0] > 300 && c[1] > 300, "{kind:?} is roughly balanced: {c:?}");
    }
}

#[test]
fn noiseless_shapes_are_what_they_say() {
    let c = generate(&ToyConfig { kind: DatasetKind::Circles, n: 200, noise: 0.0, ..Default::default() });
    for i in 0..c.len() {
        let r = (c.row(i)[0].powi(2) + c.row(i)[1].powi(2)).sqrt();
        let want = if c.y[i] == 0 { 1.0 } else { 0.5 };
        assert!((r - want).abs() < 1e-5);
    }
    let x = generate(&ToyConfig { kind: DatasetKind::Xor, n: 200, noise: 0.0, ..Default::default() });
    for i in 0..x.len() {
        assert_eq!(x.y[i], u32::from(x.row(i)[0] * x.row(i)[1] < 0.0));
    }
}

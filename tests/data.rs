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

mod planes {
    use boundary_lab::data::Dataset;
    use boundary_lab::data::plane::{Plane, PlaneKind};
    use boundary_lab::rng::Rng;

    fn dataset(rows: Vec<Vec<f32>>) -> Dataset {
        let dim = rows[0].len();
        let n = rows.len();
        Dataset {
            dim,
            x: rows.into_iter().flatten().collect(),
            y: (0..n as u32).map(|i| i % 2).collect(),
            n_classes: 2,
            class_names: vec!["a".into(), "b".into()],
            feature_names: (0..dim).map(|k| format!("f{k}")).collect(),
            sources: Vec::new(),
        }
    }

    #[test]
    fn a_slice_varies_two_features_and_holds_the_others_at_their_median() {
        let d = dataset(vec![vec![1.0, 10.0, 5.0, 0.0], vec![2.0, 20.0, 7.0, 1.0], vec![3.0, 30.0, 9.0, 1.0]]);
        let p = Plane::slice(&d, 2, 0);
        assert_eq!(p.kind, PlaneKind::Slice { i: 2, j: 0 });
        assert_eq!(p.lift(4.0, -1.0), vec![-1.0, 20.0, 4.0, 1.0]);
        assert_eq!(p.project(d.row(1)), (7.0, 2.0));
        let b = p.bounds(&d, 0.1);
        let g = p.grid_points(b, 5);
        assert_eq!(g.len(), 25 * 4);
        for px in g.chunks(4) {
            assert_eq!((px[1], px[3]), (20.0, 1.0), "held features stay at their median");
        }
        // Row 0 is the top of the view: the largest value of the vertical feature (feature 0).
        assert!(g[0] > g[g.len() - 4]);
    }

    #[test]
    fn pca_finds_the_plane_of_planar_data_and_its_main_axis() {
        // Points in the plane spanned by two orthonormal directions of R^5, spread 3:1.
        let s = 0.5f32.sqrt();
        let (e, f) = ([s, 0.0, s, 0.0, 0.0], [0.0, 0.6, 0.0, 0.8, 0.0]);
        let mut rng = Rng::new(4);
        let rows: Vec<Vec<f32>> = (0..400)
            .map(|_| {
                let (a, b) = (3.0 * rng.normal() as f32, rng.normal() as f32);
                (0..5).map(|k| 1.0 + a * e[k] + b * f[k]).collect()
            })
            .collect();
        let d = dataset(rows);
        let p = Plane::pca(&d);
        let PlaneKind::Pca { explained } = p.kind else { panic!() };
        assert!((explained[0] + explained[1] - 1.0).abs() < 1e-4, "{explained:?}");
        assert!(explained[0] > 0.85, "{explained:?}");
        let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f32>();
        assert!((dot(&p.u, &e).abs() - 1.0).abs() < 1e-3, "PC1 is the long axis: {:?}", p.u);
        assert!((dot(&p.v, &f).abs() - 1.0).abs() < 1e-3, "PC2 is the short axis: {:?}", p.v);
        assert!(dot(&p.u, &p.v).abs() < 1e-5 && (dot(&p.u, &p.u) - 1.0).abs() < 1e-5);
        // Every point lies on the plane: lifting its projection gives it back.
        for r in 0..d.len() {
            let (a, b) = p.project(d.row(r));
            let back = p.lift(a, b);
            assert!(back.iter().zip(d.row(r)).all(|(x, y)| (x - y).abs() < 1e-3), "{back:?} vs {:?}", d.row(r));
        }
    }

    #[test]
    fn two_dimensional_data_is_its_own_plane() {
        let d = dataset(vec![vec![0.5, -1.0], vec![2.0, 3.0]]);
        let p = Plane::first_two(&d);
        assert_eq!(p.lift(0.25, 0.75), vec![0.25, 0.75]);
        assert_eq!(p.project(&[2.0, 3.0]), (2.0, 3.0));
    }
}

//! Registry-wide and per-classifier properties, natively on the CPU device.

mod common;

use boundary_lab::classifiers::gaussian_nb::GaussianNb;
use boundary_lab::classifiers::knn::Knn;
use boundary_lab::classifiers::{self, Classifier, REGISTRY, TrainData};
use boundary_lab::data::{Dataset, DatasetKind};
use boundary_lab::params::{ParamKind, Params};
use boundary_lab::rng::Rng;
use burn::tensor::Tensor;
use common::{device, finish, toy, train};

fn floats(t: Tensor<2>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

#[test]
fn every_classifier_defaults_validate_and_learn_separable_blobs() {
    let split = toy(DatasetKind::Blobs, 300, 0.05, 3, 3);
    for spec in REGISTRY {
        let params = Params::defaults(spec.params);
        for p in spec.params {
            p.validate(params.get(p.key).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        }
        let snap = train(spec, &params, &split, None);
        let acc = snap.test_acc.unwrap();
        // A few-shot incremental learner sees only a few points of its novel classes through an
        // encoder trained without them: separable or not, some novel points go to base classes
        // (its own tests check how many).
        let bar = if spec.family == classifiers::Family::FewShot { 0.7 } else { 0.9 };
        assert!(acc >= bar, "{} reached only {acc} test accuracy on separable blobs", spec.name);
        // Probabilities are a distribution per grid point.
        for row in snap.grid_probs.chunks(3) {
            let s: f32 = row.iter().sum();
            assert!((s - 1.0).abs() < 1e-4, "{}: probabilities sum to {s}", spec.name);
        }
    }
}

#[test]
fn registry_names_and_param_keys_are_unique_and_do_not_shadow_link_keys() {
    let mut names = std::collections::HashSet::new();
    for spec in REGISTRY {
        assert!(names.insert(spec.name), "duplicate classifier {}", spec.name);
        assert!(classifiers::find(spec.name).is_some());
        let mut keys = std::collections::HashSet::new();
        for p in spec.params {
            assert!(keys.insert(p.key), "{}: duplicate key {}", spec.name, p.key);
            assert!(
                boundary_lab::state::KEYS.iter().all(|k| k.name != p.key),
                "{}: parameter '{}' collides with a global link key",
                spec.name,
                p.key
            );
            if let ParamKind::Choice { options, default } = p.kind {
                assert!(options.contains(&default));
            }
        }
        assert!(spec.default_steps >= 1);
    }
}

#[test]
fn mlp_learns_moons() {
    let split = toy(DatasetKind::Moons, 500, 0.1, 2, 7);
    let spec = classifiers::find("mlp").unwrap();
    let snap = train(spec, &Params::defaults(spec.params), &split, None);
    assert!(snap.test_acc.unwrap() >= 0.97, "MLP test accuracy {:?}", snap.test_acc);
    assert!(snap.train_acc >= 0.97);
}

#[test]
fn mlp_minibatch_sgd_and_every_activation_train_without_diverging() {
    let split = toy(DatasetKind::Circles, 200, 0.05, 2, 2);
    let spec = classifiers::find("mlp").unwrap();
    for act in ["relu", "tanh", "sigmoid", "gelu", "linear"] {
        let mut p = Params::defaults(spec.params);
        p.set(spec.param("act").unwrap(), spec.param("act").unwrap().parse(act).unwrap()).unwrap();
        p.set(spec.param("opt").unwrap(), spec.param("opt").unwrap().parse("sgd").unwrap()).unwrap();
        p.set(spec.param("batch").unwrap(), spec.param("batch").unwrap().parse("16").unwrap()).unwrap();
        p.set(spec.param("l2").unwrap(), spec.param("l2").unwrap().parse("0.001").unwrap()).unwrap();
        p.set(spec.param("l1").unwrap(), spec.param("l1").unwrap().parse("0.0001").unwrap()).unwrap();
        let snap = train(spec, &p, &split, Some(40));
        assert!(snap.train_acc > 0.3, "{act}: {}", snap.train_acc);
    }
}

#[test]
fn training_loss_goes_down_and_is_recorded_every_step() {
    use boundary_lab::train::{Session, SessionSetup};
    let split = toy(DatasetKind::Moons, 300, 0.1, 2, 1);
    let spec = classifiers::find("logreg").unwrap();
    let params = Params::defaults(spec.params);
    let setup = SessionSetup { max_steps: 60, grid: 8, ..SessionSetup::new(spec, &params, &split) };
    let mut s = Session::new(&setup, &device()).unwrap();
    for _ in 0..30 {
        s.step().unwrap();
    }
    s.read_blocking().unwrap();
    for _ in 0..30 {
        s.step().unwrap();
    }
    s.read_blocking().unwrap();
    assert!(s.is_done());
    assert_eq!(s.history.len(), 60);
    assert_eq!(s.history.iter().map(|h| h.0).collect::<Vec<_>>(), (1..=60).collect::<Vec<_>>());
    assert!(s.history[59].1 < s.history[0].1 * 0.8, "{:?}", (s.history[0], s.history[59]));
}

#[test]
fn same_seed_same_run_on_cpu() {
    let split = toy(DatasetKind::Xor, 200, 0.1, 2, 5);
    let spec = classifiers::find("mlp").unwrap();
    let p = Params::defaults(spec.params);
    let a = train(spec, &p, &split, Some(20));
    let b = train(spec, &p, &split, Some(20));
    assert_eq!(a.grid_probs, b.grid_probs, "identical seeds give identical boundaries on CPU");
}

#[test]
fn gaussian_nb_equals_its_closed_form() {
    let split = toy(DatasetKind::Blobs, 240, 0.3, 4, 11);
    let data = TrainData::new(&split.train, &device()).unwrap();
    let smoothing = 1e-3;
    let nb = GaussianNb::fit(&data, smoothing);
    let d: &Dataset = &split.train;
    let (c, dim) = (d.n_classes, d.dim);
    // Closed form in f64 on the host.
    let n = d.len() as f64;
    let mut count = vec![0.0f64; c];
    let mut mean = vec![0.0f64; c * dim];
    for i in 0..d.len() {
        let k = d.y[i] as usize;
        count[k] += 1.0;
        for j in 0..dim {
            mean[k * dim + j] += d.row(i)[j] as f64;
        }
    }
    for k in 0..c {
        for j in 0..dim {
            mean[k * dim + j] /= count[k];
        }
    }
    let mut var = vec![0.0f64; c * dim];
    for i in 0..d.len() {
        let k = d.y[i] as usize;
        for j in 0..dim {
            var[k * dim + j] += (d.row(i)[j] as f64 - mean[k * dim + j]).powi(2);
        }
    }
    let mut max_var: f64 = 0.0;
    for j in 0..dim {
        let m = (0..d.len()).map(|i| d.row(i)[j] as f64).sum::<f64>() / n;
        max_var = max_var.max((0..d.len()).map(|i| (d.row(i)[j] as f64 - m).powi(2)).sum::<f64>() / n);
    }
    for k in 0..c {
        for j in 0..dim {
            var[k * dim + j] = var[k * dim + j] / count[k] + smoothing * max_var;
        }
    }
    let close = |got: Vec<f32>, want: Vec<f64>, what: &str| {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert!((*g as f64 - w).abs() <= 1e-5 * (1.0 + w.abs()), "{what}: {g} vs {w}");
        }
    };
    close(floats(nb.means()), mean.clone(), "means");
    close(floats(nb.variances()), var.clone(), "variances");
    close(floats(nb.priors()), count.iter().map(|k| k / n).collect(), "priors");

    // Prediction is Bayes' rule with those parameters.
    let q = [0.3f32, -0.2];
    let mut jll: Vec<f64> = (0..c)
        .map(|k| {
            (count[k] / n).ln()
                - (0..dim)
                    .map(|j| {
                        let v = var[k * dim + j];
                        0.5 * (2.0 * std::f64::consts::PI * v).ln() + (q[j] as f64 - mean[k * dim + j]).powi(2) / (2.0 * v)
                    })
                    .sum::<f64>()
        })
        .collect();
    let m = jll.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = jll.iter().map(|l| (l - m).exp()).sum();
    jll.iter_mut().for_each(|l| *l = (*l - m).exp() / z);
    let x = boundary_lab::classifiers::points_tensor(&q, 2, &device());
    close(floats(nb.predict_proba(x)), jll, "posterior");
}

#[test]
fn knn_equals_brute_force() {
    let split = toy(DatasetKind::Blobs, 400, 0.4, 3, 4);
    let data = TrainData::new(&split.train, &device()).unwrap();
    let mut rng = Rng::new(9);
    // More queries than one distance block, to cover the chunked path.
    let m = 4096 + 37;
    let q: Vec<f32> = (0..m * 2).map(|_| rng.range(-2.0, 2.0) as f32).collect();
    for k in [1, 5, 12] {
        let knn = Knn::new(&data, k);
        let got = floats(knn.predict_proba(boundary_lab::classifiers::points_tensor(&q, 2, &device())));
        let t = &split.train;
        for i in (0..m).step_by(7) {
            let mut d: Vec<(f64, usize)> = (0..t.len())
                .map(|j| {
                    let r = t.row(j);
                    (((q[2 * i] - r[0]) as f64).powi(2) + ((q[2 * i + 1] - r[1]) as f64).powi(2), j)
                })
                .collect();
            d.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let mut want = vec![0.0f32; 3];
            for &(_, j) in &d[..k] {
                want[t.y[j] as usize] += 1.0 / k as f32;
            }
            for c in 0..3 {
                assert!((got[i * 3 + c] - want[c]).abs() < 1e-5, "k={k} query {i}: {:?} vs {want:?}", &got[i * 3..i * 3 + 3]);
            }
        }
    }
}

#[test]
fn bad_params_and_bad_data_are_errors_not_panics() {
    let spec = classifiers::find("mlp").unwrap();
    let split = toy(DatasetKind::Moons, 50, 0.1, 2, 1);
    let data = TrainData::new(&split.train, &device()).unwrap();
    assert!(spec.build(&Params::default(), &data, 1).is_err(), "missing parameters are rejected");
    let one_class = Dataset::new_2d(vec![[0.0, 0.0], [1.0, 1.0]], vec![1, 1], 2);
    assert!(TrainData::new(&one_class, &device()).is_err());
}

#[test]
fn a_diverging_learning_rate_is_reported_as_divergence() {
    use boundary_lab::LabError;
    use boundary_lab::state::AppState;
    use boundary_lab::train::{Session, SessionSetup};
    // A deep linear network with a huge SGD step blows up geometrically.
    let (state, notes) = AppState::from_hash(DIVERGING_LINK);
    assert!(notes.is_empty(), "{notes:?}");
    let split = toy(DatasetKind::Moons, 200, 0.1, 2, 1);
    let setup = SessionSetup { max_steps: 200, grid: 8, ..SessionSetup::new(state.model, &state.params, &split) };
    let mut s = Session::new(&setup, &device()).unwrap();
    let mut outcome = Ok(());
    while !s.is_done() && outcome.is_ok() {
        outcome = s.step().and_then(|_| s.read_blocking().map(|_| ()));
    }
    match outcome {
        Err(LabError::Diverged { step }) => assert!(step >= 1),
        other => panic!("expected divergence, got {other:?} at step {}", s.step),
    }
}

/// Shared with the browser test, which opens the same settings.
const DIVERGING_LINK: &str = "#model=mlp&layers=64,64,64&act=linear&lr=10&opt=sgd";

#[test]
fn reading_back_mid_training_does_not_change_the_run() {
    // Incremental training (linfa's `fit_with` idea): stepping with read-backs in between gives
    // exactly the model that stepping straight through gives, for every registry classifier.
    use boundary_lab::train::{Session, SessionSetup};
    let split = toy(DatasetKind::Spirals, 150, 0.05, 3, 2);
    for spec in REGISTRY {
        let params = Params::defaults(spec.params);
        let setup = SessionSetup { seed: 3, max_steps: 12, grid: 8, ..SessionSetup::new(spec, &params, &split) };
        let mut chunked = Session::new(&setup, &device()).unwrap();
        let mut straight = Session::new(&setup, &device()).unwrap();
        while !chunked.is_done() {
            for _ in 0..4 {
                chunked.step().unwrap();
            }
            chunked.read_blocking().unwrap();
        }
        finish(&mut straight);
        let (a, b) = (chunked.read_blocking().unwrap(), straight.read_blocking().unwrap());
        assert_eq!(a.grid_probs, b.grid_probs, "{}", spec.name);
        assert_eq!(chunked.history, straight.history, "{}", spec.name);
    }
}

#[test]
fn changing_the_grid_keeps_the_trained_model() {
    use boundary_lab::train::{Session, SessionSetup};
    let split = toy(DatasetKind::Moons, 200, 0.1, 2, 4);
    let spec = classifiers::find("mlp").unwrap();
    let params = Params::defaults(spec.params);
    let bounds = split.train.view_bounds(0.1);
    let setup = SessionSetup { max_steps: 30, grid: 8, bounds, ..SessionSetup::new(spec, &params, &split) };
    let mut s = Session::new(&setup, &device()).unwrap();
    for _ in 0..30 {
        s.step().unwrap();
    }
    let coarse = s.read_blocking().unwrap();
    s.set_view(16, bounds);
    let fine = s.read_blocking().unwrap();
    assert_eq!((fine.step, fine.grid, fine.grid_probs.len()), (30, 16, 16 * 16 * 2));
    assert_eq!(fine.train_pred, coarse.train_pred, "same model, same predictions");
    // The same setup built at 16 from the start, trained alike, paints the same boundary.
    let mut again = Session::new(&SessionSetup { grid: 16, ..setup }, &device()).unwrap();
    for _ in 0..30 {
        again.step().unwrap();
    }
    assert_eq!(again.read_blocking().unwrap().grid_probs, fine.grid_probs);
}

#[test]
fn inference_in_blocks_gives_the_same_predictions() {
    // The CPU device infers the grid in row blocks for speed; that must change nothing, for every
    // registry classifier, including block sizes that do not divide the row count.
    use boundary_lab::train::{Session, SessionSetup};
    let split = toy(DatasetKind::Circles, 200, 0.05, 2, 5);
    for spec in REGISTRY {
        let params = Params::defaults(spec.params);
        let setup = SessionSetup { seed: 2, max_steps: 10, grid: 23, ..SessionSetup::new(spec, &params, &split) };
        let mut s = Session::new(&setup, &device()).unwrap();
        finish(&mut s);
        let whole = s.read_blocking().unwrap();
        for rows in [1, 7, 64, 700] {
            s.set_infer_chunk(Some(rows));
            let blocks = s.read_blocking().unwrap();
            assert_eq!(whole.train_pred, blocks.train_pred, "{} rows={rows}", spec.name);
            assert_eq!(whole.test_pred, blocks.test_pred, "{} rows={rows}", spec.name);
            let worst = whole.grid_probs.iter().zip(&blocks.grid_probs).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst <= 1e-6, "{} rows={rows}: max difference {worst}", spec.name);
            assert_eq!(whole.grid_probs.len(), blocks.grid_probs.len());
        }
    }
}

#[test]
fn every_classifier_saved_and_restored_predicts_the_same() {
    // A model file is `state()` read back plus the parameters; `restore` must rebuild the very
    // same model, for every registry classifier, and refuse a damaged state with a message.
    use boundary_lab::classifiers::ModelState;
    let split = toy(DatasetKind::Blobs, 150, 0.3, 3, 4);
    let data = TrainData::new(&split.train, &device()).unwrap();
    let query = classifiers::points_tensor(&split.test.x, 2, &device());
    for spec in REGISTRY {
        let params = Params::defaults(spec.params);
        let mut model = spec.build(&params, &data, 3).unwrap();
        for _ in 0..20 {
            model.step().unwrap();
        }
        let state = ModelState::read(model.as_ref()).unwrap();
        assert!(!state.tensors.is_empty(), "{}: a model has numbers", spec.name);
        let json = serde_json::to_string(&state).unwrap();
        let back: ModelState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state, "{}: JSON keeps every f32 exactly", spec.name);
        let restored = spec.restore(&params, &back, &device()).unwrap();
        // Equal up to float rounding: a restored tensor is laid out contiguously, which may change a
        // matrix product's summation order in the last bit.
        let (a, b) = (floats(model.predict_proba(query.clone())), floats(restored.predict_proba(query.clone())));
        let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        assert!(a.len() == b.len() && worst <= 1e-6, "{}: max difference {worst}", spec.name);
        // A restored model has nothing to train on: stepping it changes nothing.
        let mut restored = restored;
        assert!(restored.step().unwrap().converged, "{}", spec.name);
        // Damaged states are errors, not panics.
        let name = state.tensors.keys().next().unwrap().clone();
        let mut missing = state.clone();
        missing.tensors.remove(&name);
        assert!(spec.restore(&params, &missing, &device()).is_err(), "{}: missing {name}", spec.name);
        let mut short = state.clone();
        short.tensors.get_mut(&name).unwrap().data.pop();
        assert!(spec.restore(&params, &short, &device()).is_err(), "{}: short {name}", spec.name);
        let mut nan = state.clone();
        nan.tensors.get_mut(&name).unwrap().data[0] = f32::NAN;
        assert!(spec.restore(&params, &nan, &device()).is_err(), "{}: NaN in {name}", spec.name);
    }
}

#[test]
fn a_scheduled_drag_replays_a_drag_made_by_hand() {
    // A share link carries the user's drags with their step; a session that replays them ends in
    // exactly the state of the session where the user dragged by hand (CPU: bit for bit).
    use boundary_lab::train::{DragEdit, Session, SessionSetup};
    let split = toy(DatasetKind::Moons, 200, 0.1, 2, 6);
    let spec = classifiers::find("cbc").unwrap();
    let params = Params::defaults(spec.params);
    let setup = SessionSetup { seed: 5, max_steps: 60, grid: 12, ..SessionSetup::new(spec, &params, &split) };
    let mut by_hand = Session::new(&setup, &device()).unwrap();
    for _ in 0..25 {
        by_hand.step().unwrap();
    }
    let snap = by_hand.read_blocking().unwrap();
    let label = snap.overlays.iter().find(|o| o.draggable).expect("CBC components are draggable").label.clone();
    by_hand.drag(&label, 1, &[0.3, -0.2]).unwrap();
    finish(&mut by_hand);
    let want = by_hand.read_blocking().unwrap();

    let mut replay = Session::new(&setup, &device()).unwrap();
    replay.schedule_drags(vec![DragEdit { step: 25, overlay: label.clone(), row: 1, to: vec![0.3, -0.2] }]);
    finish(&mut replay);
    let got = replay.read_blocking().unwrap();
    assert_eq!(got.grid_probs, want.grid_probs);
    assert!(replay.drag_errors.is_empty());
    // Without the drag the run differs (the drag mattered).
    let mut plain = Session::new(&setup, &device()).unwrap();
    finish(&mut plain);
    assert_ne!(plain.read_blocking().unwrap().grid_probs, want.grid_probs);
    // A drag that does not fit the model is reported, not fatal.
    let mut bad = Session::new(&setup, &device()).unwrap();
    bad.schedule_drags(vec![DragEdit { step: 0, overlay: "nope".into(), row: 0, to: vec![0.0, 0.0] }]);
    finish(&mut bad);
    assert_eq!(bad.drag_errors.len(), 1);
}

//! The share link: every registered classifier round-trips; bad links never crash.

use boundary_lab::classifiers::REGISTRY;
use boundary_lab::data::{DatasetKind, DrawnPoint};
use boundary_lab::params::{ParamKind, ParamSpec, ParamValue};
use boundary_lab::state::{AppState, BackendPref};

/// A valid value different from the default, for every kind of parameter.
fn other_value(p: &ParamSpec) -> ParamValue {
    match p.kind {
        ParamKind::Float { min, max, default, .. } => ParamValue::Float(if default == max { min } else { (default + max) / 2.0 }),
        ParamKind::Int { min, max, default } | ParamKind::IntLog { min, max, default } => ParamValue::Int(if default == max { min } else { default + 1 }),
        ParamKind::Choice { options, default } => ParamValue::Choice(options.iter().find(|o| **o != default).unwrap_or(&default).to_string()),
        ParamKind::IntList { max_len, max, .. } => ParamValue::IntList(vec![max.min(3); max_len.min(3)]),
        ParamKind::Bool { default } => ParamValue::Bool(!default),
        ParamKind::Text { .. } => ParamValue::Text("z^2 - 1 + relu(z)".into()),
    }
}

#[test]
fn every_classifier_round_trips_through_the_link() {
    for spec in REGISTRY {
        let mut s = AppState::default();
        s.set_model(spec);
        for p in spec.params {
            s.params.set(p, other_value(p)).unwrap();
        }
        s.data.kind = DatasetKind::Blobs;
        s.data.classes = 4;
        s.data.n = 321;
        s.data.noise = 0.37;
        s.data.seed = 99;
        s.split = 0.65;
        s.steps = 123;
        s.play = true;
        s.grid = 200;
        s.discretize = true;
        s.backend = BackendPref::Cpu;
        s.added = vec![DrawnPoint { x: 0.5, y: -0.25, class: 1 }];
        s.removed = vec![3, 7];
        let hash = s.to_hash();
        let (back, notes) = AppState::from_hash(&format!("#{hash}"));
        assert!(notes.is_empty(), "{}: {notes:?}", spec.name);
        assert_eq!(back, s, "{}: {hash}", spec.name);
        assert_eq!(back.to_hash(), hash);
    }
}

#[test]
fn the_issue_links_open_as_written() {
    let (s, notes) = AppState::from_hash("#dataset=moons&n=500&noise=0.2&seed=7&split=0.8&model=mlp&layers=16,16&act=relu&lr=0.03&play=1");
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!((s.data.kind, s.data.n, s.data.seed, s.play), (DatasetKind::Moons, 500, 7, true));
    assert_eq!(s.params.list("layers"), vec![16, 16]);
    let (s, notes) = AppState::from_hash("#dataset=blobs&classes=3&n=300&seed=3&model=knn&k=5&play=1");
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!((s.model.name, s.params.usize("k"), s.data.n_classes()), ("knn", 5, 3));
}

#[test]
fn bad_links_fall_back_to_defaults_with_notes() {
    let cases = [
        "#n=abc",
        "#n=99999999999999999999999",
        "#model=nope",
        "#lr=-1",
        "#layers=1,2,x",
        "#dataset=<script>alert(1)</script>",
        "#%zz=%",
        "#add=1:2",
        "#steps=0&grid=7",
        "#unknown=1",
        "#noise=NaN",
        "#=&&&==",
        "#model=knn&k=100000",
    ];
    for c in cases {
        let (s, notes) = AppState::from_hash(c);
        assert!(!notes.is_empty(), "{c} should produce a note");
        // Whatever came in, the state is valid: every parameter validates.
        for p in s.model.params {
            p.validate(s.params.get(p.key).unwrap()).unwrap();
        }
        let _ = s.to_hash();
    }
    let (s, notes) = AppState::from_hash("");
    assert!(notes.is_empty());
    assert_eq!(s, AppState::default());
}

#[test]
fn switching_model_keeps_shared_parameters() {
    let mut s = AppState::default();
    let lr = s.model.param("lr").unwrap();
    s.params.set(lr, ParamValue::Float(0.5)).unwrap();
    s.set_model(boundary_lab::classifiers::find("logreg").unwrap());
    assert_eq!(s.params.f64("lr"), 0.5);
}

#[test]
fn the_readme_documents_every_link_key() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = boundary_lab::state::markdown_key_table();
    assert!(
        readme.contains(&table),
        "README.md's link-key table is stale; replace it with:\n{table}"
    );
}

#[test]
fn a_csv_choice_round_trips_through_the_link() {
    use boundary_lab::data::table::{self, ColumnType, MissingPolicy};
    use boundary_lab::state::{CsvChoice, ViewChoice};
    let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/samples/subscriptions.csv")).unwrap();
    let packed = table::pack_for_link(&file).expect("a 400-row sample fits in a link");
    assert_eq!(table::unpack_from_link(&packed).unwrap(), file);
    let state = AppState {
        csv: Some(CsvChoice {
            name: "my data, v2.csv".into(),
            hash: table::content_hash(&file),
            label: Some(5),
            types: vec![(2, ColumnType::Categorical), (0, ColumnType::Ignored)],
            missing: MissingPolicy::Drop,
            view: ViewChoice::Slice(3, 1),
            data: Some(packed),
        }),
        ..AppState::default()
    };
    let (back, notes) = AppState::from_hash(&state.to_hash());
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(back, state);
    let pca = AppState { csv: Some(CsvChoice { view: ViewChoice::Pca, name: "sample:iris.csv".into(), ..Default::default() }), ..AppState::default() };
    assert_eq!(AppState::from_hash(&pca.to_hash()).0, pca);
    // A toy-data link carries none of the CSV keys.
    assert!(!AppState::default().to_hash().contains("csv"));
}

#[test]
fn tampered_csv_keys_give_notes_and_embedded_data_is_checked() {
    use boundary_lab::data::table;
    let (s, notes) = AppState::from_hash("#csv=a.csv&csvhash=xyz&label=-1&types=3:purple&view=1&missing=maybe");
    assert_eq!(s.csv.as_ref().map(|c| c.name.as_str()), Some("a.csv"));
    assert_eq!(notes.len(), 5, "{notes:?}");
    assert!(table::unpack_from_link("not base64!").is_err());
    assert!(table::unpack_from_link("AAAA").is_err(), "valid base64, not deflate");
    // Over-long embedded text is refused before decoding (deflate expands at most ~1000x, so
    // this also bounds what a crafted link can inflate to).
    assert_eq!(table::unpack_from_link(&"A".repeat(3 * table::MAX_INLINE_CHARS)).unwrap_err(), "the embedded file is too long");
    assert!(table::pack_for_link(&(0..200_000u32).flat_map(|i| i.wrapping_mul(2654435761).to_le_bytes()).collect::<Vec<u8>>()).is_none(), "large files are named, not embedded");
}

/// Links as earlier versions of the page wrote them (format 1: no `v`), copied from the README,
/// tests and notes of their time. Each must open with no note and mean what it meant.
const FROZEN_LINKS: &[(&str, &str, &str)] = &[
    // (link, model, dataset)
    ("#dataset=moons&n=500&noise=0.2&seed=7&split=0.8&model=mlp&layers=16,16&act=relu&lr=0.03&play=1", "mlp", "moons"),
    ("#dataset=blobs&classes=3&n=300&seed=3&model=knn&k=5&play=1", "knn", "blobs"),
    ("#dataset=blobs&classes=3&n=300&seed=3&model=knn&play=1&backend=webgpu", "knn", "blobs"),
    ("#dataset=moons&n=200&model=mlp&layers=64,64,64&act=linear&lr=10&opt=sgd&play=1&steps=200", "mlp", "moons"),
    ("#dataset=xor&n=400&noise=0.1&seed=1&split=0.8&model=fold&play=1&grid=128&discretize=0&showtest=1&backend=cpu", "fold", "xor"),
    ("#dataset=moons&n=300&seed=4&noise=0.15&backend=cpu&model=cbc&loss=robust&play=1", "cbc", "moons"),
    ("#dataset=sectors&classes=12&n=1200&model=teen&alpha=0.5&play=1", "teen", "sectors"),
    ("#dataset=moons&model=st-protopnet&branches=both&adv=1&play=1", "st-protopnet", "moons"),
    ("#dataset=circles&n=300&seed=2&model=gnb&add=0.5:-0.25:1,0.1:0.2:0&del=3,7&play=1", "gnb", "circles"),
    ("#csv=sample:iris.csv&view=pca&model=logreg&play=1", "logreg", "moons"),
    ("#dataset=spirals&classes=3&n=600&noise=0.05&model=mlp&layers=32,32&act=tanh&lr=0.01&steps=3000&grid=256&play=1", "mlp", "spirals"),
];

#[test]
fn frozen_links_of_every_format_open_as_they_did() {
    for (link, model, dataset) in FROZEN_LINKS {
        let (s, notes) = AppState::from_hash(link);
        assert!(notes.is_empty(), "{link}: {notes:?}");
        assert_eq!((s.model.name, s.data.kind.key()), (*model, *dataset), "{link}");
        // Written back in the current format, it means the same.
        let (again, notes) = AppState::from_hash(&s.to_hash());
        assert!(notes.is_empty() && again == s, "{link}: {notes:?}");
        assert!(s.to_hash().starts_with("v=2&"), "the current format is written first");
    }
    let (s, _) = AppState::from_hash(FROZEN_LINKS[8].0);
    assert_eq!(s.added, vec![DrawnPoint { x: 0.5, y: -0.25, class: 1 }, DrawnPoint { x: 0.1, y: 0.2, class: 0 }]);
    assert_eq!(s.removed, vec![3, 7]);
}

#[test]
fn a_link_from_a_newer_format_opens_what_it_can_and_says_so() {
    let (s, notes) = AppState::from_hash("#v=3&dataset=circles&n=250&model=knn&k=7&hologram=1");
    assert_eq!((s.data.kind, s.data.n, s.params.usize("k")), (DatasetKind::Circles, 250, 7));
    assert!(notes.iter().any(|n| n.contains("newer Boundary Lab") && n.contains("format 3")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("hologram")), "{notes:?}");
    let (_, notes) = AppState::from_hash("#v=2&dataset=circles");
    assert!(notes.is_empty(), "{notes:?}");
}

#[test]
fn drags_hide_and_embed_round_trip() {
    use boundary_lab::state::DragEdit;
    let mut s = AppState::default();
    s.set_model(boundary_lab::classifiers::find("cbc").unwrap());
    s.drags = vec![DragEdit { step: 120, overlay: "components".into(), row: 2, to: vec![0.1234567, -1.5e-3] }];
    s.hide = vec!["dataset".into(), "labs".into(), "lr".into()];
    s.embed = true;
    let (back, notes) = AppState::from_hash(&s.to_hash());
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(back, s);
    let (s, notes) = AppState::from_hash("#hide=dataset,warp,<b>x</b>&embed=2&drag=1:x");
    assert!(s.hide.is_empty() && !s.embed && s.drags.is_empty(), "{s:?}");
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(notes[0].contains("warp") || notes.iter().any(|n| n.contains("warp")), "{notes:?}");
}

/// Checks everything the page relies on in a parsed state; panics with the hash otherwise.
fn assert_valid(s: &AppState, hash: &str) {
    for p in s.model.params {
        let v = s.params.get(p.key).unwrap_or_else(|| panic!("{hash}: {} missing", p.key));
        p.validate(v).unwrap_or_else(|e| panic!("{hash}: {e}"));
    }
    let (lo, hi) = s.data.kind.class_range();
    assert!((10..=10_000).contains(&s.data.n) && (lo..=hi).contains(&s.data.classes), "{hash}");
    assert!(s.data.noise.is_finite() && (0.0..=2.0).contains(&s.data.noise) && (0.1..=1.0).contains(&s.split), "{hash}");
    assert!((1..=1_000_000).contains(&s.steps) && (16..=256).contains(&s.grid), "{hash}");
    assert!(s.removed.iter().all(|&i| i < s.data.n) && s.added.iter().all(|p| p.x.is_finite() && p.y.is_finite()), "{hash}");
    assert!(s.drags.iter().all(|d| d.to.iter().all(|x| x.is_finite())), "{hash}");
    // A parsed state is a fixed point: written and read again, it is the same, with no note.
    let written = s.to_hash();
    let (again, notes) = AppState::from_hash(&written);
    assert!(notes.is_empty(), "{hash} -> {written}: {notes:?}");
    assert_eq!(&again, s, "{hash} -> {written}");
}

#[test]
fn ten_thousand_random_and_mutated_links_never_panic_and_always_give_a_valid_state() {
    use boundary_lab::rng::Rng;
    const JUNK: &[&str] = &[
        "", "-1", "0", "1e999", "-1e999", "NaN", "inf", "1e-400", "99999999999999999999999999", "0x10", "<script>alert(1)</script>",
        "%", "%zz", "%E2%82", "%00", "∞", "a,b,c", ":::", "1:2:3:4:5", ",,,", "1,2,x", "🦀", "\"'><img src=x onerror=alert(1)>",
        "javascript:alert(1)", "AAAA", "not base64!", "0.5:-0.25:1", "3:purple", "pca", "1,2", "sample:../../etc/passwd",
        "4294967296", "18446744073709551616", "1.0000000000000002", " 3 ", "+5", "true", "yes",
    ];
    let mut bases: Vec<String> = REGISTRY
        .iter()
        .map(|spec| {
            let mut s = AppState::default();
            s.set_model(spec);
            for p in spec.params {
                s.params.set(p, other_value(p)).unwrap();
            }
            s.added = vec![DrawnPoint { x: 0.25, y: -1.0, class: 1 }];
            s.removed = vec![4];
            s.to_hash()
        })
        .collect();
    bases.extend(FROZEN_LINKS.iter().map(|(l, ..)| l.trim_start_matches('#').to_string()));
    let keys: Vec<String> = boundary_lab::state::KEYS
        .iter()
        .map(|k| k.name.to_string())
        .chain(REGISTRY.iter().flat_map(|m| m.params.iter().map(|p| p.key.to_string())))
        .collect();
    let mut rng = Rng::new(2026);
    for case in 0..10_000 {
        let base = &bases[rng.below(bases.len())];
        let mut pairs: Vec<String> = base.split('&').map(String::from).collect();
        let hash = match case % 5 {
            // Truncated anywhere (on a character boundary).
            0 => {
                let mut cut = rng.below(base.len() + 1);
                while !base.is_char_boundary(cut) {
                    cut -= 1;
                }
                base[..cut].to_string()
            }
            // Values replaced with junk, possibly several.
            1 | 2 => {
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(pairs.len());
                    let key = pairs[i].split('=').next().unwrap_or("").to_string();
                    pairs[i] = format!("{key}={}", JUNK[rng.below(JUNK.len())]);
                }
                pairs.join("&")
            }
            // Any key (global or parameter) with junk, duplicated keys, missing '=', shuffled order.
            3 => {
                for _ in 0..1 + rng.below(5) {
                    let k = &keys[rng.below(keys.len())];
                    let v = if rng.uniform() < 0.5 { JUNK[rng.below(JUNK.len())].to_string() } else { format!("{}", rng.range(-1e6, 1e6)) };
                    pairs.insert(rng.below(pairs.len() + 1), if rng.uniform() < 0.1 { k.clone() } else { format!("{k}={v}") });
                }
                rng.shuffle(&mut pairs);
                pairs.join("&")
            }
            // Random bytes, as text.
            _ => (0..rng.below(200)).map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?')).collect(),
        };
        let (s, _notes) = AppState::from_hash(&hash);
        assert_valid(&s, &hash);
    }
}

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

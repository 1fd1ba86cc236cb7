//! The CSV loader on a corpus of malformed and awkward files (`tests/csv/`): each gives the
//! expected error, or the expected table and encoding. Plus a property test: any bytes either
//! parse or give an error, never a panic.

use boundary_lab::data::table::{self, ColumnType, DimKind, MissingPolicy, Roles, Table, TableError};

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/csv/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse(name: &str) -> Result<Table, TableError> {
    table::parse(&read(name))
}

fn ok(name: &str) -> Table {
    parse(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Column names and inferred types, in order.
fn shape(t: &Table) -> Vec<(String, ColumnType)> {
    t.columns.iter().map(|c| (c.name.clone(), c.inferred)).collect()
}

use ColumnType::{Categorical as C, Ignored as I, Numeric as N};

fn cols(spec: &[(&str, ColumnType)]) -> Vec<(String, ColumnType)> {
    spec.iter().map(|(n, t)| (n.to_string(), *t)).collect()
}

#[test]
fn files_that_are_not_tables_give_their_error() {
    use TableError::*;
    let cases: Vec<(&str, TableError)> = vec![
        ("empty.csv", Empty),
        ("whitespace_only.csv", Empty),
        ("only_delimiters.csv", Empty),
        ("header_only.csv", HeaderOnly),
        ("header_only_crlf.csv", HeaderOnly),
        ("one_column.csv", OneColumn),
        ("ragged_short.csv", Ragged { line: 3, found: 2, expected: 3 }),
        ("ragged_long.csv", Ragged { line: 4, found: 4, expected: 3 }),
        ("unclosed_quote.csv", Parse { line: 2, message: "a quoted field is never closed".into() }),
        ("binary_garbage.bin", NotText),
        ("binary_with_nul.bin", NotText),
        ("png_header.csv", NotText),
        ("latin1.csv", NotUtf8 { line: 2, encoding: None }),
        ("utf16.csv", NotUtf8 { line: 1, encoding: Some("UTF-16") }),
        ("too_many_columns.csv", TooManyColumns { found: 120, limit: 100 }),
    ];
    for (name, want) in cases {
        assert_eq!(parse(name).err(), Some(want.clone()), "{name}");
        // Every message is a sentence for the user, naming the row where there is one.
        let msg = want.to_string();
        assert!(msg.ends_with('.') && msg.len() > 15, "{name}: {msg}");
        if let Ragged { line, .. } | Parse { line, .. } = want {
            assert!(msg.contains(&format!("Row {line}")), "{msg}");
        }
    }
}

#[test]
fn dialects_give_the_same_table() {
    // Comma, semicolon, tab and pipe; BOM; CRLF and bare CR line ends; quoted cells; spaces
    // around cells; blank lines; a decimal comma under a semicolon separator.
    let expect = cols(&[("x", N), ("y", N), ("label", C)]);
    for (name, delim) in [
        ("bom.csv", b','),
        ("bom_crlf.csv", b','),
        ("cr_only.csv", b','),
        ("crlf_quoted.csv", b','),
        ("semicolon.csv", b';'),
        ("tab.tsv", b'\t'),
        ("pipe.csv", b'|'),
        ("spaces_around.csv", b','),
        ("blank_lines.csv", b','),
        ("semicolon_decimal_comma.csv", b';'),
    ] {
        let t = ok(name);
        assert_eq!(shape(&t), expect, "{name}");
        assert_eq!((t.rows, t.delimiter, t.has_header), (3, delim, true), "{name}");
        let e = table::encode(&t, &Roles::guess(&t)).unwrap();
        assert_eq!(e.data.class_names, ["a", "b"], "{name}");
        assert_eq!(e.data.y, [0, 1, 0], "{name}");
        let x: Vec<f64> = (0..3).map(|r| e.dims[0].to_original(e.data.row(r)[0])).collect();
        let want = if name == "semicolon_decimal_comma.csv" { [1.5, 3.5, 5.5] } else { [1.0, 3.0, 5.0] };
        for (a, b) in x.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{name}: {x:?}");
        }
    }
}

#[test]
fn awkward_but_valid_files_give_the_expected_table() {
    let t = ok("quoted_newlines.csv");
    assert_eq!(shape(&t), cols(&[("name", C), ("x", N), ("label", C)]));
    assert_eq!(t.columns[0].text(0), "first\nline");
    assert_eq!(t.columns[0].text(2), "third \"quoted\"");

    let t = ok("duplicate_headers.csv");
    assert_eq!(shape(&t), cols(&[("x", N), ("x (2)", N), ("label", C)]));
    assert!(t.notes.iter().any(|n| n.contains("x (2)")));

    let t = ok("all_missing_column.csv");
    assert_eq!(shape(&t), cols(&[("x", N), ("empty", I), ("label", C)]));
    assert_eq!(t.columns[1].missing(), 4);

    let t = ok("constant_feature.csv");
    assert_eq!(shape(&t), cols(&[("x", N), ("c", I), ("label", C)]));

    let t = ok("trailing_delimiter.csv");
    assert_eq!(shape(&t), cols(&[("x", N), ("y", N), ("label", C), ("column 4", I)]));

    let t = ok("nan_inf.csv");
    assert_eq!(t.columns[1].missing(), 3, "NaN, inf and -inf are missing");
    assert_eq!(t.columns[1].inferred, I, "one value left");
    assert!(t.notes.iter().any(|n| n.contains("'inf'")));

    let t = ok("huge_numbers.csv");
    assert_eq!(t.columns[0].missing(), 1, "1e999 overflows to inf");
    let e = table::encode(&t, &Roles::guess(&t)).unwrap();
    assert!(e.data.x.iter().all(|v| v.is_finite()), "standardising 1e308 stays finite: {:?}", e.data.x);

    let t = ok("mixed_numeric_text.csv");
    assert_eq!(shape(&t), cols(&[("x", N), ("age", N), ("label", C)]));
    assert!(t.notes.iter().any(|n| n.contains("'unknown'")));

    let t = ok("id_column.csv");
    assert_eq!(t.columns[0].inferred, I);
    assert!(t.columns[0].ignored_because.as_deref().unwrap_or("").contains("150 distinct"));

    let t = ok("long_line.csv");
    assert_eq!(t.columns[1].text(0).len(), 200_000);

    let t = ok("emoji_utf8.csv");
    let e = table::encode(&t, &Roles::guess(&t)).unwrap();
    assert_eq!(e.data.class_names, ["été", "😀"]);

    for name in ["no_header.csv", "no_header_categorical_label.csv"] {
        let t = ok(name);
        assert!(!t.has_header, "{name}");
        assert_eq!(t.columns[0].name, "column 1");
        assert_eq!(t.rows, if name == "no_header.csv" { 4 } else { 3 }, "the first row is data");
    }
}

#[test]
fn the_label_column_is_guessed_by_name_then_position() {
    let label = |name: &str| {
        let t = ok(name);
        t.columns[Roles::guess(&t).label].name.clone()
    };
    assert_eq!(label("label_named_class.csv"), "class");
    assert_eq!(label("label_named_target_middle.csv"), "Target");
    assert_eq!(label("no_header.csv"), "column 3", "the last column without a named one");
    assert_eq!(label("bom.csv"), "label", "'label' wins over 'y'");
    assert_eq!(label("numeric_label.csv"), "y");
    // Numeric class values sort numerically, not as text.
    let t = ok("label_named_target_middle.csv");
    let e = table::encode(&t, &Roles::guess(&t)).unwrap();
    assert_eq!(e.data.class_names, ["0", "1"]);
    assert_eq!(e.data.feature_names, ["a", "b"]);
}

#[test]
fn unusable_labels_give_their_error() {
    let t = ok("single_class.csv");
    assert_eq!(table::encode(&t, &Roles::guess(&t)).err(), Some(TableError::OneClass { column: "label".into() }));
    let t = ok("many_classes.csv");
    assert_eq!(table::encode(&t, &Roles::guess(&t)).err(), Some(TableError::TooManyClasses { column: "label".into(), count: 300 }));
    let t = ok("constant_feature.csv");
    let mut roles = Roles::guess(&t);
    roles.types = vec![I; 3];
    assert_eq!(table::encode(&t, &roles).err(), Some(TableError::NoFeatures));
}

#[test]
fn missing_values_are_counted_then_imputed_or_dropped() {
    let t = ok("categorical_features.csv");
    assert_eq!(shape(&t), cols(&[("colour", C), ("size", C), ("weight", N), ("label", C)]));
    let mut roles = Roles::guess(&t);
    let e = table::encode(&t, &roles).unwrap();
    assert_eq!(e.report.per_column, vec![("colour".into(), 0), ("size".into(), 1), ("weight".into(), 1)]);
    assert_eq!((e.data.len(), e.report.imputed_cells, e.report.dropped_rows), (6, 2, 0));
    // One-hot: colour (3 levels) + size (3) + weight (1).
    assert_eq!(e.data.dim, 7);
    assert_eq!(e.data.feature_names[..3], ["colour=red", "colour=blue", "colour=green"]);
    // Row 6 has size '?': imputed as the most frequent size (S and M tie at 2: the first seen, S).
    assert_eq!(&e.data.row(5)[3..6], &[1.0, 0.0, 0.0]);
    // Row 4 has no weight: the median of 1.0 2.0 1.5 2.5 1.2 is 1.5.
    let w = &e.dims[6];
    assert!(matches!(w.kind, DimKind::Numeric { .. }));
    assert!((w.to_original(e.data.row(3)[6]) - 1.5).abs() < 1e-6);
    // Standardised: mean 0, variance 1 over the rows used.
    let col: Vec<f64> = (0..6).map(|r| e.data.row(r)[6] as f64).collect();
    let mean = col.iter().sum::<f64>() / 6.0;
    let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 6.0;
    assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5, "{mean} {var}");

    roles.missing = MissingPolicy::Drop;
    let e = table::encode(&t, &roles).unwrap();
    assert_eq!((e.data.len(), e.report.dropped_rows, e.report.imputed_cells), (4, 2, 0));
    assert_eq!(e.rows, [0, 1, 2, 4]);

    // Rows without a label never train.
    let t = ok("missing_label.csv");
    let e = table::encode(&t, &Roles::guess(&t)).unwrap();
    assert_eq!((e.data.len(), e.report.rows_without_label), (3, 2));
}

#[test]
fn the_corpus_has_at_least_40_files_and_each_is_covered() {
    let files = std::fs::read_dir(format!("{}/tests/csv", env!("CARGO_MANIFEST_DIR"))).unwrap().count();
    assert!(files >= 40, "{files} files");
    // Every file parses to a table or an error without panicking, and every table either encodes
    // with the guessed roles or says why not.
    for entry in std::fs::read_dir(format!("{}/tests/csv", env!("CARGO_MANIFEST_DIR"))).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        if let Ok(t) = table::parse(&bytes) {
            let _ = table::encode(&t, &Roles::guess(&t));
        }
    }
}

#[test]
fn size_limits_are_checked_before_parsing() {
    let big = vec![b'1'; table::MAX_BYTES + 1];
    assert!(matches!(table::parse(&big), Err(TableError::TooLarge { .. })));
    let mut rows = String::from("x,label\n");
    for i in 0..=table::MAX_ROWS {
        rows.push_str(&format!("{},{}\n", i, i % 2));
    }
    assert_eq!(table::parse(rows.as_bytes()).err(), Some(TableError::TooManyRows { limit: table::MAX_ROWS }));
}

/// Hands out one byte per read: the streaming reader must not depend on how input arrives.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.is_empty()) {
            (Some((b, rest)), false) => {
                buf[0] = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn streaming_a_file_gives_the_same_table_as_reading_it_whole() {
    let dir = format!("{}/tests/csv", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert!(names.len() >= 45);
    for name in names {
        let bytes = read(&name);
        assert_eq!(table::read(Trickle(&bytes), table::Limits::PAGE), table::parse(&bytes), "{name}");
    }
}

/// A column of many distinct numbers leaves the dictionary for plain numbers; one of many distinct
/// texts is only counted. Types, missing values, texts and the encoding stay what the dictionary
/// form gives.
#[test]
fn columns_of_many_distinct_values_are_stored_as_numbers_or_counted() {
    let n = 5000;
    let mut text = String::from("x,id,word,label\n");
    for i in 0..n {
        let x = if i % 100 == 7 { "NA".to_string() } else if i == 4321 { "unknown".into() } else { format!("{}", i as f64 * 0.25 - 100.0) };
        text.push_str(&format!("{x},user{i},{},{}\n", ["red", "green"][i % 2], i % 3));
    }
    let t = table::parse(text.as_bytes()).unwrap();
    assert_eq!(shape(&t), cols(&[("x", N), ("id", I), ("word", C), ("label", N)]));
    let x = &t.columns[0];
    assert_eq!(x.len(), n);
    assert_eq!(x.missing(), n / 100 + 1, "NA cells and the one stray word");
    assert!(x.is_missing(4321) && x.is_missing(7) && !x.is_missing(8));
    assert_eq!((x.text(0).as_ref(), x.text(4321).as_ref(), x.text(4000).as_ref()), ("-100", "unknown", "900"));
    assert_eq!(x.value(4000), Some(900.0));
    assert!(t.notes.iter().any(|m| m.contains("'unknown'")), "{:?}", t.notes);
    assert!(t.columns[1].ignored_because.as_deref().unwrap_or("").contains("more than 1024 distinct"));
    assert_eq!(t.columns[1].text(3), "user3");
    // Standardisation with the median filled in, computed here in f64 from the same values.
    let mut roles = Roles::guess(&t);
    roles.types[3] = C;
    let e = table::encode(&t, &roles).unwrap();
    let mut present: Vec<f64> = (0..n).filter(|i| i % 100 != 7 && *i != 4321).map(|i| i as f64 * 0.25 - 100.0).collect();
    present.sort_by(f64::total_cmp);
    assert_eq!(present.len() % 2, 1);
    let median = present[present.len() / 2];
    let filled: Vec<f64> = (0..n).map(|i| if i % 100 == 7 || i == 4321 { median } else { i as f64 * 0.25 - 100.0 }).collect();
    let mean = filled.iter().sum::<f64>() / n as f64;
    let std = (filled.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    for r in [0, 7, 4321, 4999] {
        assert!((e.data.row(r)[0] as f64 - (filled[r] - mean) / std).abs() < 1e-6, "row {r}");
    }
    assert_eq!(e.data.dim, 3, "x plus two one-hot levels; the id is ignored");
    // An id typed categorical is refused with a reason, not encoded into 5000 dimensions.
    roles.types[1] = C;
    assert_eq!(table::encode(&t, &roles).err(), Some(TableError::TooManyLevels { column: "id".into() }));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn any_bytes_parse_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(t) = table::parse(&bytes) {
                prop_assert!(t.rows >= 1 && t.columns.len() >= 2);
                for c in &t.columns {
                    prop_assert_eq!(c.len(), t.rows);
                }
                let _ = table::encode(&t, &Roles::guess(&t));
            }
        }

        #[test]
        fn csv_like_text_parses_or_fails_cleanly(text in "[a-c0-9,;\t\"\n\r .?-]{0,300}") {
            if let Ok(t) = table::parse(text.as_bytes()) {
                let roles = Roles::guess(&t);
                if let Ok(e) = table::encode(&t, &roles) {
                    prop_assert_eq!(e.data.x.len(), e.data.len() * e.data.dim);
                    prop_assert!(e.data.x.iter().all(|v| v.is_finite()));
                    prop_assert!(e.data.y.iter().all(|&y| (y as usize) < e.data.n_classes));
                }
            }
        }
    }
}

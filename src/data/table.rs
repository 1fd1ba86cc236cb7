//! The user's own data: CSV bytes -> [`Table`] (raw columns as the file has them, kept for
//! classifiers that want raw values, such as rule learners) -> [`Encoded`] (a numeric dataset for
//! tensor models, plus the transform that maps it back to the file's units).
//!
//! Parsing uses the `csv` crate; this module adds what a user's file needs on top: BOM and
//! encoding checks, delimiter sniffing, header detection, column type inference, missing-value
//! accounting, and errors that name the row and column. Nothing here panics on any input (a
//! property test feeds it arbitrary bytes).

use super::Dataset;
use std::collections::HashMap;
use std::fmt;

/// Files above this size are refused before parsing (100k rows x 100 columns of short numbers
/// fit well below it).
pub const MAX_BYTES: usize = 64 << 20;
pub const MAX_ROWS: usize = 100_000;
pub const MAX_COLUMNS: usize = 100;
/// A label with more classes than this is refused (it is probably a regression target or an id).
pub const MAX_CLASSES: usize = 50;
/// A text column with more distinct values than this is an identifier or free text, not a
/// category; it is ignored unless the user says otherwise.
pub const MAX_LEVELS: usize = 100;
/// Cells that mean "no value" (compared after trimming, case-insensitively).
pub const MISSING_MARKERS: [&str; 10] = ["", "na", "n/a", "nan", "?", "null", "none", "-", "missing", "#n/a"];

/// Why a file cannot be used. Every message names what to fix, and the row (1-based line of the
/// file) or column where it can.
#[derive(Clone, Debug, PartialEq)]
pub enum TableError {
    TooLarge { bytes: usize },
    TooManyRows { limit: usize },
    TooManyColumns { found: usize },
    Empty,
    /// Binary content (NUL bytes), e.g. a spreadsheet or an image.
    NotText,
    NotUtf8 { line: usize, encoding: Option<&'static str> },
    HeaderOnly,
    OneColumn,
    Ragged { line: usize, found: usize, expected: usize },
    Parse { line: usize, message: String },
    UnknownColumn(String),
    LabelMissing,
    OneClass { column: String },
    TooManyClasses { column: String, count: usize },
    NoFeatures,
    NoRowsLeft { dropped: usize },
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TableError::*;
        match self {
            TooLarge { bytes } => write!(
                f,
                "The file is {:.1} MB; the page reads files up to {} MB ({} rows x {} columns). Use the command-line tool for larger data.",
                *bytes as f64 / 1e6,
                MAX_BYTES >> 20,
                MAX_ROWS,
                MAX_COLUMNS
            ),
            TooManyRows { limit } => write!(f, "The file has more than {limit} data rows, the page's limit. Use a sample of it, or the command-line tool."),
            TooManyColumns { found } => write!(f, "The file has {found} columns; the page reads up to {MAX_COLUMNS}."),
            Empty => write!(f, "The file is empty."),
            NotText => write!(f, "This is not a text table (it contains binary data). Export it as CSV first."),
            NotUtf8 { line, encoding } => match encoding {
                Some(e) => write!(f, "The file is {e} text; save it as UTF-8 CSV."),
                None => write!(f, "Row {line} is not valid UTF-8 text; save the file as UTF-8 CSV."),
            },
            HeaderOnly => write!(f, "The file has a header but no data rows."),
            OneColumn => write!(
                f,
                "Only one column found (tried comma, semicolon, tab and | as separators): a label and at least one feature are needed."
            ),
            Ragged { line, found, expected } => write!(f, "Row {line} has {found} fields where the first row has {expected}."),
            Parse { line, message } => write!(f, "Row {line} cannot be read: {message}."),
            UnknownColumn(c) => write!(f, "There is no column '{c}'."),
            LabelMissing => write!(f, "Choose a label column."),
            OneClass { column } => write!(f, "The label column '{column}' has only one class; a classifier needs at least two."),
            TooManyClasses { column, count } => write!(
                f,
                "The label column '{column}' has {count} distinct values; the page handles up to {MAX_CLASSES} classes (is it a numeric target or an id?)."
            ),
            NoFeatures => write!(f, "No usable feature column: every column other than the label is ignored or empty."),
            NoRowsLeft { dropped } => write!(f, "All {dropped} rows have a missing value; choose 'impute' instead of 'drop rows'."),
        }
    }
}

impl std::error::Error for TableError {}

/// How a column is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Numeric,
    Categorical,
    Ignored,
}

impl ColumnType {
    pub const ALL: [ColumnType; 3] = [ColumnType::Numeric, ColumnType::Categorical, ColumnType::Ignored];
    pub fn key(self) -> &'static str {
        match self {
            ColumnType::Numeric => "numeric",
            ColumnType::Categorical => "categorical",
            ColumnType::Ignored => "ignored",
        }
    }
    pub fn from_key(k: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.key() == k)
    }
}

/// One column as the file has it: dictionary-encoded, so a 100k x 100 table costs 4 bytes a cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    /// Per row: index into `levels`.
    pub codes: Vec<u32>,
    /// Distinct (trimmed) cell texts in order of first appearance.
    pub levels: Vec<String>,
    /// The number each level denotes, `None` where it is not a finite number or is missing.
    pub level_values: Vec<Option<f64>>,
    /// Whether each level means "no value" (a marker of [`MISSING_MARKERS`] or a non-finite number).
    pub level_missing: Vec<bool>,
    /// The type inferred from the values (the user may override it).
    pub inferred: ColumnType,
    /// Why the column was ignored, when it was.
    pub ignored_because: Option<String>,
}

impl Column {
    /// Cells with no value.
    pub fn missing(&self) -> usize {
        self.codes.iter().filter(|&&c| self.level_missing[c as usize]).count()
    }
    pub fn is_missing(&self, row: usize) -> bool {
        self.level_missing[self.codes[row] as usize]
    }
    pub fn value(&self, row: usize) -> Option<f64> {
        self.level_values[self.codes[row] as usize]
    }
    pub fn text(&self, row: usize) -> &str {
        &self.levels[self.codes[row] as usize]
    }
    /// Non-missing distinct values.
    pub fn distinct(&self) -> usize {
        self.level_missing.iter().filter(|m| !**m).count()
    }
}

/// A parsed file.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: usize,
    pub delimiter: u8,
    pub has_header: bool,
    /// Things the user should know that are not errors (renamed duplicate headers, ...).
    pub notes: Vec<String>,
}

impl Table {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// Strips a UTF-8 BOM, rejects binary and non-UTF-8 content, and returns the text.
fn decode(bytes: &[u8]) -> Result<&str, TableError> {
    if bytes.len() > MAX_BYTES {
        return Err(TableError::TooLarge { bytes: bytes.len() });
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(TableError::NotUtf8 { line: 1, encoding: Some("UTF-16") });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Text has no NUL bytes and next to no control characters other than tab, CR and LF.
    let head = &bytes[..bytes.len().min(4096)];
    let control = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')).count();
    if bytes.contains(&0) || control * 100 > head.len() {
        return Err(TableError::NotText);
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        TableError::NotUtf8 { line, encoding: None }
    })
}

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Picks the delimiter whose first records have the same number (> 1) of fields most often.
/// Ties go to the earlier of `, ; \t |` except that a semicolon beats a comma when both split
/// every record evenly (the European CSV dialect, where the comma is the decimal mark).
fn sniff(text: &str) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for &d in &DELIMITERS {
        let mut rdr = csv::ReaderBuilder::new().delimiter(d).has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut counts: Vec<usize> = Vec::new();
        for rec in rdr.records().take(50) {
            match rec {
                Ok(r) => counts.push(r.len()),
                Err(_) => break,
            }
        }
        if counts.is_empty() {
            continue;
        }
        let first = counts[0];
        let agree = counts.iter().filter(|&&c| c == first).count();
        // Score: records that agree with the first record's field count, when that count is > 1.
        let score = if first > 1 { agree } else { 0 };
        let better = score > best.1 || (score == best.1 && score > 0 && d == b';' && best.0 == b',' && first >= best.2);
        if better {
            best = (d, score, first);
        }
    }
    best.0
}

fn is_missing_marker(s: &str) -> bool {
    MISSING_MARKERS.iter().any(|m| s.eq_ignore_ascii_case(m))
}

/// A cell's number: plain Rust float syntax, plus a decimal comma where the delimiter is not a
/// comma. `None` for anything else; non-finite results are flagged by the caller.
fn parse_number(s: &str, delimiter: u8) -> Option<f64> {
    if let Ok(v) = s.parse::<f64>() {
        return Some(v);
    }
    if delimiter != b',' && s.bytes().filter(|&b| b == b',').count() == 1 && !s.contains('.') {
        return s.replace(',', ".").parse::<f64>().ok();
    }
    None
}

/// Builds one column incrementally.
#[derive(Default)]
struct ColumnBuilder {
    codes: Vec<u32>,
    levels: Vec<String>,
    index: HashMap<String, u32>,
}

impl ColumnBuilder {
    fn push(&mut self, cell: &str) {
        let cell = cell.trim();
        let code = match self.index.get(cell) {
            Some(&c) => c,
            None => {
                let c = self.levels.len() as u32;
                let owned = cell.to_string();
                self.levels.push(owned.clone());
                self.index.insert(owned, c);
                c
            }
        };
        self.codes.push(code);
    }
}

/// Parses CSV bytes into a table: encoding checks, delimiter sniffing, header detection, and a
/// type per column. Errors name the row (the file's 1-based line) where they can.
pub fn parse(bytes: &[u8]) -> Result<Table, TableError> {
    let text = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(TableError::Empty);
    }
    let delimiter = sniff(text);
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut first: Option<Vec<String>> = None;
    let mut builders: Vec<ColumnBuilder> = Vec::new();
    let mut rows = 0usize;
    // One record buffer, reused for every row.
    let mut rec = csv::StringRecord::new();
    loop {
        let more = rdr.read_record(&mut rec).map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            TableError::Parse { line, message: e.to_string() }
        })?;
        if !more {
            break;
        }
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        // A line of nothing but delimiters or spaces carries no data.
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match &first {
            None => {
                if rec.len() > MAX_COLUMNS {
                    return Err(TableError::TooManyColumns { found: rec.len() });
                }
                if rec.len() < 2 {
                    return Err(TableError::OneColumn);
                }
                first = Some(rec.iter().map(|c| c.trim().to_string()).collect());
                builders = (0..rec.len()).map(|_| ColumnBuilder::default()).collect();
            }
            Some(f) => {
                if rec.len() != f.len() {
                    // A quote that never closes swallows the rest of the file into one field.
                    if rec.len() < f.len() && rec.iter().any(|c| c.contains('\n') || c.contains('\r')) {
                        return Err(TableError::Parse { line, message: "a quoted field is never closed".into() });
                    }
                    return Err(TableError::Ragged { line, found: rec.len(), expected: f.len() });
                }
                rows += 1;
                if rows > MAX_ROWS {
                    return Err(TableError::TooManyRows { limit: MAX_ROWS });
                }
                for (b, cell) in builders.iter_mut().zip(rec.iter()) {
                    b.push(cell);
                }
            }
        }
    }
    let Some(first) = first else { return Err(TableError::Empty) };
    let mut columns: Vec<Column> = builders.into_iter().map(|b| finish_column(b, delimiter)).collect();
    if rows == 0 {
        return Err(TableError::HeaderOnly);
    }
    let has_header = looks_like_header(&first, &columns, delimiter);
    let mut notes = Vec::new();
    if has_header {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, (col, name)) in columns.iter_mut().zip(&first).enumerate() {
            let base = if name.is_empty() { format!("column {}", i + 1) } else { name.clone() };
            let k = seen.entry(base.clone()).or_insert(0);
            *k += 1;
            col.name = if *k == 1 {
                base
            } else {
                let renamed = format!("{base} ({k})");
                notes.push(format!("Two columns are called '{base}'; the later one is shown as '{renamed}'."));
                renamed
            };
        }
    } else {
        // The first row is data: put it back in front.
        for (i, (col, cell)) in columns.iter_mut().zip(&first).enumerate() {
            col.name = format!("column {}", i + 1);
            let code = match col.levels.iter().position(|l| l == cell) {
                Some(c) => c as u32,
                None => {
                    let (value, missing) = level_info(cell, delimiter);
                    col.levels.push(cell.clone());
                    col.level_values.push(value);
                    col.level_missing.push(missing);
                    (col.levels.len() - 1) as u32
                }
            };
            col.codes.insert(0, code);
            infer_type(col);
        }
        rows += 1;
        notes.push("The first row looks like data, not names: columns are numbered.".into());
    }
    for c in &columns {
        let mut bad: Vec<&str> = Vec::new();
        let mut cells = 0;
        for &k in &c.codes {
            let text = c.levels[k as usize].as_str();
            if c.level_missing[k as usize] && !is_missing_marker(text) {
                cells += 1;
                if !bad.contains(&text) {
                    bad.push(text);
                }
            }
        }
        if cells > 0 {
            let shown: Vec<String> = bad.iter().take(3).map(|t| format!("'{}'", t.chars().take(20).collect::<String>())).collect();
            notes.push(format!("Column '{}': {cells} cell(s) such as {} count as missing values.", c.name, shown.join(", ")));
        }
    }
    Ok(Table { columns, rows, delimiter, has_header, notes })
}

/// A cell text's number (finite only) and whether it means "no value" (a missing marker or a
/// non-finite number).
fn level_info(text: &str, delimiter: u8) -> (Option<f64>, bool) {
    let marker = is_missing_marker(text);
    let v = if marker { None } else { parse_number(text, delimiter) };
    (v.filter(|v| v.is_finite()), marker || v.is_some_and(|v| !v.is_finite()))
}

fn finish_column(b: ColumnBuilder, delimiter: u8) -> Column {
    let (level_values, level_missing) = b.levels.iter().map(|l| level_info(l, delimiter)).unzip();
    let mut col = Column {
        name: String::new(),
        codes: b.codes,
        levels: b.levels,
        level_values,
        level_missing,
        inferred: ColumnType::Ignored,
        ignored_because: None,
    };
    infer_type(&mut col);
    col
}

/// Numeric when every value is a number; categorical when the text takes few distinct values;
/// otherwise ignored, with the reason.
/// A column whose cells are at least 75% numbers, with at most two distinct other texts (`unknown`,
/// `n.a.`), is numeric with those texts as missing values.
fn infer_type(col: &mut Column) {
    let mut counts = vec![0usize; col.levels.len()];
    for &c in &col.codes {
        counts[c as usize] += 1;
    }
    let mut present: Vec<usize> = (0..col.levels.len()).filter(|&l| !col.level_missing[l] && counts[l] > 0).collect();
    let texts: Vec<usize> = present.iter().copied().filter(|&l| col.level_values[l].is_none()).collect();
    let numeric_cells: usize = present.iter().filter(|&&l| col.level_values[l].is_some()).map(|&l| counts[l]).sum();
    let text_cells: usize = texts.iter().map(|&l| counts[l]).sum();
    if !texts.is_empty() && texts.len() <= 2 && present.len() - texts.len() >= 2 && numeric_cells >= 3 * text_cells {
        for &l in &texts {
            col.level_missing[l] = true;
        }
        present.retain(|l| !texts.contains(l));
    }
    let (t, why) = if present.is_empty() {
        (ColumnType::Ignored, Some("no values".to_string()))
    } else if present.len() == 1 {
        (ColumnType::Ignored, Some("the same value in every row".to_string()))
    } else if present.iter().all(|&l| col.level_values[l].is_some()) {
        (ColumnType::Numeric, None)
    } else if present.len() <= MAX_LEVELS {
        (ColumnType::Categorical, None)
    } else {
        (ColumnType::Ignored, Some(format!("text with {} distinct values (an id or free text?)", present.len())))
    };
    col.inferred = t;
    col.ignored_because = why;
}

/// The first row names the columns when some column is numeric below a non-numeric first cell,
/// or when every first-row cell is a non-numeric text that never occurs again in its column.
fn looks_like_header(first: &[String], columns: &[Column], delimiter: u8) -> bool {
    let numeric_below = first.iter().zip(columns).any(|(cell, col)| {
        col.inferred == ColumnType::Numeric && !is_missing_marker(cell) && parse_number(cell, delimiter).is_none()
    });
    if numeric_below {
        return true;
    }
    let all_text = first.iter().all(|c| !c.is_empty() && parse_number(c, delimiter).is_none());
    all_text && first.iter().zip(columns).all(|(cell, col)| !col.levels.iter().any(|l| l == cell))
}

/// What to do with rows that miss a feature value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MissingPolicy {
    /// Fill numeric cells with the column's median and categorical cells with its most frequent
    /// value.
    #[default]
    Impute,
    /// Drop every row with a missing feature value.
    Drop,
}

impl MissingPolicy {
    pub fn key(self) -> &'static str {
        match self {
            MissingPolicy::Impute => "impute",
            MissingPolicy::Drop => "drop",
        }
    }
    pub fn from_key(k: &str) -> Option<Self> {
        [MissingPolicy::Impute, MissingPolicy::Drop].into_iter().find(|p| p.key() == k)
    }
}

/// The user's choices for a table: which column is the label and how each other column is used.
#[derive(Clone, Debug, PartialEq)]
pub struct Roles {
    pub label: usize,
    /// One per column; the label's entry is ignored.
    pub types: Vec<ColumnType>,
    pub missing: MissingPolicy,
}

impl Roles {
    /// The label is a column named label/class/target/y (any case), else the last column; every
    /// other column keeps its inferred type.
    pub fn guess(table: &Table) -> Roles {
        let named = ["label", "class", "target", "y"];
        let label = named
            .iter()
            .find_map(|n| table.columns.iter().position(|c| c.name.trim().eq_ignore_ascii_case(n)))
            .unwrap_or(table.columns.len().saturating_sub(1));
        Roles { label, types: table.columns.iter().map(|c| c.inferred).collect(), missing: MissingPolicy::default() }
    }
}

/// How one encoded dimension maps back to the file.
#[derive(Clone, Debug, PartialEq)]
pub enum DimKind {
    /// `encoded = (value - mean) / std`.
    Numeric { mean: f64, std: f64 },
    /// 1 when the column equals this level, else 0.
    OneHot { level: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Dim {
    pub column: usize,
    pub kind: DimKind,
}

impl Dim {
    /// An encoded value in the file's units (a one-hot dimension stays 0..1).
    pub fn to_original(&self, v: f32) -> f64 {
        match &self.kind {
            DimKind::Numeric { mean, std } => mean + std * v as f64,
            DimKind::OneHot { .. } => v as f64,
        }
    }
}

/// What the encoding did, for the page to report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MissingReport {
    /// Missing cells per column (feature columns only), over rows with a label.
    pub per_column: Vec<(String, usize)>,
    pub rows_without_label: usize,
    pub dropped_rows: usize,
    pub imputed_cells: usize,
}

/// A table turned into numbers: the dataset the classifiers train on and how to read it back.
#[derive(Clone, Debug, PartialEq)]
pub struct Encoded {
    pub data: Dataset,
    pub dims: Vec<Dim>,
    /// Table row of each dataset row.
    pub rows: Vec<usize>,
    pub report: MissingReport,
}

/// Numeric features are standardised (so one learning rate fits every file) and categorical ones
/// one-hot encoded; rows without a label are dropped, other missing values dropped or imputed as
/// `roles.missing` says. Classes are the label's distinct values, sorted (numerically when they
/// are numbers).
pub fn encode(table: &Table, roles: &Roles) -> Result<Encoded, TableError> {
    let label = table.columns.get(roles.label).ok_or(TableError::LabelMissing)?;
    let mut seen = vec![false; label.levels.len()];
    for &c in &label.codes {
        seen[c as usize] = true;
    }
    let mut classes: Vec<u32> = (0..label.levels.len() as u32).filter(|&l| !label.level_missing[l as usize] && seen[l as usize]).collect();
    if classes.len() < 2 {
        return Err(TableError::OneClass { column: label.name.clone() });
    }
    if classes.len() > MAX_CLASSES {
        return Err(TableError::TooManyClasses { column: label.name.clone(), count: classes.len() });
    }
    let numeric_label = classes.iter().all(|&l| label.level_values[l as usize].is_some());
    if numeric_label {
        classes.sort_by(|a, b| label.level_values[*a as usize].unwrap_or(0.0).total_cmp(&label.level_values[*b as usize].unwrap_or(0.0)));
    } else {
        classes.sort_by(|a, b| label.levels[*a as usize].cmp(&label.levels[*b as usize]));
    }
    let mut class_of = vec![u32::MAX; label.levels.len()];
    for (k, &l) in classes.iter().enumerate() {
        class_of[l as usize] = k as u32;
    }

    let features: Vec<(usize, ColumnType)> = roles
        .types
        .iter()
        .enumerate()
        .filter(|&(i, t)| i != roles.label && *t != ColumnType::Ignored && i < table.columns.len())
        .map(|(i, t)| (i, *t))
        .collect();
    // A column typed numeric by the user must hold numbers; one with no value at all is useless.
    let features: Vec<(usize, ColumnType)> = features
        .into_iter()
        .filter(|&(i, t)| {
            let c = &table.columns[i];
            c.distinct() > 0 && (t != ColumnType::Numeric || (0..c.levels.len()).all(|l| c.level_missing[l] || c.level_values[l].is_some()))
        })
        .collect();
    if features.is_empty() {
        return Err(TableError::NoFeatures);
    }

    let labelled: Vec<usize> = (0..table.rows).filter(|&r| !label.is_missing(r)).collect();
    let mut report = MissingReport { rows_without_label: table.rows - labelled.len(), ..Default::default() };
    for &(i, _) in &features {
        let c = &table.columns[i];
        report.per_column.push((c.name.clone(), labelled.iter().filter(|&&r| c.is_missing(r)).count()));
    }
    let rows: Vec<usize> = match roles.missing {
        MissingPolicy::Impute => labelled,
        MissingPolicy::Drop => {
            let kept: Vec<usize> = labelled.iter().copied().filter(|&r| features.iter().all(|&(i, _)| !table.columns[i].is_missing(r))).collect();
            report.dropped_rows = labelled.len() - kept.len();
            if kept.is_empty() {
                return Err(TableError::NoRowsLeft { dropped: report.dropped_rows });
            }
            kept
        }
    };

    // Per feature column: the encoded dimensions and a fill value for missing cells.
    let mut dims = Vec::new();
    let mut names = Vec::new();
    let mut fills: Vec<Fill> = Vec::new();
    for &(i, t) in &features {
        let c = &table.columns[i];
        match t {
            ColumnType::Numeric => {
                let mut vals: Vec<f64> = rows.iter().filter_map(|&r| c.value(r)).collect();
                let median = median(&mut vals);
                let n = rows.len() as f64;
                // Moments of value / scale, so values near f64::MAX do not overflow when squared.
                let scale = vals.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
                let filled = |r: usize| c.value(r).unwrap_or(median) / scale;
                let mean = rows.iter().map(|&r| filled(r)).sum::<f64>() / n;
                let var = rows.iter().map(|&r| (filled(r) - mean).powi(2)).sum::<f64>() / n;
                let (mean, std) = (mean * scale, if var > 0.0 { var.sqrt() * scale } else { 1.0 });
                dims.push(Dim { column: i, kind: DimKind::Numeric { mean, std } });
                names.push(c.name.clone());
                fills.push(Fill::Number { median, mean, std });
            }
            _ => {
                let mut counts = vec![0usize; c.levels.len()];
                for &r in &rows {
                    if !c.is_missing(r) {
                        counts[c.codes[r] as usize] += 1;
                    }
                }
                let levels: Vec<usize> = (0..c.levels.len()).filter(|&l| counts[l] > 0).collect();
                let mode = levels.iter().copied().max_by_key(|&l| (counts[l], usize::MAX - l)).unwrap_or(0);
                for &l in &levels {
                    dims.push(Dim { column: i, kind: DimKind::OneHot { level: c.levels[l].clone() } });
                    names.push(format!("{}={}", c.name, c.levels[l]));
                }
                fills.push(Fill::Level(mode as u32, levels));
            }
        }
    }
    let dim = dims.len();
    let mut x = Vec::with_capacity(rows.len() * dim);
    let mut y = Vec::with_capacity(rows.len());
    for &r in &rows {
        for (&(i, _), fill) in features.iter().zip(&fills) {
            let c = &table.columns[i];
            let missing = c.is_missing(r);
            if missing {
                report.imputed_cells += 1;
            }
            match fill {
                Fill::Number { median, mean, std } => x.push(((c.value(r).unwrap_or(*median) - mean) / std) as f32),
                Fill::Level(mode, levels) => {
                    let code = if missing { *mode } else { c.codes[r] };
                    x.extend(levels.iter().map(|&l| if l as u32 == code { 1.0 } else { 0.0 }));
                }
            }
        }
        y.push(class_of[label.codes[r] as usize]);
    }
    let data = Dataset {
        dim,
        x,
        y,
        n_classes: classes.len(),
        class_names: classes.iter().map(|&l| label.levels[l as usize].clone()).collect(),
        feature_names: names,
    };
    Ok(Encoded { data, dims, rows, report })
}

enum Fill {
    Number { median: f64, mean: f64, std: f64 },
    /// The most frequent level, and the levels that get a one-hot dimension.
    Level(u32, Vec<usize>),
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

/// A short content hash of a file (the first 128 bits of its SHA-256, as hex): a link that names
/// a file too large to carry checks the user's file against it.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Files whose compressed form is at most this many link characters travel inside the link;
/// larger ones are named by [`content_hash`]. 12,000 characters keep a link within what browsers,
/// chat tools and mail clients pass on intact; a typical numeric CSV compresses 3-5x, so files up
/// to roughly 40 KB (a few hundred rows) fit.
pub const MAX_INLINE_CHARS: usize = 12_000;

/// Deflate + URL-safe base64, or `None` when the result would exceed [`MAX_INLINE_CHARS`].
pub fn pack_for_link(bytes: &[u8]) -> Option<String> {
    use base64::Engine;
    // 12,000 link characters hold 9,000 deflated bytes; CSV text does not deflate 40x, so a file
    // above 360 KB is not worth compressing (a 64 MB one would take seconds).
    if bytes.len() > MAX_INLINE_CHARS * 30 {
        return None;
    }
    let packed = miniz_oxide::deflate::compress_to_vec(bytes, 9);
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed);
    (text.len() <= MAX_INLINE_CHARS).then_some(text)
}

/// The inverse of [`pack_for_link`]; refuses malformed input and anything that inflates beyond
/// [`MAX_BYTES`].
pub fn unpack_from_link(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    if text.len() > MAX_INLINE_CHARS * 2 {
        return Err("the embedded file is too long".into());
    }
    let packed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| "the embedded file is not valid base64".to_string())?;
    miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_BYTES).map_err(|_| "the embedded file is not valid compressed data".to_string())
}

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
use std::io::Read;

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
    TooManyColumns { found: usize, limit: usize },
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
    /// A column with too many distinct texts was typed categorical.
    TooManyLevels { column: String },
    /// The file could not be read (a disk or stream error).
    Io(String),
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
            TooManyColumns { found, limit } => write!(f, "The file has {found} columns; at most {limit} can be read."),
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
                "The label column '{column}' has {} distinct values; up to {MAX_CLASSES} classes are handled (is it a numeric target or an id?).",
                if *count > DICT_LIMIT { format!("more than {DICT_LIMIT}") } else { count.to_string() }
            ),
            NoFeatures => write!(f, "No usable feature column: every column other than the label is ignored or empty."),
            NoRowsLeft { dropped } => write!(f, "All {dropped} rows have a missing value; choose 'impute' instead of 'drop rows'."),
            TooManyLevels { column } => write!(
                f,
                "Column '{column}' has more than {DICT_LIMIT} distinct values, too many for a categorical feature; use it as numeric or ignore it."
            ),
            Io(e) => write!(f, "The file could not be read: {e}."),
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

/// Distinct texts a column keeps as a dictionary. Past this the column is a measurement (numbers
/// kept as `f64` per row) or an identifier / free text (only counted): a dictionary of a million
/// distinct numbers would cost ~100 bytes a cell. Well above [`MAX_LEVELS`], so no column that
/// could be categorical ever leaves the dictionary.
pub const DICT_LIMIT: usize = 1024;
/// Distinct non-number texts a number column keeps (missing markers and stray words); more and
/// it is text, not numbers.
const OTHER_LIMIT: usize = 64;
/// Leading cells of every column kept verbatim, for the preview.
const HEAD_ROWS: usize = 16;

/// One distinct cell text.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub text: String,
    /// The number the text denotes, `None` where it is not a finite number or is missing.
    pub value: Option<f64>,
    /// The text means "no value" (a marker of [`MISSING_MARKERS`], a non-finite number, or a
    /// stray word in a numeric column).
    pub missing: bool,
}

impl Level {
    fn new(text: &str, delimiter: u8) -> Level {
        let (value, missing) = level_info(text, delimiter);
        Level { text: text.to_string(), value, missing }
    }
}

/// How a column's cells are stored; chosen while reading, by how many distinct texts it has.
#[derive(Clone, Debug, PartialEq)]
enum Cells {
    /// Few distinct texts (at most [`DICT_LIMIT`]): per row an index into `levels`, 4 bytes a cell.
    Coded { codes: Vec<u32>, levels: Vec<Level> },
    /// Many distinct numbers: per row the value (NaN where the cell is not a finite number), and
    /// the rows whose cell is text, sorted by row, with that text as an index into `others`.
    Numbers { values: Vec<f64>, others: Vec<Level>, text_rows: Vec<(u32, u32)>, head: Vec<String> },
    /// Many distinct texts (an identifier or free text): nothing kept but the preview.
    Texts { rows: usize, head: Vec<String> },
}

/// One column as the file has it.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    cells: Cells,
    /// The type inferred from the values (the user may override it).
    pub inferred: ColumnType,
    /// Why the column was ignored, when it was.
    pub ignored_because: Option<String>,
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.cells {
            Cells::Coded { codes, .. } => codes.len(),
            Cells::Numbers { values, .. } => values.len(),
            Cells::Texts { rows, .. } => *rows,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The level of a text cell of a number column.
    fn other(&self, row: usize) -> Option<&Level> {
        match &self.cells {
            Cells::Numbers { others, text_rows, .. } => {
                text_rows.binary_search_by_key(&(row as u32), |&(r, _)| r).ok().map(|k| &others[text_rows[k].1 as usize])
            }
            _ => None,
        }
    }

    /// Cells with no value.
    pub fn missing(&self) -> usize {
        match &self.cells {
            Cells::Coded { codes, levels } => codes.iter().filter(|&&c| levels[c as usize].missing).count(),
            Cells::Numbers { others, text_rows, .. } => text_rows.iter().filter(|&&(_, l)| others[l as usize].missing).count(),
            Cells::Texts { .. } => 0,
        }
    }
    pub fn is_missing(&self, row: usize) -> bool {
        match &self.cells {
            Cells::Coded { codes, levels } => levels[codes[row] as usize].missing,
            Cells::Numbers { values, .. } => values[row].is_nan() && self.other(row).is_some_and(|l| l.missing),
            Cells::Texts { .. } => false,
        }
    }
    pub fn value(&self, row: usize) -> Option<f64> {
        match &self.cells {
            Cells::Coded { codes, levels } => levels[codes[row] as usize].value,
            Cells::Numbers { values, .. } => Some(values[row]).filter(|v| !v.is_nan()),
            Cells::Texts { .. } => None,
        }
    }
    /// The cell as the file has it (trimmed). Columns of many distinct values keep their first
    /// rows verbatim and show later numbers in shortest form; free-text columns keep only the
    /// first rows.
    pub fn text(&self, row: usize) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match &self.cells {
            Cells::Coded { codes, levels } => Cow::Borrowed(&levels[codes[row] as usize].text),
            Cells::Numbers { head, values, .. } => match head.get(row) {
                Some(t) => Cow::Borrowed(t),
                None => match self.other(row) {
                    Some(l) => Cow::Borrowed(&l.text),
                    None => Cow::Owned(values[row].to_string()),
                },
            },
            Cells::Texts { head, .. } => head.get(row).map(|t| Cow::Borrowed(t.as_str())).unwrap_or(Cow::Borrowed("…")),
        }
    }
    /// Non-missing distinct values, counted up to [`DICT_LIMIT`] (columns with more report
    /// `DICT_LIMIT + 1`).
    pub fn distinct(&self) -> usize {
        match &self.cells {
            Cells::Coded { levels, .. } => levels.iter().filter(|l| !l.missing).count(),
            _ => DICT_LIMIT + 1,
        }
    }
    /// The distinct texts and, per row, the index of its text, for columns of at most
    /// [`DICT_LIMIT`] distinct texts (the only ones that can be categorical).
    pub fn levels(&self) -> Option<(&[u32], &[Level])> {
        match &self.cells {
            Cells::Coded { codes, levels } => Some((codes, levels)),
            _ => None,
        }
    }
    /// Every cell holds a number or no value (a column the user may type numeric).
    pub fn all_numeric(&self) -> bool {
        match &self.cells {
            Cells::Coded { levels, .. } => levels.iter().all(|l| l.missing || l.value.is_some()),
            Cells::Numbers { others, .. } => others.iter().all(|l| l.missing),
            Cells::Texts { .. } => false,
        }
    }
    /// Whether some cell has exactly this text.
    fn has_text(&self, text: &str) -> bool {
        match &self.cells {
            Cells::Coded { levels, .. } => levels.iter().any(|l| l.text == text),
            Cells::Numbers { others, .. } => others.iter().any(|l| l.text == text),
            Cells::Texts { head, .. } => head.iter().any(|t| t == text),
        }
    }
    /// The cells that count as missing although they are no missing marker (stray words,
    /// non-finite numbers): how many, and up to three of their texts.
    fn unexpected_missing(&self) -> (usize, Vec<&str>) {
        let levels: &[Level] = match &self.cells {
            Cells::Coded { levels, .. } => levels,
            Cells::Numbers { others, .. } => others,
            Cells::Texts { .. } => return (0, Vec::new()),
        };
        let odd = |l: &Level| l.missing && !is_missing_marker(&l.text);
        let counts = self.level_counts();
        let cells = levels.iter().zip(&counts).filter(|(l, _)| odd(l)).map(|(_, c)| c).sum();
        (cells, levels.iter().filter(|l| odd(l)).take(3).map(|l| l.text.as_str()).collect())
    }
    /// Cells per level (of `Coded`'s levels or `Numbers`' other texts).
    fn level_counts(&self) -> Vec<usize> {
        match &self.cells {
            Cells::Coded { codes, levels } => {
                let mut counts = vec![0; levels.len()];
                for &c in codes {
                    counts[c as usize] += 1;
                }
                counts
            }
            Cells::Numbers { others, text_rows, .. } => {
                let mut counts = vec![0; others.len()];
                for &(_, l) in text_rows {
                    counts[l as usize] += 1;
                }
                counts
            }
            Cells::Texts { .. } => Vec::new(),
        }
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

/// How much a reader accepts: the page's limits keep a browser tab's memory bounded; the command
/// line's are bounded by the machine's memory (a table costs 4-8 bytes a cell).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    pub rows: usize,
    pub columns: usize,
}

impl Limits {
    pub const PAGE: Limits = Limits { rows: MAX_ROWS, columns: MAX_COLUMNS };
    /// Rows are indexed by `u32`.
    pub const LARGE: Limits = Limits { rows: u32::MAX as usize - 1, columns: 100_000 };
}

/// Bytes read before parsing: enough to sniff the delimiter from 50 records and to tell text
/// from binary.
const HEAD_BYTES: usize = 64 << 10;

/// Checks the start of the input: UTF-16 byte-order marks, binary content. Returns the head
/// without a UTF-8 BOM.
fn check_head(head: &[u8]) -> Result<&[u8], TableError> {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(TableError::NotUtf8 { line: 1, encoding: Some("UTF-16") });
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // Text has no NUL bytes and next to no control characters other than tab, CR and LF.
    let start = &head[..head.len().min(4096)];
    let control = start.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')).count();
    if head.contains(&0) || control * 100 > start.len() {
        return Err(TableError::NotText);
    }
    Ok(head)
}

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Picks the delimiter whose first records have the same number (> 1) of fields most often.
/// Ties go to the earlier of `, ; \t |` except that a semicolon beats a comma when both split
/// every record evenly (the European CSV dialect, where the comma is the decimal mark).
fn sniff(text: &[u8]) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for &d in &DELIMITERS {
        let mut rdr = csv::ReaderBuilder::new().delimiter(d).has_headers(false).flexible(true).from_reader(text);
        let mut counts: Vec<usize> = Vec::new();
        for rec in rdr.byte_records().take(50) {
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

/// A cell's finite number, `None` for text, missing markers and non-finite numbers (which a
/// number column keeps as text cells).
fn plain_number(cell: &str, delimiter: u8) -> Option<f64> {
    parse_number(cell, delimiter).filter(|v| v.is_finite() && !is_missing_marker(cell))
}

/// Builds one column incrementally, moving to a cheaper storage when the dictionary outgrows
/// [`DICT_LIMIT`].
struct ColumnBuilder {
    cells: Cells,
    index: HashMap<String, u32>,
    delimiter: u8,
}

impl ColumnBuilder {
    fn new(delimiter: u8) -> Self {
        Self { cells: Cells::Coded { codes: Vec::new(), levels: Vec::new() }, index: HashMap::new(), delimiter }
    }

    fn push(&mut self, cell: &str) {
        let cell = cell.trim();
        match &mut self.cells {
            Cells::Coded { codes, levels } => {
                let code = match self.index.get(cell) {
                    Some(&c) => c,
                    None => {
                        let c = levels.len() as u32;
                        levels.push(Level::new(cell, self.delimiter));
                        self.index.insert(cell.to_string(), c);
                        c
                    }
                };
                codes.push(code);
                if levels.len() > DICT_LIMIT {
                    self.leave_dictionary();
                }
            }
            Cells::Numbers { values, others, text_rows, head } => {
                let row = values.len();
                if head.len() < HEAD_ROWS {
                    head.push(cell.to_string());
                }
                match plain_number(cell, self.delimiter) {
                    Some(v) => values.push(v),
                    None => {
                        let l = match self.index.get(cell) {
                            Some(&l) => l,
                            None => {
                                others.push(Level::new(cell, self.delimiter));
                                self.index.insert(cell.to_string(), (others.len() - 1) as u32);
                                (others.len() - 1) as u32
                            }
                        };
                        values.push(f64::NAN);
                        text_rows.push((row as u32, l));
                        if others.len() > OTHER_LIMIT {
                            self.cells = Cells::Texts { rows: values.len(), head: std::mem::take(head) };
                            self.index = HashMap::new();
                        }
                    }
                }
            }
            Cells::Texts { rows, head } => {
                if head.len() < HEAD_ROWS {
                    head.push(cell.to_string());
                }
                *rows += 1;
            }
        }
    }

    /// From a dictionary to numbers (when most distinct texts are numbers) or to counted text.
    fn leave_dictionary(&mut self) {
        let Cells::Coded { codes, levels } = &mut self.cells else { return };
        let head: Vec<String> = codes.iter().take(HEAD_ROWS).map(|&c| levels[c as usize].text.clone()).collect();
        let is_number = |l: &Level| l.value.is_some();
        if levels.iter().filter(|l| !is_number(l)).count() > OTHER_LIMIT {
            self.cells = Cells::Texts { rows: codes.len(), head };
            self.index = HashMap::new();
            return;
        }
        // Non-number levels keep their order; their new indices:
        let mut remap = vec![u32::MAX; levels.len()];
        let mut others = Vec::new();
        for (i, l) in levels.iter().enumerate() {
            if !is_number(l) {
                remap[i] = others.len() as u32;
                others.push(l.clone());
            }
        }
        let mut values = Vec::with_capacity(codes.len() * 2);
        let mut text_rows = Vec::new();
        for (row, &c) in codes.iter().enumerate() {
            match levels[c as usize].value {
                Some(v) => values.push(v),
                None => {
                    values.push(f64::NAN);
                    text_rows.push((row as u32, remap[c as usize]));
                }
            }
        }
        self.index = others.iter().enumerate().map(|(i, l)| (l.text.clone(), i as u32)).collect();
        self.cells = Cells::Numbers { values, others, text_rows, head };
    }

    /// Puts `cell` in front of every other row (a first row that turned out to be data).
    fn prepend(cells: &mut Cells, cell: &str, delimiter: u8) {
        match cells {
            Cells::Coded { codes, levels } => {
                let code = match levels.iter().position(|l| l.text == cell) {
                    Some(c) => c as u32,
                    None => {
                        levels.push(Level::new(cell, delimiter));
                        (levels.len() - 1) as u32
                    }
                };
                codes.insert(0, code);
            }
            Cells::Numbers { values, others, text_rows, head } => {
                head.insert(0, cell.to_string());
                head.truncate(HEAD_ROWS);
                for r in text_rows.iter_mut() {
                    r.0 += 1;
                }
                match plain_number(cell, delimiter) {
                    Some(v) => values.insert(0, v),
                    None => {
                        let l = match others.iter().position(|l| l.text == cell) {
                            Some(l) => l,
                            None => {
                                others.push(Level::new(cell, delimiter));
                                others.len() - 1
                            }
                        };
                        values.insert(0, f64::NAN);
                        text_rows.insert(0, (0, l as u32));
                    }
                }
            }
            Cells::Texts { rows, head } => {
                head.insert(0, cell.to_string());
                head.truncate(HEAD_ROWS);
                *rows += 1;
            }
        }
    }
}

/// Parses CSV bytes held in memory (the page's path): refuses files above [`MAX_BYTES`], then
/// reads them as [`read`] does, within the page's [`Limits`].
pub fn parse(bytes: &[u8]) -> Result<Table, TableError> {
    if bytes.len() > MAX_BYTES {
        return Err(TableError::TooLarge { bytes: bytes.len() });
    }
    read(bytes, Limits::PAGE)
}

/// Reads a CSV table from a stream, one record at a time: memory grows with the table (4-8 bytes
/// a cell), never with the file's text. Encoding checks, delimiter sniffing (on the first 64 KB),
/// header detection, and a type per column; errors name the row (the file's 1-based line).
pub fn read<R: std::io::Read>(mut input: R, limits: Limits) -> Result<Table, TableError> {
    let io = |e: std::io::Error| TableError::Io(e.to_string());
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut input).take(HEAD_BYTES as u64).read_to_end(&mut head).map_err(io)?;
    let full = head.len() == HEAD_BYTES;
    let body = check_head(&head)?;
    // Sniff on whole lines only, unless one line fills the head.
    let sniff_on = match (full, body.iter().rposition(|&b| b == b'\n')) {
        (true, Some(end)) => &body[..end + 1],
        _ => body,
    };
    let delimiter = sniff(sniff_on);
    let stream = std::io::Read::chain(body, input);
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(stream);
    let mut first: Option<Vec<String>> = None;
    let mut builders: Vec<ColumnBuilder> = Vec::new();
    let mut rows = 0usize;
    // One record buffer, reused for every row.
    let mut rec = csv::ByteRecord::new();
    loop {
        let more = rdr.read_byte_record(&mut rec).map_err(|e| match e.kind() {
            csv::ErrorKind::Io(err) => TableError::Io(err.to_string()),
            _ => TableError::Parse { line: e.position().map(|p| p.line() as usize).unwrap_or(0), message: e.to_string() },
        })?;
        if !more {
            break;
        }
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let mut cells: Vec<&str> = Vec::with_capacity(rec.len());
        for field in rec.iter() {
            if field.contains(&0) {
                return Err(TableError::NotText);
            }
            cells.push(std::str::from_utf8(field).map_err(|_| TableError::NotUtf8 { line, encoding: None })?);
        }
        // A line of nothing but delimiters or spaces carries no data.
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match &first {
            None => {
                if cells.len() > limits.columns {
                    return Err(TableError::TooManyColumns { found: cells.len(), limit: limits.columns });
                }
                if cells.len() < 2 {
                    return Err(TableError::OneColumn);
                }
                first = Some(cells.iter().map(|c| c.trim().to_string()).collect());
                builders = (0..cells.len()).map(|_| ColumnBuilder::new(delimiter)).collect();
            }
            Some(f) => {
                if cells.len() != f.len() {
                    // A quote that never closes swallows the rest of the file into one field.
                    if cells.len() < f.len() && cells.iter().any(|c| c.contains('\n') || c.contains('\r')) {
                        return Err(TableError::Parse { line, message: "a quoted field is never closed".into() });
                    }
                    return Err(TableError::Ragged { line, found: cells.len(), expected: f.len() });
                }
                rows += 1;
                if rows > limits.rows {
                    return Err(TableError::TooManyRows { limit: limits.rows });
                }
                for (b, cell) in builders.iter_mut().zip(&cells) {
                    b.push(cell);
                }
            }
        }
    }
    let Some(first) = first else { return Err(TableError::Empty) };
    if rows == 0 {
        return Err(TableError::HeaderOnly);
    }
    let mut columns: Vec<Column> = builders
        .into_iter()
        .map(|b| {
            let mut col = Column { name: String::new(), cells: b.cells, inferred: ColumnType::Ignored, ignored_because: None };
            infer_type(&mut col);
            col
        })
        .collect();
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
            ColumnBuilder::prepend(&mut col.cells, cell, delimiter);
            infer_type(col);
        }
        rows += 1;
        notes.push("The first row looks like data, not names: columns are numbered.".into());
    }
    for c in &columns {
        let (cells, bad) = c.unexpected_missing();
        if cells > 0 {
            let shown: Vec<String> = bad.iter().map(|t| format!("'{}'", t.chars().take(20).collect::<String>())).collect();
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

/// Numeric when every value is a number; categorical when the text takes few distinct values;
/// otherwise ignored, with the reason.
/// A column whose cells are at least 75% numbers, with at most two distinct other texts (`unknown`,
/// `n.a.`), is numeric with those texts as missing values.
fn infer_type(col: &mut Column) {
    let counts = col.level_counts();
    let (t, why) = match &mut col.cells {
        Cells::Texts { .. } => {
            (ColumnType::Ignored, Some(format!("text with more than {DICT_LIMIT} distinct values (an id or free text?)")))
        }
        Cells::Numbers { values, others, .. } => {
            let texts: Vec<usize> = (0..others.len()).filter(|&l| !others[l].missing && counts[l] > 0).collect();
            let text_cells: usize = texts.iter().map(|&l| counts[l]).sum();
            let numeric_cells = values.len() - counts.iter().sum::<usize>();
            if texts.is_empty() {
                (ColumnType::Numeric, None)
            } else if texts.len() <= 2 && numeric_cells >= 3 * text_cells {
                for &l in &texts {
                    others[l].missing = true;
                }
                (ColumnType::Numeric, None)
            } else {
                (ColumnType::Ignored, Some(format!("text with more than {DICT_LIMIT} distinct values (an id or free text?)")))
            }
        }
        Cells::Coded { levels, .. } => {
            let mut present: Vec<usize> = (0..levels.len()).filter(|&l| !levels[l].missing && counts[l] > 0).collect();
            let texts: Vec<usize> = present.iter().copied().filter(|&l| levels[l].value.is_none()).collect();
            let numeric_cells: usize = present.iter().filter(|&&l| levels[l].value.is_some()).map(|&l| counts[l]).sum();
            let text_cells: usize = texts.iter().map(|&l| counts[l]).sum();
            if !texts.is_empty() && texts.len() <= 2 && present.len() - texts.len() >= 2 && numeric_cells >= 3 * text_cells {
                for &l in &texts {
                    levels[l].missing = true;
                }
                present.retain(|l| !texts.contains(l));
            }
            if present.is_empty() {
                (ColumnType::Ignored, Some("no values".to_string()))
            } else if present.len() == 1 {
                (ColumnType::Ignored, Some("the same value in every row".to_string()))
            } else if present.iter().all(|&l| levels[l].value.is_some()) {
                (ColumnType::Numeric, None)
            } else if present.len() <= MAX_LEVELS {
                (ColumnType::Categorical, None)
            } else {
                (ColumnType::Ignored, Some(format!("text with {} distinct values (an id or free text?)", present.len())))
            }
        }
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
    all_text && first.iter().zip(columns).all(|(cell, col)| !col.has_text(cell))
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
    /// The fitted transform, to encode other rows (a test fold, a file to predict) the same way.
    pub encoding: Encoding,
}

/// Numeric features are standardised (so one learning rate fits every file) and categorical ones
/// one-hot encoded; rows without a label are dropped, other missing values dropped or imputed as
/// `roles.missing` says. Classes are the label's distinct values, sorted (numerically when they
/// are numbers). The transform is fitted on every usable row (the page's view); cross-validation
/// fits it per training fold with [`Encoding::fit`].
pub fn encode(table: &Table, roles: &Roles) -> Result<Encoded, TableError> {
    let (rows, mut report) = usable_rows(table, roles)?;
    let encoding = Encoding::fit(table, roles, &rows)?;
    let (data, imputed) = encoding.dataset(table, &rows)?;
    report.imputed_cells = imputed;
    Ok(Encoded { dims: encoding.dims(table)?, data, rows, report, encoding })
}

/// The label's classes: per level of the label column its class (`u32::MAX` for missing
/// values), and the class names in class order.
fn classes(table: &Table, roles: &Roles) -> Result<(usize, Vec<u32>, Vec<String>), TableError> {
    let label = table.columns.get(roles.label).ok_or(TableError::LabelMissing)?;
    let Some((codes, levels)) = label.levels() else {
        return Err(TableError::TooManyClasses { column: label.name.clone(), count: label.distinct() });
    };
    let mut seen = vec![false; levels.len()];
    for &c in codes {
        seen[c as usize] = true;
    }
    let mut present: Vec<usize> = (0..levels.len()).filter(|&l| !levels[l].missing && seen[l]).collect();
    if present.len() < 2 {
        return Err(TableError::OneClass { column: label.name.clone() });
    }
    if present.len() > MAX_CLASSES {
        return Err(TableError::TooManyClasses { column: label.name.clone(), count: present.len() });
    }
    if present.iter().all(|&l| levels[l].value.is_some()) {
        present.sort_by(|a, b| levels[*a].value.unwrap_or(0.0).total_cmp(&levels[*b].value.unwrap_or(0.0)));
    } else {
        present.sort_by(|a, b| levels[*a].text.cmp(&levels[*b].text));
    }
    let mut class_of = vec![u32::MAX; levels.len()];
    for (k, &l) in present.iter().enumerate() {
        class_of[l] = k as u32;
    }
    Ok((roles.label, class_of, present.iter().map(|&l| levels[l].text.clone()).collect()))
}

/// The columns that become features, with their type: not the label, not ignored, holding some
/// value, and (when numeric) numbers only.
fn feature_columns(table: &Table, roles: &Roles) -> Result<Vec<(usize, ColumnType)>, TableError> {
    let mut out = Vec::new();
    for (i, &t) in roles.types.iter().enumerate() {
        let Some(c) = table.columns.get(i) else { continue };
        if i == roles.label || t == ColumnType::Ignored || c.distinct() == 0 {
            continue;
        }
        match t {
            ColumnType::Numeric if !c.all_numeric() => continue,
            ColumnType::Categorical if c.levels().is_none() => return Err(TableError::TooManyLevels { column: c.name.clone() }),
            _ => out.push((i, t)),
        }
    }
    if out.is_empty() {
        return Err(TableError::NoFeatures);
    }
    Ok(out)
}

/// The class of each of `rows` (`u32::MAX` where the label is missing) and the class names, in
/// class order: the label's distinct values, sorted.
pub fn class_labels(table: &Table, roles: &Roles, rows: &[usize]) -> Result<(Vec<u32>, Vec<String>), TableError> {
    let (label, class_of, names) = classes(table, roles)?;
    let codes = table.columns[label].levels().map(|(codes, _)| codes).unwrap_or(&[]);
    Ok((rows.iter().map(|&r| class_of[codes[r] as usize]).collect(), names))
}

/// The rows that can train: those with a label and, when `roles.missing` drops rows, with every
/// feature value. Also reports missing values per feature column.
pub fn usable_rows(table: &Table, roles: &Roles) -> Result<(Vec<usize>, MissingReport), TableError> {
    let (label, class_of, _) = classes(table, roles)?;
    let features = feature_columns(table, roles)?;
    let label = &table.columns[label];
    let codes = label.levels().map(|(codes, _)| codes).unwrap_or(&[]);
    let labelled: Vec<usize> = (0..table.rows).filter(|&r| class_of[codes[r] as usize] != u32::MAX).collect();
    let mut report = MissingReport { rows_without_label: table.rows - labelled.len(), ..Default::default() };
    for &(i, _) in &features {
        let c = &table.columns[i];
        report.per_column.push((c.name.clone(), labelled.iter().filter(|&&r| c.is_missing(r)).count()));
    }
    let rows = match roles.missing {
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
    Ok((rows, report))
}

/// The fitted transform from a table's rows to numbers. A model file stores it, so a file to
/// predict is encoded exactly as the training rows were; features are found by column name.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Encoding {
    /// The label column's name.
    pub label: String,
    /// Class names (the label's texts) in class order.
    pub classes: Vec<String>,
    pub features: Vec<Feature>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Feature {
    pub column: String,
    #[serde(flatten)]
    pub kind: FeatureKind,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FeatureKind {
    /// `(value - mean) / std`; a missing value counts as the median.
    Numeric { median: f64, mean: f64, std: f64 },
    /// One dimension per level seen in training; a missing value counts as the most frequent
    /// level, and a level never seen in training gives all zeros.
    Categorical { levels: Vec<String>, mode: String },
}

impl Encoding {
    /// Fits the transform on `rows`: classes from the whole label column (so every fold numbers
    /// classes alike), feature statistics from `rows` only (so nothing leaks from a test fold).
    pub fn fit(table: &Table, roles: &Roles, rows: &[usize]) -> Result<Encoding, TableError> {
        let (label, _, class_names) = classes(table, roles)?;
        let mut features = Vec::new();
        for (i, t) in feature_columns(table, roles)? {
            let c = &table.columns[i];
            let kind = match (t, c.levels()) {
                (ColumnType::Categorical, Some((codes, levels))) => {
                    let mut counts = vec![0usize; levels.len()];
                    for &r in rows {
                        if !levels[codes[r] as usize].missing {
                            counts[codes[r] as usize] += 1;
                        }
                    }
                    let seen: Vec<usize> = (0..levels.len()).filter(|&l| counts[l] > 0).collect();
                    let mode = seen.iter().copied().max_by_key(|&l| (counts[l], usize::MAX - l)).unwrap_or(0);
                    FeatureKind::Categorical {
                        levels: seen.iter().map(|&l| levels[l].text.clone()).collect(),
                        mode: levels.get(mode).map(|l| l.text.clone()).unwrap_or_default(),
                    }
                }
                _ => {
                    let mut vals: Vec<f64> = rows.iter().filter_map(|&r| c.value(r)).collect();
                    let median = median(&mut vals);
                    let n = rows.len().max(1) as f64;
                    // Moments of value / scale, so values near f64::MAX do not overflow when squared.
                    let scale = vals.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
                    let filled = |r: usize| c.value(r).unwrap_or(median) / scale;
                    let mean = rows.iter().map(|&r| filled(r)).sum::<f64>() / n;
                    let var = rows.iter().map(|&r| (filled(r) - mean).powi(2)).sum::<f64>() / n;
                    let (mean, std) = (mean * scale, if var > 0.0 { var.sqrt() * scale } else { 1.0 });
                    FeatureKind::Numeric { median, mean, std }
                }
            };
            features.push(Feature { column: c.name.clone(), kind });
        }
        Ok(Encoding { label: table.columns[label].name.clone(), classes: class_names, features })
    }

    /// Encoded dimensions.
    pub fn dim(&self) -> usize {
        self.features.iter().map(|f| match &f.kind {
            FeatureKind::Numeric { .. } => 1,
            FeatureKind::Categorical { levels, .. } => levels.len(),
        }).sum()
    }

    /// The table's column of each feature; a missing column is an error.
    fn columns(&self, table: &Table) -> Result<Vec<usize>, TableError> {
        self.features.iter().map(|f| table.column_index(&f.column).ok_or_else(|| TableError::UnknownColumn(f.column.clone()))).collect()
    }

    /// How each encoded dimension maps back to `table`'s columns.
    pub fn dims(&self, table: &Table) -> Result<Vec<Dim>, TableError> {
        let mut dims = Vec::new();
        for (f, column) in self.features.iter().zip(self.columns(table)?) {
            match &f.kind {
                FeatureKind::Numeric { mean, std, .. } => dims.push(Dim { column, kind: DimKind::Numeric { mean: *mean, std: *std } }),
                FeatureKind::Categorical { levels, .. } => {
                    dims.extend(levels.iter().map(|l| Dim { column, kind: DimKind::OneHot { level: l.clone() } }))
                }
            }
        }
        Ok(dims)
    }

    /// Display names of the encoded dimensions (`column` or `column=level`).
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for f in &self.features {
            match &f.kind {
                FeatureKind::Numeric { .. } => names.push(f.column.clone()),
                FeatureKind::Categorical { levels, .. } => names.extend(levels.iter().map(|l| format!("{}={l}", f.column))),
            }
        }
        names
    }

    /// Per encoded dimension, the column behind it.
    pub fn sources(&self) -> Vec<crate::data::FeatureSource> {
        use crate::data::FeatureSource;
        let mut out = Vec::new();
        for f in &self.features {
            match &f.kind {
                FeatureKind::Numeric { mean, std, .. } => out.push(FeatureSource::Numeric { column: f.column.clone(), mean: *mean, std: *std }),
                FeatureKind::Categorical { levels, .. } => {
                    out.extend(levels.iter().map(|l| FeatureSource::Level { column: f.column.clone(), level: l.clone() }))
                }
            }
        }
        out
    }

    /// Row-major `[rows.len(), dim]` features of `rows`, and the number of missing cells filled.
    pub fn features(&self, table: &Table, rows: &[usize]) -> Result<(Vec<f32>, usize), TableError> {
        let columns = self.columns(table)?;
        // Per categorical feature: each level of the table's column -> its one-hot position.
        let mut slots: Vec<(Vec<Option<usize>>, Option<usize>)> = Vec::new();
        for (f, &i) in self.features.iter().zip(&columns) {
            if let FeatureKind::Categorical { levels, mode } = &f.kind {
                let c = &table.columns[i];
                let Some((_, table_levels)) = c.levels() else { return Err(TableError::TooManyLevels { column: c.name.clone() }) };
                let pos: HashMap<&str, usize> = levels.iter().enumerate().map(|(k, l)| (l.as_str(), k)).collect();
                let map = table_levels.iter().map(|l| pos.get(l.text.as_str()).copied()).collect();
                slots.push((map, pos.get(mode.as_str()).copied()));
            } else {
                slots.push((Vec::new(), None));
            }
        }
        let dim = self.dim();
        let mut x = Vec::with_capacity(rows.len() * dim);
        let mut imputed = 0;
        for &r in rows {
            for ((f, &i), (map, mode)) in self.features.iter().zip(&columns).zip(&slots) {
                let c = &table.columns[i];
                match &f.kind {
                    FeatureKind::Numeric { median, mean, std } => {
                        let v = c.value(r).unwrap_or_else(|| {
                            imputed += 1;
                            *median
                        });
                        x.push(((v - mean) / std) as f32);
                    }
                    FeatureKind::Categorical { levels, .. } => {
                        let Some((codes, table_levels)) = c.levels() else { unreachable!("checked above") };
                        let code = codes[r] as usize;
                        let hot = if table_levels[code].missing {
                            imputed += 1;
                            *mode
                        } else {
                            map[code]
                        };
                        x.extend((0..levels.len()).map(|k| if Some(k) == hot { 1.0 } else { 0.0 }));
                    }
                }
            }
        }
        Ok((x, imputed))
    }

    /// Class of each of `rows` (`None` where the label is missing or a class unseen in training);
    /// `None` when the table has no label column.
    pub fn labels(&self, table: &Table, rows: &[usize]) -> Option<Vec<Option<u32>>> {
        let c = &table.columns[table.column_index(&self.label)?];
        let (codes, levels) = c.levels()?;
        let pos: HashMap<&str, u32> = self.classes.iter().enumerate().map(|(k, l)| (l.as_str(), k as u32)).collect();
        let class_of: Vec<Option<u32>> = levels.iter().map(|l| pos.get(l.text.as_str()).copied()).collect();
        Some(rows.iter().map(|&r| class_of[codes[r] as usize]).collect())
    }

    /// The labelled dataset of `rows` (each must have a known class), and the cells imputed.
    pub fn dataset(&self, table: &Table, rows: &[usize]) -> Result<(Dataset, usize), TableError> {
        let (x, imputed) = self.features(table, rows)?;
        let labels = self.labels(table, rows).ok_or(TableError::LabelMissing)?;
        let y = labels.into_iter().map(|y| y.ok_or(TableError::LabelMissing)).collect::<Result<Vec<u32>, _>>()?;
        let data = Dataset {
            dim: self.dim(),
            x,
            y,
            n_classes: self.classes.len(),
            class_names: self.classes.clone(),
            feature_names: self.feature_names(),
            sources: self.sources(),
        };
        Ok((data, imputed))
    }
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
    let mut h = ContentHasher::default();
    h.update(bytes);
    h.finish()
}

/// [`content_hash`] of a stream, fed as it is read (the command line hashes a file while parsing it).
#[derive(Default)]
pub struct ContentHasher(sha2::Sha256);

impl ContentHasher {
    pub fn update(&mut self, bytes: &[u8]) {
        sha2::Digest::update(&mut self.0, bytes);
    }
    pub fn finish(self) -> String {
        sha2::Digest::finalize(self.0).iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
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

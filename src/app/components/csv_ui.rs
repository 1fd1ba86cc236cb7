//! The page's side of "your own data": reading a file (picker, drop, paste, sample, link), the
//! preview with column roles, and applying a table only when it encodes, so a bad file or a bad
//! choice never loses the dataset and model the user had.

use super::{App, Msg};
use crate::data::Dataset;
use crate::data::plane::Plane;
use crate::data::table::{self, ColumnType, Encoded, MissingPolicy, Roles, Table};
use crate::state::{CsvChoice, ViewChoice};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

/// The page's sample files (in `static/samples/`, see its README for sources and licences).
pub const SAMPLES: [(&str, &str); 4] = [
    ("iris.csv", "Iris (150 flowers, 4 features, 3 species)"),
    ("wine.csv", "Wine (178 wines, 13 features, 3 cultivars)"),
    ("breast_cancer.csv", "Breast cancer (569 tumours, 30 features)"),
    ("subscriptions.csv", "Subscriptions (400 rows, mixed types, missing cells)"),
];

/// A parsed file with the user's choices; `encoded` is `Ok` for the dataset in use.
pub struct CsvData {
    pub bytes: Rc<Vec<u8>>,
    pub table: Rc<Table>,
    pub choice: CsvChoice,
    pub roles: Roles,
    pub encoded: Result<Rc<Encoded>, String>,
}

/// Where bytes came from, which decides how the link's choices apply.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Origin {
    /// Picked, dropped or pasted: a new dataset with guessed roles.
    User,
    /// The link's own file (embedded, a sample, or the file it asked for): the link's roles.
    Link,
}

/// The roles a choice asks for on this table (out-of-range indices fall back to the guess).
pub fn roles_for(choice: &CsvChoice, table: &Table) -> Roles {
    let mut roles = Roles::guess(table);
    if let Some(l) = choice.label.filter(|&l| l < table.columns.len()) {
        roles.label = l;
    }
    for &(i, t) in &choice.types {
        if let Some(slot) = roles.types.get_mut(i) {
            *slot = t;
        }
    }
    roles.missing = choice.missing;
    roles
}

/// The view plane a choice asks for on the encoded data.
pub fn plane_for(data: &Dataset, view: &ViewChoice) -> Plane {
    match *view {
        ViewChoice::Pca if data.dim > 2 => Plane::pca(data),
        ViewChoice::Slice(i, j) if i < data.dim && j < data.dim && i != j => Plane::slice(data, i, j),
        ViewChoice::Auto if data.dim > 2 => Plane::pca(data),
        _ => Plane::first_two(data),
    }
}

pub async fn read_file(file: web_sys::File) -> Msg {
    let name = file.name();
    // Refused before reading a byte.
    if file.size() > table::MAX_BYTES as f64 {
        return Msg::CsvError(format!("{name}: {}", table::TableError::TooLarge { bytes: file.size() as usize }));
    }
    match JsFuture::from(file.array_buffer()).await {
        Ok(buf) => Msg::CsvBytes { name, bytes: Rc::new(js_sys::Uint8Array::new(&buf).to_vec()), origin: Origin::User },
        Err(_) => Msg::CsvError(format!("{name}: the browser could not read the file.")),
    }
}

/// Fetches one of the page's own sample files (same origin: nothing leaves the page).
pub async fn fetch_sample(file: String, origin: Origin) -> Msg {
    let fail = |why: &str| Msg::CsvError(format!("Sample {file}: {why}"));
    let Some(window) = web_sys::window() else { return fail("no window") };
    let Ok(resp) = JsFuture::from(window.fetch_with_str(&format!("static/samples/{file}"))).await else {
        return fail("could not be loaded");
    };
    let Ok(resp) = resp.dyn_into::<web_sys::Response>() else { return fail("could not be loaded") };
    if !resp.ok() {
        return fail(&format!("not found (HTTP {})", resp.status()));
    }
    let Ok(promise) = resp.array_buffer() else { return fail("could not be read") };
    match JsFuture::from(promise).await {
        Ok(buf) => Msg::CsvBytes { name: format!("sample:{file}"), bytes: Rc::new(js_sys::Uint8Array::new(&buf).to_vec()), origin },
        Err(_) => fail("could not be read"),
    }
}

impl App {
    /// Parses new bytes; errors leave everything as it was.
    pub(super) fn csv_bytes(&mut self, ctx: &Context<Self>, name: String, bytes: Rc<Vec<u8>>, origin: Origin) {
        let hash = table::content_hash(&bytes);
        // The file a link asked for is read with the link's roles (and must match its hash).
        let origin = if self.waiting_for_file { Origin::Link } else { origin };
        let mut choice = match (origin, self.state.csv.clone()) {
            (Origin::Link, Some(link)) => {
                if !link.hash.is_empty() && link.hash != hash {
                    self.csv_error = Some(format!(
                        "'{name}' is not the file this link was made with (its content differs). Choose the original file, or pick a dataset to start over."
                    ));
                    return;
                }
                CsvChoice { name: link.name.clone(), hash, ..link }
            }
            _ => CsvChoice { name: name.clone(), hash, ..CsvChoice::default() },
        };
        let table = match table::parse(&bytes) {
            Ok(t) => Rc::new(t),
            Err(e) => {
                self.csv_error = Some(format!("{}: {e}", display_name(&name)));
                return;
            }
        };
        self.waiting_for_file = false;
        if choice.data.is_none() && !choice.is_sample() {
            // Once per file, not per change of roles.
            choice.data = table::pack_for_link(&bytes);
        }
        self.try_apply(ctx, bytes, table, choice);
    }

    /// Applies a change to the roles of the table on screen (the draft if there is one).
    pub(super) fn csv_choose(&mut self, ctx: &Context<Self>, f: &dyn Fn(&mut CsvChoice)) {
        let Some(cur) = self.csv_draft.as_ref().or(self.csv.as_ref()) else { return };
        let (bytes, table, mut choice) = (cur.bytes.clone(), cur.table.clone(), cur.choice.clone());
        f(&mut choice);
        self.try_apply(ctx, bytes, table, choice);
    }

    /// Encodes; on success the table becomes the dataset (and the link), on failure it stays a
    /// draft in the preview with the reason, and training carries on with the previous data.
    fn try_apply(&mut self, ctx: &Context<Self>, bytes: Rc<Vec<u8>>, table: Rc<Table>, choice: CsvChoice) {
        let roles = roles_for(&choice, &table);
        // Same table, same roles: only the view changed, and the encoding is reused.
        let unchanged = self.csv.as_ref().filter(|c| Rc::ptr_eq(&c.table, &table) && c.roles == roles).and_then(|c| c.encoded.clone().ok());
        let view_only = unchanged.is_some();
        let encoded = match unchanged {
            Some(e) => Ok(e),
            None => table::encode(&table, &roles).map(Rc::new),
        };
        match encoded {
            Ok(enc) => {
                let same_rows = self.csv.as_ref().is_some_and(|c| Rc::ptr_eq(&c.table, &table) && c.roles.label == roles.label && c.roles.missing == roles.missing);
                if !table.notes.is_empty() && !same_rows {
                    self.notes.extend(table.notes.iter().cloned());
                }
                let data = CsvData { bytes, table, choice: choice.clone(), roles, encoded: Ok(enc) };
                self.csv = Some(Rc::new(data));
                self.csv_draft = None;
                self.csv_error = None;
                self.state.csv = Some(choice);
                if !same_rows {
                    self.state.removed.clear();
                    self.state.added.clear();
                }
                if view_only {
                    self.change_view(ctx);
                } else {
                    self.rebuild(ctx);
                }
            }
            Err(e) => {
                self.csv_error = Some(format!("{}: {e}", display_name(&choice.name)));
                self.csv_draft = Some(Rc::new(CsvData { bytes, table, choice, roles, encoded: Err(e.to_string()) }));
            }
        }
    }

    /// A new plane for the same model: no retraining.
    fn change_view(&mut self, ctx: &Context<Self>) {
        self.plane = self.plane_now();
        self.bounds = self.plane.bounds(&self.generated, 0.1);
        if let Some(session) = self.session.clone() {
            session.borrow_mut().set_plane(self.plane.clone(), self.bounds);
            self.write_hash();
            if !self.ctl.active.get() {
                self.start(ctx, super::Mode::Steps(0));
            }
        } else {
            self.rebuild(ctx);
        }
    }

    pub(super) fn plane_now(&self) -> Plane {
        match &self.state.csv {
            Some(c) if self.csv.is_some() => plane_for(&self.generated, &c.view),
            _ => Plane::first_two(&self.generated),
        }
    }

    /// A control that changes how the table is read (as `App::edit` does for the page state).
    fn choose(ctx: &Context<Self>, f: impl Fn(&mut CsvChoice, &str) + 'static) -> Callback<Event> {
        let f = Rc::new(f);
        ctx.link().callback(move |e: Event| {
            let v = super::event_value(&e);
            let f = f.clone();
            Msg::CsvChoose(Rc::new(move |c: &mut CsvChoice| f(c, &v)))
        })
    }

    /// The CSV part of the data panel: loading, the preview with roles, missing values and view.
    pub(super) fn csv_controls(&self, ctx: &Context<Self>) -> Html {
        let onfile = super::on_file_picked(ctx, read_file);
        let paste = self.paste.clone();
        let onpaste = ctx.link().callback(move |_| {
            let text = paste.cast::<web_sys::HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default();
            Msg::CsvBytes { name: "pasted.csv".into(), bytes: Rc::new(text.into_bytes()), origin: Origin::User }
        });
        let shown = self.csv_draft.as_ref().or(self.csv.as_ref());
        html! {
            <div class="csv">
                <label class="file" title="Or drop a CSV file anywhere on the page">
                    { "Your CSV file " }
                    <input type="file" data-testid="csv-file" accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values,text/plain" onchange={onfile} />
                </label>
                <details class="paste">
                    <summary>{ "…or paste CSV text" }</summary>
                    <textarea ref={self.paste.clone()} data-testid="csv-paste" rows="5" placeholder={"x,y,label\n1.0,2.5,a\n…"} />
                    <button class="secondary" data-testid="csv-paste-use" onclick={onpaste}>{ "Use this text" }</button>
                </details>
                <p class="hint">{ "Files stay in this browser: nothing is uploaded anywhere." }</p>
                if self.waiting_for_file {
                    <p class="ask" data-testid="csv-ask">{ format!(
                        "This link was made with the file '{}'. Choose or drop it here to continue; the page checks that it is the same file.",
                        self.state.csv.as_ref().map(|c| c.name.as_str()).unwrap_or("")
                    ) }</p>
                }
                if let Some(e) = &self.csv_error {
                    <p class="csv-error" role="alert" data-testid="csv-error">{ e }</p>
                }
                if let Some(d) = shown { { self.csv_preview(ctx, d) } }
            </div>
        }
    }

    fn csv_preview(&self, ctx: &Context<Self>, d: &CsvData) -> Html {
        let t = &d.table;
        let on_label = Self::choose(ctx, |c, v| {
            if let Ok(i) = v.parse() {
                c.label = Some(i);
                c.view = ViewChoice::Auto;
            }
        });
        let on_missing = Self::choose(ctx, |c, v| {
            if let Some(m) = MissingPolicy::from_key(v) {
                c.missing = m;
            }
        });
        let rows = t.rows.min(6);
        let summary = match &d.encoded {
            Ok(e) => {
                let r = &e.report;
                let missing: usize = r.per_column.iter().map(|(_, n)| n).sum();
                let mut s = format!(
                    "{} rows × {} columns → {} points, {} features (encoded: {}), {} classes.",
                    t.rows,
                    t.columns.len(),
                    e.data.len(),
                    r.per_column.len(),
                    e.data.dim,
                    e.data.n_classes
                );
                if missing > 0 || r.rows_without_label > 0 {
                    let cols: Vec<String> = r.per_column.iter().filter(|(_, n)| *n > 0).map(|(c, n)| format!("{c}: {n}")).collect();
                    s.push_str(&format!(" Missing values: {missing} ({}).", cols.join(", ")));
                    if r.rows_without_label > 0 {
                        s.push_str(&format!(" {} rows without a label are left out.", r.rows_without_label));
                    }
                    s.push_str(&match d.roles.missing {
                        MissingPolicy::Impute => format!(" {} cells imputed.", r.imputed_cells),
                        MissingPolicy::Drop => format!(" {} rows dropped.", r.dropped_rows),
                    });
                }
                s
            }
            Err(_) => format!("{} rows × {} columns (not in use: see the message above).", t.rows, t.columns.len()),
        };
        html! {
            <div class="preview" data-testid="csv-preview">
                <p class="hint" data-testid="csv-summary">{ format!("{}: ", display_name(&d.choice.name)) }{ summary }</p>
                <div class="row">
                    <label class="inline">{ "Label" }
                        <select data-testid="csv-label" onchange={on_label}>
                            { for t.columns.iter().enumerate().map(|(i, c)| html! { <option value={i.to_string()} selected={i == d.roles.label}>{ &c.name }</option> }) }
                        </select>
                    </label>
                    <label class="inline">{ "Missing values" }
                        <select data-testid="csv-missing" onchange={on_missing}>
                            <option value="impute" selected={d.roles.missing == MissingPolicy::Impute} title="numeric: the median; categorical: the most frequent value">{ "impute" }</option>
                            <option value="drop" selected={d.roles.missing == MissingPolicy::Drop}>{ "drop rows" }</option>
                        </select>
                    </label>
                </div>
                <div class="table-wrap">
                    <table>
                        <thead>
                            <tr>{ for t.columns.iter().map(|c| html! { <th>{ &c.name }</th> }) }</tr>
                            <tr class="types">{ for t.columns.iter().enumerate().map(|(i, c)| {
                                if i == d.roles.label {
                                    return html! { <th><span class="label-tag">{ "label" }</span></th> };
                                }
                                let on_type = Self::choose(ctx, move |ch, v| {
                                    if let Some(ty) = ColumnType::from_key(v) {
                                        ch.types.retain(|(k, _)| *k != i);
                                        ch.types.push((i, ty));
                                        ch.view = ViewChoice::Auto;
                                    }
                                });
                                let title = c.ignored_because.clone().map(|w| format!("Inferred as ignored: {w}")).unwrap_or_else(|| format!("Inferred as {}", c.inferred.key()));
                                html! {
                                    <th {title}>
                                        <select data-testid={format!("csv-type-{i}")} onchange={on_type}>
                                            { for ColumnType::ALL.iter().map(|ty| html! { <option value={ty.key()} selected={*ty == d.roles.types[i]}>{ ty.key() }</option> }) }
                                        </select>
                                    </th>
                                }
                            }) }</tr>
                        </thead>
                        <tbody>
                            { for (0..rows).map(|r| html! {
                                <tr>{ for t.columns.iter().map(|c| {
                                    let class = if c.is_missing(r) { "missing" } else { "" };
                                    let text: String = c.text(r).chars().take(24).collect();
                                    html! { <td {class}>{ if c.is_missing(r) && text.is_empty() { "∅".to_string() } else { text } }</td> }
                                }) }</tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            </div>
        }
    }

    /// View choice for data with more than two features.
    pub(super) fn view_controls(&self, ctx: &Context<Self>) -> Html {
        let names = &self.generated.feature_names;
        let description = self.plane.describe(names);
        if self.state.csv.is_none() || self.csv.is_none() {
            // Toy data is its own plane: nothing to say.
            return html! {};
        }
        if self.generated.dim <= 2 {
            return html! { <p class="hint" data-testid="view-description">{ format!("View: {description}") }</p> };
        };
        let (i, j) = match self.plane.kind {
            crate::data::plane::PlaneKind::Slice { i, j } => (i, j),
            _ => (0, 1),
        };
        let pca = matches!(self.plane.kind, crate::data::plane::PlaneKind::Pca { .. });
        let on_kind = Self::choose(ctx, move |c, v| c.view = if v == "pca" { ViewChoice::Pca } else { ViewChoice::Slice(i, j) });
        let on_x = Self::choose(ctx, move |c, v| {
            if let Ok(x) = v.parse() {
                c.view = ViewChoice::Slice(x, if x == j { i } else { j });
            }
        });
        let on_y = Self::choose(ctx, move |c, v| {
            if let Ok(y) = v.parse() {
                c.view = ViewChoice::Slice(if y == i { j } else { i }, y);
            }
        });
        let options = |sel: usize| html! { { for names.iter().enumerate().map(|(k, n)| html! { <option value={k.to_string()} selected={k == sel}>{ n }</option> }) } };
        html! {
            <div class="viewplane">
                <label class="inline">{ "View" }
                    <select data-testid="view-kind" onchange={on_kind}>
                        <option value="pca" selected={pca} title="The plane through the mean spanned by the two directions of largest variance">{ "principal components" }</option>
                        <option value="slice" selected={!pca} title="Two features vary, the others are held at their median">{ "slice" }</option>
                    </select>
                </label>
                if !pca {
                    <label class="inline">{ "x" }<select data-testid="view-x" onchange={on_x}>{ options(i) }</select></label>
                    <label class="inline">{ "y" }<select data-testid="view-y" onchange={on_y}>{ options(j) }</select></label>
                }
                <p class="hint" data-testid="view-description">{ format!("View: {description}") }</p>
                if !pca { <p class="hint" data-testid="view-units">{ self.axis_units(i, j) }</p> }
            </div>
        }
    }

    /// The view's extent in the file's own units (features are standardised for training).
    fn axis_units(&self, i: usize, j: usize) -> String {
        let Some(Ok(enc)) = self.csv.as_ref().map(|c| &c.encoded) else { return String::new() };
        let names = &self.generated.feature_names;
        let range = |k: usize, (lo, hi): (f32, f32)| match enc.dims.get(k) {
            Some(d @ crate::data::table::Dim { kind: crate::data::table::DimKind::Numeric { .. }, .. }) => {
                format!("{} from {} to {}", names.get(k).map(String::as_str).unwrap_or("?"), sig(d.to_original(lo)), sig(d.to_original(hi)))
            }
            _ => format!("{} (0 = no, 1 = yes)", names.get(k).map(String::as_str).unwrap_or("?")),
        };
        format!("In the file's units: x is {}; y is {}.", range(i, self.bounds.x), range(j, self.bounds.y))
    }
}

/// Four significant digits, without trailing zeros noise for large values.
fn sig(v: f64) -> String {
    let decimals = if v == 0.0 { 0 } else { (3 - v.abs().log10().floor() as i32).clamp(0, 8) as usize };
    format!("{v:.decimals$}")
}

/// `sample:iris.csv` -> `iris.csv (sample)`.
pub fn display_name(name: &str) -> String {
    match name.strip_prefix("sample:") {
        Some(f) => format!("{f} (sample)"),
        None => name.to_string(),
    }
}

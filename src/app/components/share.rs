//! Share and export: the link as it is, a link to this exact moment (the step count to train to
//! and the drags so far), embed code for an iframe; the view as PNG, the shown points'
//! predictions as CSV, the trained model as a JSON model file (which the page loads back) and a
//! rule learner's rules as text. Downloads are blobs made in this tab: nothing leaves it.

use super::{App, Msg};
use crate::classifiers::ModelState;
use crate::model_file::ModelFile;
use crate::state::AppState;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    Png,
    Csv,
    Model,
    Rules,
}

/// Which link the share box shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Current,
    Moment,
    Embed,
}

/// Saves `url` (a data or blob URL) as a file named `name`.
fn save_url(name: &str, url: &str) -> Result<(), String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a").map_err(|_| "no anchor")?.dyn_into().map_err(|_| "no anchor")?;
    a.set_href(url);
    a.set_download(name);
    a.click();
    Ok(())
}

/// Saves `bytes` as a file.
pub fn download(name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(|_| "the browser could not make the file")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "the browser could not make the file")?;
    let r = save_url(name, &url);
    // The click has started the download; the URL can go.
    let _ = web_sys::Url::revoke_object_url(&url);
    r
}

/// Reads a picked model file as text.
pub async fn read_model_file(file: web_sys::File) -> Msg {
    let name = file.name();
    if file.size() > 64.0 * 1024.0 * 1024.0 {
        return Msg::ModelLoaded(Err(format!("{name}: larger than 64 MB, not a model file of this page")));
    }
    match JsFuture::from(file.text()).await {
        Ok(t) => Msg::ModelLoaded(t.as_string().ok_or_else(|| format!("{name}: not text"))),
        Err(_) => Msg::ModelLoaded(Err(format!("{name}: the browser could not read the file"))),
    }
}

impl App {
    /// The page's address without the hash, plus `hash`.
    fn url_with(hash: &str) -> String {
        let loc = web_sys::window().map(|w| w.location());
        let base = loc.and_then(|l| Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))).unwrap_or_default();
        format!("{base}#{hash}")
    }

    /// The state of what is on screen: the step shown, the drags made up to it, training to it.
    fn moment_state(&self) -> AppState {
        let step = self.snapshot.as_ref().map(|s| s.step).unwrap_or(0);
        let drags = self.state.drags.iter().filter(|d| d.step <= step).cloned().collect();
        if step == 0 {
            // Nothing trained yet: the moment is the untrained model (a link cannot ask for 0 steps).
            return AppState { play: false, drags, ..self.state.clone() };
        }
        AppState { steps: step, play: true, drags, ..self.state.clone() }
    }

    pub(super) fn share_link(&mut self, kind: LinkKind) {
        let text = match kind {
            LinkKind::Current => Self::url_with(&self.state.to_hash()),
            LinkKind::Moment => Self::url_with(&self.moment_state().to_hash()),
            LinkKind::Embed => {
                let url = Self::url_with(&AppState { embed: true, ..self.moment_state() }.to_hash());
                format!("<iframe src=\"{}\" width=\"760\" height=\"620\" style=\"border:0\" title=\"Boundary Lab\"></iframe>", url.replace('"', "%22"))
            }
        };
        if let Some(w) = web_sys::window() {
            // Clipboard access can be refused (permissions, insecure origin); the box below shows
            // the text either way.
            let _ = w.navigator().clipboard().write_text(&text);
        }
        self.shared = Some((kind, text));
    }

    pub(super) fn export(&mut self, ctx: &Context<Self>, what: Export) {
        let name = self.state.model.name;
        let result = match what {
            Export::Png => self
                .canvas
                .cast::<HtmlCanvasElement>()
                .ok_or_else(|| "no view to export".to_string())
                .and_then(|c| c.to_data_url_with_type("image/png").map_err(|_| "the browser refused to export the view".to_string()))
                .and_then(|url| save_url(&format!("boundary-lab-{name}.png"), &url)),
            Export::Csv => match (self.session.as_ref(), self.snapshot.as_deref()) {
                (Some(session), Some(snap)) => {
                    let s = session.borrow();
                    let text = crate::export::predictions_csv(s.train_set(), s.test_set(), snap);
                    download(&format!("boundary-lab-{name}-predictions.csv"), "text/csv", text.as_bytes())
                }
                _ => Err("train or step the model first".into()),
            },
            Export::Rules => match self.snapshot.as_ref().and_then(|s| s.program.as_ref()) {
                Some(p) => download(&format!("boundary-lab-{name}-rules.txt"), "text/plain", p.text.as_bytes()),
                None => Err("this classifier learns no rules".into()),
            },
            Export::Model => match self.session.as_ref() {
                Some(session) => {
                    // The step is taken with the numbers: training may go on while they are read.
                    let (read, step) = (ModelState::read_deferred(session.borrow().model()), session.borrow().step);
                    ctx.link().send_future(async move { Msg::ModelRead(read.await.map(|s| (s, step)).map_err(|e| e.to_string())) });
                    Ok(())
                }
                None => Err("no model yet".into()),
            },
        };
        if let Err(e) = result {
            self.notes.push(format!("Export: {e}."));
        }
    }

    /// A model's numbers arrived: write the model file.
    pub(super) fn model_read(&mut self, state: Result<(ModelState, usize), String>) {
        let result = state.and_then(|(state, step)| {
            let session = self.session.as_ref().ok_or("the model is gone")?.borrow();
            let train = session.train_set();
            let encoding = self.csv.as_ref().filter(|_| self.state.csv.is_some()).and_then(|c| c.encoded.as_ref().ok()).map(|e| e.encoding.clone());
            let file = ModelFile::new(self.state.model, &self.state.params, self.state.data.seed, step, encoding, train.class_names.clone(), train.feature_names.clone(), state);
            download(&format!("boundary-lab-{}-model.json", self.state.model.name), "application/json", file.to_json().as_bytes())
        });
        if let Err(e) = result {
            self.notes.push(format!("Export: {e}."));
        }
    }

    /// A model file was picked: check it fits the data on the page, restore it and show it, with
    /// nothing to train.
    pub(super) fn load_model(&mut self, ctx: &Context<Self>, text: Result<String, String>) {
        let checked = text.and_then(|t| ModelFile::from_json(&t).map_err(|e| e.to_string())).and_then(|file| {
            let data = &self.generated;
            if file.features.len() != data.dim || file.classes.len() != data.n_classes {
                return Err(format!(
                    "the model file expects {} features and {} classes; the data on the page has {} and {}",
                    file.features.len(),
                    file.classes.len(),
                    data.dim,
                    data.n_classes
                ));
            }
            if !data.feature_names.is_empty() && !file.features.is_empty() && data.feature_names != file.features {
                return Err("the model file was trained on other features than the data on the page".into());
            }
            let backend = self.backend.clone().ok_or("the compute backend is not ready")?;
            let model = file.restore(&backend.device).map_err(|e| e.to_string())?;
            let (spec, params) = file.spec().map_err(|e| e.to_string())?;
            Ok((file, spec, params, model))
        });
        match checked {
            Ok((file, spec, params, model)) => {
                self.state.model = spec;
                self.state.params = params;
                self.state.steps = file.steps.max(1);
                self.state.play = false;
                self.state.drags.clear();
                if file.seed != self.state.data.seed {
                    self.notes.push(format!("The loaded model was trained with seed {}; its link retrains it with this page's seed {}.", file.seed, self.state.data.seed));
                }
                self.notes.push(format!("Loaded a trained {} ({} steps): it predicts as saved; Reset trains a fresh one.", spec.label, file.steps));
                self.rebuild_with(ctx, Some((model, file.steps)));
            }
            Err(e) => self.notes.push(format!("Load model: {e}; kept the current model.")),
        }
    }

    pub(super) fn share_panel(&self, ctx: &Context<Self>) -> Html {
        let has_rules = self.snapshot.as_ref().is_some_and(|s| s.program.is_some());
        let ready = self.snapshot.is_some();
        let export = |what: Export| ctx.link().callback(move |_| Msg::Export(what));
        let link = |kind: LinkKind| ctx.link().callback(move |_| Msg::Share(kind));
        let onload = super::on_file_picked(ctx, read_model_file);
        html! {
            <div class="share">
                <h3>{ "Share" }</h3>
                <div class="button-row">
                    <button class="secondary" data-testid="share-link" onclick={link(LinkKind::Current)} title="The link to this page as it is set up">{ "Copy link" }</button>
                    <button class="secondary" data-testid="share-moment" disabled={!ready} onclick={link(LinkKind::Moment)} title="A link that trains to the step shown now, with the markers you dragged: it reproduces this view">{ "Link to this moment" }</button>
                    <button class="secondary" data-testid="share-embed" disabled={!ready} onclick={link(LinkKind::Embed)} title="HTML for an iframe showing this view without the page around it">{ "Embed code" }</button>
                </div>
                if let Some((kind, text)) = &self.shared {
                    <input type="text" readonly=true class="share-url" data-testid="share-url" data-kind={format!("{kind:?}")} value={text.clone()}
                        onfocus={Callback::from(|e: FocusEvent| if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() { i.select(); })} />
                    <p class="hint">{ "Copied to the clipboard (where the browser allows it)." }</p>
                }
                <h3>{ "Export" }</h3>
                <div class="button-row">
                    <button class="secondary" data-testid="export-png" disabled={!ready} onclick={export(Export::Png)}>{ "View (PNG)" }</button>
                    <button class="secondary" data-testid="export-csv" disabled={!ready} onclick={export(Export::Csv)}>{ "Predictions (CSV)" }</button>
                    <button class="secondary" data-testid="export-model" disabled={!ready} onclick={export(Export::Model)}>{ "Model (JSON)" }</button>
                    if has_rules {
                        <button class="secondary" data-testid="export-rules" onclick={export(Export::Rules)}>{ "Rules (text)" }</button>
                    }
                </div>
                <label class="file-pick">{ "Load a model file… " }
                    <input type="file" accept=".json,application/json" data-testid="load-model" onchange={onload} />
                </label>
                <p class="hint">{ "A model file holds the classifier, its parameters and its trained numbers (plain JSON; the command line reads it too)." }</p>
            </div>
        }
    }
}

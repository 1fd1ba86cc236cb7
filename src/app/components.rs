//! The yew page. It owns the page state (mirrored in the link), builds sessions, starts the
//! driver and draws what the driver reports. Every classifier control is generated from its
//! `ParamSpec`s: nothing here names a classifier.

mod csv_ui;
mod figures;
mod race;
mod tilting_lab;
mod gen_disc_lab;
mod share;

use super::backend::{self, Backend, BackendKind};
use csv_ui::{CsvData, Origin};
use super::canvas::{self, Scene};
use super::driver::{self, Control, Event as DriverEvent, Mode};
use crate::classifiers::REGISTRY;
use crate::data::plane::Plane;
use crate::data::{self, Bounds, Dataset, DatasetKind, DrawnPoint, Split};
use crate::params::{ParamKind, ParamSpec};
use crate::state::{AppState, BackendPref, CsvChoice};
use crate::train::{Session, SessionSetup, Snapshot};
use crate::viz;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Canvas size in pixels.
const VIEW: u32 = 480;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Idle,
    Training,
    Done,
    Error,
}

impl Status {
    fn key(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Training => "training",
            Status::Done => "done",
            Status::Error => "error",
        }
    }
}

pub enum Msg {
    /// The pointer is over a rule of the learnt program (None: left it).
    Highlight(Option<usize>),
    /// A backend started for this preference (stale ones, from before a switch, are dropped).
    BackendReady(BackendPref, Rc<Backend>),
    Edit(Rc<dyn Fn(&mut AppState)>),
    Param(&'static ParamSpec, String),
    /// A slider moves: applied at once if the model takes it without retraining, else left for
    /// the release (`Param`).
    ParamLive(&'static ParamSpec, String),
    Play,
    Pause,
    Step,
    Reset,
    Driver(DriverEvent),
    Canvas { px: f32, py: f32, erase: bool },
    Brush(u32),
    CopyLink,
    DismissNotes,
    HashChanged,
    Repaint,
    /// A file's bytes arrived (picked, dropped, pasted, fetched or from the link).
    CsvBytes { name: String, bytes: Rc<Vec<u8>>, origin: Origin },
    /// The user changed how the table is read (label, column types, missing values, view).
    CsvChoose(Rc<dyn Fn(&mut CsvChoice)>),
    CsvError(String),
    /// Load one of the page's sample files.
    Sample(String),
    /// Read the model again without training.
    Refresh,
    /// The pointer on the view (canvas pixels): pressed, moved, released or gone.
    Pointer { px: f32, py: f32, kind: PointerKind },
    /// Make a link (as it is, to this moment, embed code) and show it.
    Share(share::LinkKind),
    Export(share::Export),
    /// The model's numbers were read back for a model file.
    ModelRead(Result<(crate::classifiers::ModelState, usize), String>),
    /// A model file's text was read (or why not).
    ModelLoaded(Result<String, String>),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PointerKind {
    Down,
    Move,
    Up,
    Leave,
}

pub struct App {
    state: AppState,
    notes: Vec<String>,
    backend: Option<Rc<Backend>>,
    generated: Dataset,
    split: Rc<Split>,
    bounds: Bounds,
    session: Option<Rc<RefCell<Session>>>,
    ctl: Rc<Control>,
    status: Status,
    snapshot: Option<Rc<Snapshot>>,
    steps_per_sec: Option<f64>,
    error: Option<String>,
    brush: u32,
    canvas: NodeRef,
    /// Milliseconds from navigation to the first painted boundary (cold start, for the benchmark).
    first_paint_ms: Option<f64>,
    /// The hash we wrote last, to tell our own changes from the user's.
    written_hash: String,
    _hash_listener: Option<gloo_listener::Listener>,
    /// The user's table in use, if the data comes from a file.
    csv: Option<Rc<CsvData>>,
    /// A table whose current roles do not encode (shown with the reason; not in use).
    csv_draft: Option<Rc<CsvData>>,
    csv_error: Option<String>,
    /// The link names a file the page does not have: ask for it.
    waiting_for_file: bool,
    paste: NodeRef,
    /// The plane of feature space on the view.
    plane: Plane,
    /// A rule learner's proof for the point the user clicked: the point's description and the text.
    proof: Option<(String, String)>,
    /// The rule under the pointer in the program, and the view positions of the points it decides.
    highlight: Option<canvas::Highlight>,
    /// The pointer over the view, in data coordinates.
    hover: Option<(f32, f32)>,
    /// A marker being dragged (overlay label, row) and where it is now (data coordinates).
    drag: Option<(String, usize, f32, f32)>,
    /// A drag just ended: the click that follows the release is not a click.
    dragged: bool,
    /// The model changed without training (a drag, a live parameter) while a read was running:
    /// read again when it ends.
    refresh_pending: bool,
    /// The last link made by Share, shown so it can be copied by hand.
    shared: Option<(share::LinkKind, String)>,
}

/// A minimal event-listener guard (removes the listener when dropped).
mod gloo_listener {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    pub struct Listener {
        target: web_sys::EventTarget,
        name: &'static str,
        closure: Closure<dyn FnMut(web_sys::Event)>,
    }

    impl Listener {
        pub fn new(target: &web_sys::EventTarget, name: &'static str, f: impl FnMut(web_sys::Event) + 'static) -> Self {
            let closure = Closure::wrap(Box::new(f) as Box<dyn FnMut(web_sys::Event)>);
            let _ = target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
            Self { target: target.clone(), name, closure }
        }
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            let _ = self.target.remove_event_listener_with_callback(self.name, self.closure.as_ref().unchecked_ref());
        }
    }
}

fn location_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

fn input_value(e: &InputEvent) -> String {
    event_value(e)
}

fn event_value(e: &Event) -> String {
    let Some(t) = e.target() else { return String::new() };
    if let Some(i) = t.dyn_ref::<HtmlInputElement>() {
        if i.type_() == "checkbox" {
            return if i.checked() { "1".into() } else { "0".into() };
        }
        return i.value();
    }
    if let Some(s) = t.dyn_ref::<HtmlSelectElement>() {
        return s.value();
    }
    String::new()
}

/// A file input's change handler: the picked file goes to `read` (an async reader that ends in a
/// message), and the input is cleared so that picking the same file again reads it again.
fn on_file_picked<F: std::future::Future<Output = Msg> + 'static>(ctx: &Context<App>, read: fn(web_sys::File) -> F) -> Callback<Event> {
    let link = ctx.link().clone();
    Callback::from(move |e: Event| {
        let input: Option<web_sys::HtmlInputElement> = e.target().and_then(|t| t.dyn_into().ok());
        if let Some(file) = input.as_ref().and_then(|i| i.files()).and_then(|f| f.get(0)) {
            link.send_future(read(file));
        }
        if let Some(i) = input {
            i.set_value("");
        }
    })
}

impl App {
    fn edit(ctx: &Context<Self>, f: impl Fn(&mut AppState, &str) + 'static) -> Callback<Event> {
        let f = Rc::new(f);
        ctx.link().callback(move |e: Event| {
            let v = event_value(&e);
            let f = f.clone();
            Msg::Edit(Rc::new(move |s: &mut AppState| f(s, &v)))
        })
    }

    fn write_hash(&mut self) {
        let hash = self.state.to_hash();
        if hash == self.written_hash {
            return;
        }
        self.written_hash = hash.clone();
        if let Some(w) = web_sys::window()
            && let Ok(h) = w.history()
        {
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("#{hash}")));
        }
    }

    /// Stops any loop, regenerates data and split, builds a fresh session and reads its
    /// untrained state (or starts training when `play` is set).
    fn rebuild(&mut self, ctx: &Context<Self>) {
        self.rebuild_with(ctx, None);
    }

    /// As [`App::rebuild`], around a trained model (a loaded model file, with its step count)
    /// instead of a fresh one.
    fn rebuild_with(&mut self, ctx: &Context<Self>, trained: Option<(Box<dyn crate::classifiers::Classifier>, usize)>) {
        self.ctl.generation.set(self.ctl.generation.get() + 1);
        self.ctl.active.set(false);
        self.ctl.running.set(false);
        self.generated = match self.csv.as_ref().map(|c| &c.encoded) {
            Some(Ok(e)) if self.state.csv.is_some() => e.data.clone(),
            _ => data::generate(&self.state.data),
        };
        self.split = Rc::new(data::split(&self.generated, self.state.split, self.state.data.seed, &self.state.removed, &self.state.added));
        self.plane = self.plane_now();
        self.bounds = self.plane.bounds(&self.generated, 0.1);
        self.snapshot = None;
        self.proof = None;
        self.highlight = None;
        self.steps_per_sec = None;
        self.error = None;
        self.session = None;
        self.status = Status::Idle;
        self.write_hash();
        let Some(backend) = self.backend.clone() else { return };
        if self.waiting_for_file {
            return;
        }
        let setup = SessionSetup {
            spec: self.state.model,
            params: &self.state.params,
            split: &self.split,
            seed: self.state.data.seed,
            max_steps: self.state.steps,
            grid: self.state.grid,
            bounds: self.bounds,
            plane: Some(&self.plane),
        };
        let loaded = trained.is_some();
        let session = match trained {
            Some((model, steps)) => Session::with_model(&setup, &backend.device, model).map(|mut s| {
                s.step = steps;
                s
            }),
            None => Session::new(&setup, &backend.device),
        };
        match session {
            Ok(mut s) => {
                s.set_infer_chunk(backend.kind.infer_chunk());
                s.set_adversarial(self.state.adversarial);
                if !loaded {
                    s.schedule_drags(self.state.drags.clone());
                }
                self.session = Some(Rc::new(RefCell::new(s)));
                self.start(ctx, if self.state.play { Mode::Play } else { Mode::Steps(0) });
            }
            Err(e) => {
                self.status = Status::Error;
                self.error = Some(e.to_string());
            }
        }
    }

    /// Loads the file a link names: embedded in it, one of the samples, or (otherwise) asks the
    /// user for it.
    fn load_link_csv(&mut self, ctx: &Context<Self>) {
        let Some(c) = self.state.csv.clone() else { return };
        if let Some(packed) = &c.data {
            match crate::data::table::unpack_from_link(packed) {
                Ok(bytes) => {
                    ctx.link().send_message(Msg::CsvBytes { name: c.name.clone(), bytes: Rc::new(bytes), origin: Origin::Link });
                    return;
                }
                Err(e) => self.notes.push(format!("csvdata: {e}; it was ignored.")),
            }
        }
        if let Some(file) = c.name.strip_prefix("sample:") {
            ctx.link().send_future(csv_ui::fetch_sample(file.to_string(), Origin::Link));
        } else {
            self.waiting_for_file = true;
        }
    }

    /// The link changed the CSV choice: new roles for the same file apply at once; another file
    /// is loaded (or asked for).
    fn sync_csv_from_link(&mut self, ctx: &Context<Self>) {
        let Some(choice) = self.state.csv.clone() else {
            self.waiting_for_file = false;
            return;
        };
        let same_file = self.csv.as_ref().is_some_and(|c| c.choice.hash == choice.hash || choice.hash.is_empty() && c.choice.name == choice.name);
        if same_file {
            self.csv_choose(ctx, &move |c: &mut CsvChoice| *c = CsvChoice { data: c.data.clone(), hash: c.hash.clone(), ..choice.clone() });
        } else {
            self.csv = None;
            self.load_link_csv(ctx);
        }
    }

    /// Stops training and starts the backend the state now asks for; the run restarts on it (same
    /// seed, so the same run up to the device's float rounding), playing if it was playing or done. The last boundary stays on screen
    /// until the new backend paints.
    fn switch_backend(&mut self, ctx: &Context<Self>) {
        // A run that was going or finished reruns on the new device; a paused one stays paused.
        if matches!(self.status, Status::Training | Status::Done) {
            self.state.play = true;
        }
        self.ctl.generation.set(self.ctl.generation.get() + 1);
        self.ctl.active.set(false);
        self.ctl.running.set(false);
        self.session = None;
        // The old backend's note (e.g. "training on the CPU") no longer holds.
        if let Some(note) = self.backend.take().and_then(|b| b.note.clone()) {
            self.notes.retain(|n| *n != note);
        }
        self.status = Status::Idle;
        self.write_hash();
        let pref = self.state.backend;
        ctx.link().send_future(async move { Msg::BackendReady(pref, Rc::new(backend::init(pref).await)) });
    }

    fn start(&mut self, ctx: &Context<Self>, mode: Mode) {
        let Some(session) = self.session.clone() else { return };
        if self.ctl.active.get() {
            // A loop exists (perhaps finishing a read after pause): let it run on.
            self.ctl.running.set(mode == Mode::Play || self.ctl.running.get());
            return;
        }
        if mode == Mode::Play {
            self.status = Status::Training;
        }
        let ctl = self.ctl.clone();
        let link = ctx.link().clone();
        wasm_bindgen_futures::spawn_local(async move {
            driver::run(session, ctl, mode, move |e| link.send_message(Msg::Driver(e))).await;
        });
    }

    fn is_done(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.borrow().is_done())
    }

    fn draw(&self) {
        if let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() {
            canvas::draw(
                &canvas,
                &Scene {
                    bounds: self.bounds,
                    train: &self.split.train,
                    test: &self.split.test,
                    snapshot: self.snapshot.as_deref(),
                    discretize: self.state.discretize,
                    show_test: self.state.show_test,
                    plane: &self.plane,
                    highlight: self.highlight.as_ref(),
                    hover: self.hover,
                    dragging: self.drag.as_ref().map(|(label, row, x, y)| (label.as_str(), *row, *x, *y)),
                },
            );
        }
    }

    /// Reads the model again without training (after a drag or a live parameter); if a loop is
    /// running, once it is done.
    fn refresh(&mut self, ctx: &Context<Self>) {
        if self.ctl.active.get() {
            self.refresh_pending = true;
        } else {
            self.start(ctx, Mode::Steps(0));
        }
    }

    /// A loop ended: read again if the model changed during its last read. The loop marks itself
    /// inactive only after reporting, so the read starts on the next frame.
    fn refresh_if_pending(&mut self, ctx: &Context<Self>) {
        if std::mem::take(&mut self.refresh_pending) {
            let link = ctx.link().clone();
            wasm_bindgen_futures::spawn_local(async move {
                driver::next_frame().await;
                link.send_message(Msg::Refresh);
            });
        }
    }

    /// Dragging markers the model offers (prototypes, components, shots) and hovering (per-point
    /// circles). Redraws the canvas directly: nothing else on the page changes.
    fn pointer(&mut self, ctx: &Context<Self>, px: f32, py: f32, kind: PointerKind) -> bool {
        let (x, y) = viz::pixel_to_data(self.bounds, VIEW as usize, px, py);
        match kind {
            PointerKind::Down => {
                self.dragged = false;
                if self.generated.dim == 2
                    && let Some(snap) = self.snapshot.as_deref()
                    && let Some((o, row)) = viz::hit_marker(&snap.overlays, self.bounds, VIEW as usize, px, py, 10.0)
                {
                    self.drag = Some((snap.overlays[o].label.clone(), row, x, y));
                }
            }
            PointerKind::Move => {
                self.hover = Some((x, y));
                let over = self.generated.dim == 2 && self.snapshot.as_deref().is_some_and(|s| viz::hit_marker(&s.overlays, self.bounds, VIEW as usize, px, py, 10.0).is_some());
                if let Some(c) = self.canvas.cast::<web_sys::HtmlElement>() {
                    let _ = c.style().set_property("cursor", if self.drag.is_some() { "grabbing" } else if over { "grab" } else { "crosshair" });
                }
                if let Some((label, row, ..)) = self.drag.clone() {
                    self.drag = Some((label.clone(), row, x, y));
                    self.dragged = true;
                    self.move_marker(ctx, &label, row, x, y);
                }
            }
            PointerKind::Up | PointerKind::Leave => {
                if kind == PointerKind::Leave {
                    self.hover = None;
                }
                if let Some((label, row, ..)) = self.drag.take()
                    && self.dragged
                {
                    self.move_marker(ctx, &label, row, x, y);
                }
            }
        }
        self.draw();
        false
    }

    fn move_marker(&mut self, ctx: &Context<Self>, label: &str, row: usize, x: f32, y: f32) {
        let Some(session) = self.session.clone() else { return };
        let moved = session.borrow_mut().drag(label, row, &[x, y]);
        match moved {
            Ok(()) => {
                // Recorded with its step so a link replays it; the last move of a row at a step is
                // the one that counts.
                let step = session.borrow().step;
                self.state.drags.retain(|d| !(d.step == step && d.overlay == label && d.row == row));
                self.state.drags.push(crate::state::DragEdit { step, overlay: label.to_string(), row, to: vec![x, y] });
                self.write_hash();
                self.refresh(ctx)
            }
            Err(e) => {
                self.drag = None;
                self.notes.retain(|n| !n.starts_with("Cannot move"));
                self.notes.push(format!("Cannot move this marker: {e}"));
            }
        }
    }

    /// Adds a point of the brush class, or erases the nearest point (generated or drawn).
    fn canvas_edit(&mut self, px: f32, py: f32, erase: bool) -> bool {
        if self.generated.dim != 2 {
            // With more than two features a click names a whole plane of points, not one.
            self.notes.retain(|n| !n.starts_with("Drawing points"));
            self.notes.push("Drawing points works on data with two features; this table has more.".into());
            return false;
        }
        let (x, y) = viz::pixel_to_data(self.bounds, VIEW as usize, px, py);
        if !erase {
            let class = self.brush.min(self.generated.n_classes as u32 - 1);
            self.state.added.push(DrawnPoint { x, y, class });
            return true;
        }
        let radius = 10.0 * (self.bounds.x.1 - self.bounds.x.0) / VIEW as f32;
        let drawn: Vec<[f32; 2]> = self.state.added.iter().map(|p| [p.x, p.y]).collect();
        let generated: Vec<[f32; 2]> = (0..self.generated.len())
            .map(|i| if self.state.removed.contains(&i) { [f32::INFINITY; 2] } else { [self.generated.row(i)[0], self.generated.row(i)[1]] })
            .collect();
        let d = |p: [f32; 2]| (p[0] - x).powi(2) + (p[1] - y).powi(2);
        match (viz::nearest_point(&drawn, x, y, radius), viz::nearest_point(&generated, x, y, radius)) {
            (Some(a), Some(g)) if d(drawn[a]) <= d(generated[g]) => {
                self.state.added.remove(a);
            }
            (Some(a), None) => {
                self.state.added.remove(a);
            }
            (_, Some(g)) => self.state.removed.push(g),
            (None, None) => return false,
        }
        true
    }
}

/// The points on the view: every training point, and the test points when shown, as (features,
/// class, "training" | "test").
fn shown_points(session: &Session, show_test: bool) -> impl Iterator<Item = (&[f32], u32, &'static str)> {
    let sets = [(session.train_set(), "training"), (session.test_set(), "test")];
    sets.into_iter()
        .filter(move |(_, kind)| show_test || *kind == "training")
        .flat_map(|(set, kind)| (0..set.len()).map(move |i| (set.row(i), set.y[i], kind)))
}

impl App {
    /// The view positions of the shown points that top-level rule `rule` decides.
    fn decided_by(&self, rule: usize) -> Option<canvas::Highlight> {
        let session = self.session.as_ref()?.borrow();
        let model = session.model();
        let points = shown_points(&session, self.state.show_test)
            .filter(|(row, ..)| model.deciding_rule(row) == Some(rule))
            .map(|(row, ..)| self.plane.project(row))
            .collect();
        Some(canvas::Highlight { rule, points })
    }

    /// The proof for the shown point nearest to a canvas position (within 10 pixels), if the
    /// model gives proofs.
    fn explain_at(&self, px: f32, py: f32) -> Option<(String, String)> {
        let session = self.session.as_ref()?.borrow();
        let (x, y) = viz::pixel_to_data(self.bounds, VIEW as usize, px, py);
        let radius = 10.0 * (self.bounds.x.1 - self.bounds.x.0) / VIEW as f32;
        let mut best: Option<(f32, &[f32], &str, u32)> = None;
        for (row, label, kind) in shown_points(&session, self.state.show_test) {
            let (a, b) = self.plane.project(row);
            let d = (a - x).powi(2) + (b - y).powi(2);
            if d <= radius * radius && best.is_none_or(|(bd, ..)| d < bd) {
                best = Some((d, row, kind, label));
            }
        }
        let (_, row, kind, label) = best?;
        let text = session.model().explain(row)?;
        let class = self.generated.class_names.get(label as usize).cloned().unwrap_or_default();
        Some((format!("A {kind} point of class '{class}':"), text))
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let (state, notes) = AppState::from_hash(&location_hash());
        let pref = state.backend;
        ctx.link().send_future(async move { Msg::BackendReady(pref, Rc::new(backend::init(pref).await)) });
        let link = ctx.link().clone();
        let listener = web_sys::window().map(|w| {
            gloo_listener::Listener::new(w.as_ref(), "hashchange", move |_| link.send_message(Msg::HashChanged))
        });
        let generated = data::generate(&state.data);
        let split = Rc::new(data::split(&generated, state.split, state.data.seed, &state.removed, &state.added));
        let bounds = generated.view_bounds(0.1);
        let plane = Plane::first_two(&generated);
        let mut app = Self {
            state,
            notes,
            backend: None,
            generated,
            split,
            bounds,
            session: None,
            ctl: Rc::new(Control::default()),
            status: Status::Idle,
            snapshot: None,
            steps_per_sec: None,
            error: None,
            brush: 0,
            canvas: NodeRef::default(),
            written_hash: String::new(),
            first_paint_ms: None,
            _hash_listener: listener,
            csv: None,
            csv_draft: None,
            csv_error: None,
            waiting_for_file: false,
            paste: NodeRef::default(),
            plane,
            proof: None,
            highlight: None,
            hover: None,
            drag: None,
            dragged: false,
            refresh_pending: false,
            shared: None,
        };
        app.load_link_csv(ctx);
        app.write_hash();
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::BackendReady(pref, b) => {
                if pref != self.state.backend {
                    return false;
                }
                if let Some(n) = &b.note {
                    self.notes.push(n.clone());
                }
                self.backend = Some(b);
                self.rebuild(ctx);
            }
            Msg::Edit(f) => {
                let before = self.state.clone();
                f(&mut self.state);
                if self.state.backend != before.backend {
                    self.switch_backend(ctx);
                    return true;
                }
                let view_only = AppState { discretize: before.discretize, show_test: before.show_test, ..self.state.clone() } == before;
                let grid_only = AppState { grid: before.grid, ..self.state.clone() } == before;
                let adversarial_only = AppState { adversarial: before.adversarial, ..self.state.clone() } == before;
                if view_only {
                    self.write_hash();
                } else if adversarial_only && let Some(session) = self.session.clone() {
                    // The adversarial search runs on the trained model at each read: no retraining.
                    session.borrow_mut().set_adversarial(self.state.adversarial);
                    self.write_hash();
                    self.refresh(ctx);
                } else if grid_only && let Some(session) = self.session.clone() {
                    // A finer or coarser boundary needs no retraining: swap the grid, read again.
                    session.borrow_mut().set_view(self.state.grid, self.bounds);
                    self.write_hash();
                    if !self.ctl.active.get() {
                        self.start(ctx, Mode::Steps(0));
                    }
                } else if self.state != before {
                    // Drags belong to the run they were made in.
                    self.state.drags.clear();
                    self.rebuild(ctx);
                }
            }
            Msg::Param(spec, text) => match spec.parse(&text) {
                Ok(v) => {
                    if self.state.params.set(spec, v).is_ok() {
                        // Parameters a model can apply without retraining (a calibration weight,
                        // which branch predicts) change the view at once.
                        let tuned = self.status != Status::Error && self.session.as_ref().is_some_and(|s| s.borrow_mut().tune(&self.state.params));
                        if tuned {
                            self.write_hash();
                            self.refresh(ctx);
                        } else {
                            self.state.drags.clear();
                            self.rebuild(ctx);
                        }
                    }
                }
                Err(e) => self.notes.push(format!("{e}; kept the previous value")),
            },
            Msg::Play => {
                if self.status == Status::Error {
                    return false;
                }
                self.state.play = true;
                if self.is_done() {
                    self.rebuild(ctx);
                } else {
                    self.write_hash();
                    self.start(ctx, Mode::Play);
                    self.status = Status::Training;
                }
            }
            Msg::Pause => {
                self.state.play = false;
                self.ctl.running.set(false);
                self.write_hash();
                if self.status == Status::Training {
                    self.status = Status::Idle;
                }
            }
            Msg::Step => {
                if !self.ctl.active.get() && !self.is_done() && self.status != Status::Error {
                    self.start(ctx, Mode::Steps(1));
                }
            }
            Msg::Reset => {
                self.state.play = false;
                self.state.drags.clear();
                self.rebuild(ctx);
            }
            Msg::Driver(e) => match e {
                DriverEvent::Snapshot { snap, steps_per_sec } => {
                    if let Some(session) = &self.session {
                        let errors = std::mem::take(&mut session.borrow_mut().drag_errors);
                        self.notes.extend(errors.into_iter().map(|e| format!("{e}; it was skipped")));
                    }
                    if steps_per_sec.is_some() {
                        self.steps_per_sec = steps_per_sec;
                    }
                    // A proof speaks of the program it was made from.
                    if self.snapshot.as_ref().is_some_and(|old| old.step != snap.step) {
                        self.proof = None;
                    }
                    self.snapshot = Some(snap);
                }
                DriverEvent::Finished => {
                    self.refresh_if_pending(ctx);
                    self.status = Status::Done;
                    self.state.play = false;
                    self.write_hash();
                }
                DriverEvent::Paused => {
                    self.refresh_if_pending(ctx);
                    if self.status == Status::Training {
                        self.status = Status::Idle;
                    }
                }
                DriverEvent::Failed(e) => {
                    self.status = Status::Error;
                    self.state.play = false;
                    self.error = Some(e.to_string());
                    self.write_hash();
                }
            },
            Msg::Highlight(rule) => {
                self.highlight = rule.and_then(|r| self.decided_by(r));
            }
            Msg::ParamLive(spec, text) => {
                let Ok(v) = spec.parse(&text) else { return false };
                let before = self.state.params.clone();
                if self.state.params.set(spec, v).is_err() {
                    return false;
                }
                let tuned = self.status != Status::Error && self.session.as_ref().is_some_and(|s| s.borrow_mut().tune(&self.state.params));
                if tuned {
                    self.write_hash();
                    self.refresh(ctx);
                } else {
                    self.state.params = before;
                    return false;
                }
            }
            Msg::Pointer { px, py, kind } => return self.pointer(ctx, px, py, kind),
            Msg::Canvas { .. } if std::mem::take(&mut self.dragged) => return false,
            Msg::Canvas { px, py, erase } => {
                // With a model that can explain itself, a click on a point asks why.
                if !erase && let Some(proof) = self.explain_at(px, py) {
                    self.proof = Some(proof);
                } else if self.state.shows("draw") && !self.state.embed && self.canvas_edit(px, py, erase) {
                    self.state.drags.clear();
                    self.rebuild(ctx);
                }
            }
            Msg::Brush(c) => self.brush = c,
            Msg::CopyLink => {
                self.share_link(share::LinkKind::Current);
                self.notes.retain(|n| !n.starts_with("Link copied"));
                self.notes.push("Link copied to the clipboard (where the browser allows it; it is also under Share).".into());
            }
            Msg::Share(kind) => self.share_link(kind),
            Msg::Export(what) => self.export(ctx, what),
            Msg::ModelRead(state) => self.model_read(state),
            Msg::ModelLoaded(text) => self.load_model(ctx, text),
            Msg::DismissNotes => self.notes.clear(),
            Msg::CsvBytes { name, bytes, origin } => self.csv_bytes(ctx, name, bytes, origin),
            Msg::CsvChoose(f) => self.csv_choose(ctx, f.as_ref()),
            Msg::CsvError(e) => self.csv_error = Some(e),
            Msg::Sample(file) => ctx.link().send_future(csv_ui::fetch_sample(file, Origin::User)),
            Msg::Repaint => {}
            Msg::Refresh => {
                if self.status != Status::Error {
                    self.refresh(ctx);
                }
                return false;
            }
            Msg::HashChanged => {
                let hash = location_hash();
                if hash.trim_start_matches('#') != self.written_hash {
                    let (state, notes) = AppState::from_hash(&hash);
                    self.notes = notes;
                    let backend_changed = state.backend != self.state.backend;
                    let csv_changed = state.csv != self.state.csv;
                    self.state = state;
                    if csv_changed {
                        self.sync_csv_from_link(ctx);
                    }
                    if backend_changed {
                        self.switch_backend(ctx);
                    } else {
                        self.rebuild(ctx);
                    }
                }
            }
        }
        true
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first: bool) {
        self.draw();
        if self.first_paint_ms.is_none() && self.snapshot.is_some() {
            // The boundary was just painted; show the time on the status element.
            self.first_paint_ms = Some(driver::now());
            ctx.link().send_message(Msg::Repaint);
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let s = &self.state;
        let embed = s.embed;
        let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
        let link = ctx.link().clone();
        let ondrop = Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                link.send_future(csv_ui::read_file(file));
            }
        });
        html! {
            <div class={if embed { "page embed" } else { "page" }} {ondragover} {ondrop}>
                if !embed { { self.header(ctx) } }
                { self.banners(ctx) }
                <main class={if embed || !s.shows("data") || !s.shows("classifier") || !s.shows("output") { "layout partial" } else { "layout" }}>
                    if !embed && s.shows("data") { { self.data_panel(ctx) } }
                    if !embed && s.shows("classifier") { { self.model_panel(ctx) } }
                    { self.view_panel(ctx) }
                    if s.shows("output") { { self.output_panel(ctx) } }
                </main>
                if embed {
                    <p class="embed-credit"><a href={format!("#{}", AppState { embed: false, hide: Vec::new(), ..s.clone() }.to_hash())} target="_blank" rel="noopener">{ "Open in Boundary Lab" }</a></p>
                }
                if !embed && s.shows("labs") {
                <section class="panel lab">
                    <details data-testid="race-toggle">
                        <summary>{ "Model race — train several classifiers side by side on this data" }</summary>
                        <race::Race split={self.split.clone()} backend={self.backend.clone()} bounds={self.bounds} plane={self.plane.clone()} seed={self.state.data.seed} />
                    </details>
                </section>
                <section class="panel lab">
                    <details data-testid="lab-toggle">
                        <summary>{ "Boundary tilting lab — why adversarial examples exist for classifiers that are accurate" }</summary>
                        <tilting_lab::TiltingLab split={self.split.clone()} />
                    </details>
                </section>
                <section class="panel lab">
                    <details data-testid="gd-toggle">
                        <summary>{ "Generative vs discriminative — how many samples each kind of classifier needs" }</summary>
                        <gen_disc_lab::GenDiscLab split={self.split.clone()} />
                    </details>
                </section>
                }
                if !embed {
                <footer>
                    { "Everything runs in this browser tab: your data never leaves your machine. " }
                    { "Boundary Lab is written in Rust (burn + yew) and compiled to WebAssembly." }
                </footer>
                }
            </div>
        }
    }
}

/// Learning-rate-like presets for log-scale parameters.
const LOG_PRESETS: [f64; 16] = [1e-9, 1e-7, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0];

impl App {
    fn header(&self, ctx: &Context<Self>) -> Html {
        let (badge_class, badge) = match &self.backend {
            None => ("backend pending", "Starting compute backend…".to_string()),
            Some(b) if b.kind == BackendKind::WebGpu => ("backend gpu", b.adapter.clone()),
            Some(b) => ("backend cpu", b.adapter.clone()),
        };
        html! {
            <header>
                <div class="brand">
                    <h1>{ "Boundary Lab" }</h1>
                    <span class="tagline">{ "Train classifiers in your browser and look inside them." }</span>
                </div>
                <div class="header-right">
                    <label class="backend-choice" title="Auto picks WebGPU on a hardware GPU and the CPU otherwise">{ "Backend" }
                        <select data-testid="backend-select" onchange={Self::edit(ctx, |s, v| if let Some(b) = BackendPref::from_key(v) { s.backend = b; })}>
                            { for BackendPref::ALL.iter().map(|b| html! { <option value={b.key()} selected={*b == self.state.backend}>{ b.label() }</option> }) }
                        </select>
                    </label>
                    <span class={badge_class} data-testid="backend" title="The compute backend in use">{ badge }</span>
                    <button class="secondary" onclick={ctx.link().callback(|_| Msg::CopyLink)}>{ "Copy link" }</button>
                </div>
            </header>
        }
    }

    fn banners(&self, ctx: &Context<Self>) -> Html {
        html! {
            <>
                if let Some(e) = &self.error {
                    <div class="banner error" role="alert" data-testid="error">{ e }</div>
                }
                if !self.notes.is_empty() {
                    <div class="banner note" data-testid="notes">
                        <ul>{ for self.notes.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                        <button class="link" onclick={ctx.link().callback(|_| Msg::DismissNotes)}>{ "dismiss" }</button>
                    </div>
                }
            </>
        }
    }

    fn data_panel(&self, ctx: &Context<Self>) -> Html {
        let s = &self.state;
        let (lo, hi) = s.data.kind.class_range();
        let csv_name = s.csv.as_ref().map(|c| c.name.clone());
        let user_choice = self.csv.as_ref().map(|c| c.choice.clone());
        let on_dataset = ctx.link().callback(move |e: Event| {
            let v = event_value(&e);
            if let Some(file) = v.strip_prefix("sample:") {
                return Msg::Sample(file.to_string());
            }
            let user_choice = user_choice.clone();
            Msg::Edit(Rc::new(move |s: &mut AppState| {
                if v == "file" {
                    s.csv = user_choice.clone();
                } else if let Some(k) = DatasetKind::from_key(&v) {
                    s.data.kind = k;
                    s.csv = None;
                    s.removed.clear();
                    s.added.clear();
                }
            }))
        });
        html! {
            <section class="panel">
                <h2>{ "Data" }</h2>
                if s.shows("dataset") {
                <label>{ "Dataset" }
                    <select data-testid="dataset" onchange={on_dataset}>
                        <optgroup label="Toy data">
                            { for DatasetKind::ALL.iter().map(|k| html! { <option value={k.key()} selected={csv_name.is_none() && *k == s.data.kind}>{ k.label() }</option> }) }
                        </optgroup>
                        <optgroup label="Samples (real tables)">
                            { for csv_ui::SAMPLES.iter().map(|(f, label)| {
                                let v = format!("sample:{f}");
                                let selected = csv_name.as_deref() == Some(v.as_str());
                                html! { <option value={v} {selected}>{ *label }</option> }
                            }) }
                        </optgroup>
                        if let Some(user) = self.csv.as_ref().filter(|c| !c.choice.is_sample()) {
                            <option value="file" selected={csv_name.as_ref().is_some_and(|n| !n.starts_with("sample:"))}>{ format!("Your file: {}", user.choice.name) }</option>
                        }
                    </select>
                </label>
                }
                if s.shows("csv") { { self.csv_controls(ctx) } }
                if csv_name.is_none() {
                if hi > lo && s.shows("classes") {
                    <label>{ if s.data.kind == DatasetKind::Spirals { "Arms" } else { "Classes" } }
                        <select onchange={Self::edit(ctx, |s, v| if let Ok(c) = v.parse() { s.data.classes = c; s.added.clear(); })}>
                            { for (lo..=hi).map(|c| html! { <option value={c.to_string()} selected={c == s.data.n_classes()}>{ c }</option> }) }
                        </select>
                    </label>
                }
                if s.shows("n") {
                <label>{ format!("Points: {}", s.data.n) }
                    <input type="range" min="20" max="3000" step="10" value={s.data.n.to_string()}
                        onchange={Self::edit(ctx, |s, v| if let Ok(n) = v.parse() { s.data.n = n; s.removed.clear(); })} />
                </label>
                }
                if s.shows("noise") {
                <label>{ format!("Noise: {:.2}", s.data.noise) }
                    <input type="range" min="0" max="1" step="0.01" value={s.data.noise.to_string()}
                        onchange={Self::edit(ctx, |s, v| if let Ok(n) = v.parse() { s.data.noise = n; })} />
                </label>
                }
                }
                if s.shows("split") {
                <label>{ format!("Training share: {:.0}%", s.split * 100.0) }
                    <input type="range" min="0.1" max="1" step="0.05" value={s.split.to_string()}
                        onchange={Self::edit(ctx, |s, v| if let Ok(n) = v.parse() { s.split = n; })} />
                </label>
                }
                if s.shows("seed") {
                <label>{ "Seed" }
                    <span class="row">
                        <input type="number" min="0" value={s.data.seed.to_string()}
                            onchange={Self::edit(ctx, |s, v| if let Ok(n) = v.parse::<u64>() { s.data.seed = n.min(u32::MAX as u64); })} />
                        <button class="secondary" title="A new random seed"
                            onclick={ctx.link().callback(|_| Msg::Edit(Rc::new(|s: &mut AppState| s.data.seed = (js_sys::Math::random() * 1e6) as u64)))}>{ "New" }</button>
                    </span>
                </label>
                }
                <p class="hint" data-testid="point-count">{ format!("{} training and {} test points.", self.split.train.len(), self.split.test.len()) }</p>
            </section>
        }
    }

    fn model_panel(&self, ctx: &Context<Self>) -> Html {
        let s = &self.state;
        html! {
            <section class="panel">
                <h2>{ "Classifier" }</h2>
                if s.shows("model") {
                <label>{ "Model" }
                    <select data-testid="model" onchange={Self::edit(ctx, |s, v| if let Some(m) = crate::classifiers::find(v) { s.set_model(m); })}>
                        { for REGISTRY.iter().map(|m| html! { <option value={m.name} data-family={m.family.label()} selected={m.name == s.model.name}>{ m.label }</option> }) }
                    </select>
                </label>
                }
                <p class="summary">{ s.model.summary }<span class="family">{ format!(" ({})", s.model.family.label()) }</span></p>
                { for s.model.params.iter().filter(|p| s.shows(p.key)).map(|p| self.param_control(ctx, p)) }
                if s.shows("steps") {
                <label>{ "Stop after steps" }
                    <input type="number" min="1" data-testid="steps" value={s.steps.to_string()}
                        onchange={Self::edit(ctx, |s, v| if let Ok(n) = v.parse::<usize>() { s.steps = n.clamp(1, 1_000_000); })} />
                </label>
                }
            </section>
        }
    }

    fn param_control(&self, ctx: &Context<Self>, spec: &'static ParamSpec) -> Html {
        let current = self.state.params.get(spec.key).map(ParamSpec::format).unwrap_or_default();
        let onchange = ctx.link().callback(move |e: Event| Msg::Param(spec, event_value(&e)));
        let control = match spec.kind {
            ParamKind::Choice { options, .. } => html! {
                <select data-param={spec.key} {onchange}>
                    { for options.iter().map(|o| html! { <option value={*o} selected={current == *o}>{ *o }</option> }) }
                </select>
            },
            ParamKind::Bool { .. } => html! {
                <input type="checkbox" data-param={spec.key} checked={current == "1"} {onchange} />
            },
            ParamKind::Float { min, max, log: true, .. } => {
                let mut values: Vec<f64> = LOG_PRESETS.iter().copied().filter(|v| *v >= min && *v <= max).collect();
                let cur = self.state.params.f64(spec.key);
                if !values.contains(&cur) {
                    values.push(cur);
                    values.sort_by(|a, b| a.total_cmp(b));
                }
                html! {
                    <select data-param={spec.key} {onchange}>
                        { for values.iter().map(|v| { let t = crate::params::format_float(*v); html! { <option value={t.clone()} selected={t == current}>{ t.clone() }</option> } }) }
                    </select>
                }
            }
            ParamKind::Float { min, max, log: false, .. } => {
                // A slider beside the exact value: parameters the model applies without retraining
                // follow the slider live; the others apply on release.
                let step = 10f64.powf(((max - min) / 100.0).log10().floor());
                let oninput = ctx.link().callback(move |e: InputEvent| Msg::ParamLive(spec, input_value(&e)));
                let onrelease = ctx.link().callback(move |e: Event| Msg::Param(spec, event_value(&e)));
                html! {
                    <span class="slider-pair">
                        <input type="range" data-slider={spec.key} min={min.to_string()} max={max.to_string()} step={step.to_string()}
                            value={current.clone()} {oninput} onchange={onrelease} />
                        <input type="text" data-param={spec.key} value={current.clone()} {onchange} />
                    </span>
                }
            }
            ParamKind::IntLog { min, max, .. } => {
                // A log-scale slider (positions are log10 of the value) beside the exact value.
                let pos = (self.state.params.f64(spec.key).max(1.0)).log10();
                let onrelease = ctx.link().callback(move |e: Event| {
                    let v = event_value(&e).parse::<f64>().map(|p| 10f64.powf(p).round() as i64).unwrap_or(min);
                    Msg::Param(spec, v.clamp(min, max).to_string())
                });
                html! {
                    <span class="slider-pair">
                        <input type="range" data-slider={spec.key} min={(min.max(1) as f64).log10().to_string()} max={(max as f64).log10().to_string()} step="0.01"
                            value={format!("{pos:.3}")} onchange={onrelease} />
                        <input type="text" data-param={spec.key} class="log-value" value={current.clone()} {onchange} />
                    </span>
                }
            }
            ParamKind::Text { .. } => html! { <input type="text" class="wide" data-param={spec.key} value={current.clone()} spellcheck="false" {onchange} /> },
            _ => html! { <input type="text" data-param={spec.key} value={current.clone()} {onchange} /> },
        };
        html! {
            <label title={spec.doc}>{ spec.label }{ control }<span class="doc">{ spec.doc }</span></label>
        }
    }

    fn view_panel(&self, ctx: &Context<Self>) -> Html {
        let training = self.status == Status::Training;
        let onclick = ctx.link().callback(|e: MouseEvent| {
            e.prevent_default();
            let (w, cw) = (VIEW as f32, canvas_client_width(&e));
            let k = w / cw.max(1.0);
            Msg::Canvas { px: e.offset_x() as f32 * k, py: e.offset_y() as f32 * k, erase: e.shift_key() || e.alt_key() }
        });
        let oncontextmenu = ctx.link().callback(|e: MouseEvent| {
            e.prevent_default();
            let k = VIEW as f32 / canvas_client_width(&e).max(1.0);
            Msg::Canvas { px: e.offset_x() as f32 * k, py: e.offset_y() as f32 * k, erase: true }
        });
        let pointer = |kind: PointerKind| {
            ctx.link().callback(move |e: MouseEvent| {
                let k = VIEW as f32 / canvas_client_width(&e).max(1.0);
                Msg::Pointer { px: e.offset_x() as f32 * k, py: e.offset_y() as f32 * k, kind }
            })
        };
        let (onmousedown, onmousemove, onmouseup, onmouseleave) = (pointer(PointerKind::Down), pointer(PointerKind::Move), pointer(PointerKind::Up), pointer(PointerKind::Leave));
        let n_classes = self.generated.n_classes as u32;
        html! {
            <section class="panel view">
                <div class="toolbar">
                    if self.state.shows("train") {
                    if training {
                        <button data-testid="pause" class="primary" onclick={ctx.link().callback(|_| Msg::Pause)}>{ "❚❚ Pause" }</button>
                    } else {
                        <button data-testid="play" class="primary" disabled={self.session.is_none()} onclick={ctx.link().callback(|_| Msg::Play)}>{ "▶ Train" }</button>
                    }
                    <button data-testid="step" disabled={training || self.session.is_none()} onclick={ctx.link().callback(|_| Msg::Step)}>{ "Step" }</button>
                    <button data-testid="reset" onclick={ctx.link().callback(|_| Msg::Reset)}>{ "Reset" }</button>
                    }
                    <span class="phase">{ self.phase() }</span>
                </div>
                <canvas data-testid="boundary" ref={self.canvas.clone()} width={VIEW.to_string()} height={VIEW.to_string()} {onclick} {oncontextmenu} {onmousedown} {onmousemove} {onmouseup} {onmouseleave}
                    data-view={format!("{},{},{},{}", self.bounds.x.0, self.bounds.x.1, self.bounds.y.0, self.bounds.y.1)}></canvas>
                if self.generated.dim == 2 && self.state.shows("draw") && !self.state.embed {
                <div class="brush">
                    <span>{ "Draw:" }</span>
                    { for (0..n_classes).map(|c| {
                        let style = format!("background:{}", viz::class_css(c as usize));
                        let class = if c == self.brush { "swatch active" } else { "swatch" };
                        html! { <button {class} {style} title={format!("Click the view to add class {c}")} onclick={ctx.link().callback(move |_| Msg::Brush(c))}></button> }
                    }) }
                    <span class="hint">{ "click adds a point · shift-click or right-click erases" }</span>
                </div>
                } else if self.generated.dim != 2 {
                    <div class="brush" data-testid="class-legend">
                        <span>{ "Classes:" }</span>
                        { for self.generated.class_names.iter().enumerate().map(|(c, name)| html! {
                            <span class="legend-class"><i class="dot filled" style={format!("background:{}", viz::class_css(c))}></i>{ name }</span>
                        }) }
                    </div>
                }
                { self.view_controls(ctx) }
                <div class="viewopts">
                    if self.state.shows("discretize") {
                    <label class="inline"><input type="checkbox" checked={self.state.discretize}
                        onchange={Self::edit(ctx, |s, v| s.discretize = v == "1")} />{ "Discretize" }</label>
                    }
                    if self.state.shows("showtest") {
                    <label class="inline"><input type="checkbox" checked={self.state.show_test}
                        onchange={Self::edit(ctx, |s, v| s.show_test = v == "1")} />{ "Show test points" }</label>
                    }
                    if self.state.shows("adv") {
                    <label class="inline" title="Arrows from each shown point to the nearest point of another class (gradient search, for classifiers with input gradients), and the histogram of their lengths.">
                        <input type="checkbox" data-testid="adversarial" checked={self.state.adversarial}
                        onchange={Self::edit(ctx, |s, v| s.adversarial = v == "1")} />{ "Adversarial examples" }</label>
                    }
                    if self.state.shows("grid") {
                    <label class="inline">{ "Grid" }
                        <select data-testid="grid" onchange={Self::edit(ctx, |s, v| if let Ok(g) = v.parse() { s.grid = g; })}>
                            { for [64usize, 128, 192, 256].iter().chain((![64, 128, 192, 256].contains(&self.state.grid)).then_some(&self.state.grid)).map(|g| html! {
                                <option value={g.to_string()} selected={*g == self.state.grid}>{ format!("{g}×{g}") }</option>
                            }) }
                        </select>
                    </label>
                    }
                </div>
            </section>
        }
    }

    fn phase(&self) -> String {
        match (&self.backend, &self.session, &self.snapshot) {
            (None, _, _) => "starting the compute backend…".into(),
            (Some(b), Some(_), None) if b.kind == BackendKind::WebGpu => "compiling GPU kernels (the first step takes a few seconds)…".into(),
            (Some(_), Some(_), None) => "preparing…".into(),
            _ => match self.status {
                Status::Training => "training…".into(),
                Status::Done => "done".into(),
                Status::Error => "stopped".into(),
                Status::Idle => "paused".into(),
            },
        }
    }

    fn output_panel(&self, ctx: &Context<Self>) -> Html {
        let snap = self.snapshot.as_deref();
        let step = snap.map(|s| s.step).unwrap_or(0);
        let train = snap.map(|s| s.train_acc);
        let test = snap.and_then(|s| s.test_acc);
        let pct = |v: Option<f64>| v.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_else(|| "–".into());
        let frac = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
        let backend = self.backend.as_ref().map(|b| b.kind.key()).unwrap_or("");
        // The loss history lives in the session; the driver never holds a borrow across a render.
        let session = self.session.as_ref().map(|s| s.borrow());
        let history: &[(usize, f32)] = session.as_ref().map(|s| s.history.as_slice()).unwrap_or(&[]);
        let loss = history.last().map(|(_, l)| format!("{l:.4}")).unwrap_or_else(|| "–".into());
        let path = viz::loss_path(history, 260.0, 90.0);
        html! {
            <section class="panel output">
                <h2>{ "Output" }</h2>
                <div data-testid="status" class="status"
                    data-state={self.status.key()} data-backend={backend} data-step={step.to_string()}
                    data-train-acc={frac(train)} data-test-acc={frac(test)}
                    data-first-paint-ms={self.first_paint_ms.map(|t| format!("{t:.0}")).unwrap_or_default()}>
                    <div class="metric"><span>{ "Step" }</span><strong>{ format!("{step} / {}", self.state.steps) }</strong></div>
                    <div class="metric"><span>{ "Train accuracy" }</span><strong>{ pct(train) }</strong></div>
                    <div class="metric"><span>{ "Test accuracy" }</span><strong>{ pct(test) }</strong></div>
                    <div class="metric"><span>{ "Loss" }</span><strong>{ loss }</strong></div>
                    <div class="metric"><span>{ "Speed" }</span><strong>{ self.steps_per_sec.map(|r| format!("{r:.0} steps/s")).unwrap_or_else(|| "–".into()) }</strong></div>
                </div>
                <svg class="loss" viewBox="0 0 260 90" preserveAspectRatio="none" data-testid="loss-curve">
                    <path d={path} />
                </svg>
                <p class="hint">{ match (history.first(), history.last()) {
                    (Some(a), Some(b)) => format!("Training loss ({} scale): {:.3} at step {} → {:.3} at step {}.", if viz::loss_is_log(history) { "log" } else { "linear" }, a.1, a.0, b.1, b.0),
                    _ => "Training loss per step (log scale) appears here once training starts.".to_string(),
                } }</p>
                <div class="legend">
                    <span><i class="dot filled"></i>{ "training point" }</span>
                    <span><i class="dot hollow"></i>{ "test point" }</span>
                    <span><i class="cross">{ "×" }</i>{ "misclassified" }</span>
                </div>
                { for snap.and_then(|s| s.program.as_ref()).map(|p| html! {
                    <div class="program">
                        <h3>{ "Learnt program" }</h3>
                        <p class="hint" data-testid="program-size">{ format!(
                            "{} rules, {} literals. Read top to bottom: the first rule whose body holds gives the class;                              'not abN(X)' is an exception. The rule search runs on the CPU (it is combinatorial, not tensor work).",
                            p.rules, p.literals
                        ) }</p>
                        <div class="rules" data-testid="program">
                            if p.lines.is_empty() {
                                <div class="clause">{ "(no rule yet)" }</div>
                            }
                            { for p.lines.iter().map(|l| {
                                let rule = l.rule;
                                let class = if l.head { "clause" } else { "clause exception" };
                                let active = self.highlight.as_ref().is_some_and(|h| h.rule == rule);
                                let class = if active { format!("{class} active") } else { class.to_string() };
                                let cover = p.coverage.get(rule).filter(|_| l.head).map(|(n, right)| format!("{n} rows, {right} right"));
                                html! {
                                    <div {class} data-rule={rule.to_string()}
                                        onmouseenter={ctx.link().callback(move |_| Msg::Highlight(Some(rule)))}
                                        onmouseleave={ctx.link().callback(|_| Msg::Highlight(None))}>
                                        { l.text.clone() }
                                        if let Some(c) = cover { <span class="cover">{ c }</span> }
                                    </div>
                                }
                            }) }
                        </div>
                        if let Some((head, text)) = &self.proof {
                            <h3>{ "Why this point" }</h3>
                            <p class="hint">{ head.clone() }</p>
                            <pre data-testid="proof">{ text.clone() }</pre>
                        } else {
                            <p class="hint">{ "Click a point on the view to see which rule decides it and which exceptions were checked." }</p>
                        }
                    </div>
                }) }
                if snap.is_some_and(|s| s.overlays.iter().any(|o| o.draggable)) {
                    <p class="hint" data-testid="drag-hint">{ if self.generated.dim == 2 {
                        "Drag a prototype, component or shot on the view: the boundary follows at once, with no retraining."
                    } else {
                        "Prototypes can be dragged on data with two features."
                    } }</p>
                }
                { for snap.into_iter().flat_map(|s| s.figures.iter()).map(|(title, view)| figures::figure(title, view)) }
                if !self.state.embed && self.state.shows("export") { { self.share_panel(ctx) } }
            </section>
        }
    }
}

fn canvas_client_width(e: &MouseEvent) -> f32 {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| el.client_width() as f32)
        .unwrap_or(VIEW as f32)
}

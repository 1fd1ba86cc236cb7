//! The model race: several registry classifiers trained side by side on the page's data and
//! split, each with its own session and driver loop, drawn as a grid of small live boundaries with
//! accuracy and speed under each (the interactive version of scikit-learn's classifier
//! comparison). Every registry entry can race; nothing here names one.

use super::super::backend::Backend;
use super::super::canvas::{self, Scene};
use super::super::driver::{self, Control, Event as DriverEvent, Mode};
use crate::classifiers::{ModelSpec, REGISTRY};
use crate::data::plane::Plane;
use crate::data::{Bounds, Split};
use crate::params::Params;
use crate::train::{Session, SessionSetup, Snapshot};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// Pixels per side of a racer's view, and its boundary grid.
const SIDE: u32 = 200;
const GRID: usize = 48;

#[derive(Properties)]
pub struct RaceProps {
    pub split: Rc<Split>,
    pub backend: Option<Rc<Backend>>,
    pub bounds: Bounds,
    pub plane: Plane,
    pub seed: u64,
}

impl PartialEq for RaceProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.split, &o.split)
            && self.backend.as_ref().map(Rc::as_ptr) == o.backend.as_ref().map(Rc::as_ptr)
            && self.bounds == o.bounds
            && self.plane == o.plane
            && self.seed == o.seed
    }
}

pub enum RaceMsg {
    Toggle(&'static str),
    Start,
    Stop,
    Driver(u64, usize, DriverEvent),
}

struct Runner {
    spec: &'static ModelSpec,
    /// This racer's loop control (stopping bumps its generation).
    ctl: Rc<Control>,
    session: Option<Rc<RefCell<Session>>>,
    snapshot: Option<Rc<Snapshot>>,
    state: &'static str,
    error: Option<String>,
    steps_per_sec: Option<f64>,
    canvas: NodeRef,
}

pub struct Race {
    chosen: Vec<&'static str>,
    runners: Vec<Runner>,
    /// Changes with every start or stop: events of older loops are dropped.
    generation: u64,
}

impl Race {
    /// Ends every racer's loop (each exits at its next frame, reporting nothing).
    fn stop(&mut self) {
        self.generation += 1;
        for r in &mut self.runners {
            r.ctl.generation.set(r.ctl.generation.get() + 1);
            if r.state == "training" {
                r.state = "stopped";
            }
        }
    }
}

impl Component for Race {
    type Message = RaceMsg;
    type Properties = RaceProps;

    fn create(_: &Context<Self>) -> Self {
        // The registry's first four (its quick classical models) are ticked to start with.
        Race { chosen: crate::classifiers::REGISTRY.iter().take(4).map(|m| m.name).collect(), runners: Vec::new(), generation: 0 }
    }

    fn changed(&mut self, _: &Context<Self>, _: &Self::Properties) -> bool {
        // New data, split or backend: the race is over.
        self.stop();
        self.runners.clear();
        true
    }

    fn update(&mut self, ctx: &Context<Self>, msg: RaceMsg) -> bool {
        match msg {
            RaceMsg::Toggle(name) => {
                if let Some(i) = self.chosen.iter().position(|n| *n == name) {
                    self.chosen.remove(i);
                } else {
                    self.chosen.push(name);
                }
            }
            RaceMsg::Stop => self.stop(),
            RaceMsg::Start => {
                self.stop();
                let p = ctx.props();
                let Some(backend) = p.backend.clone() else { return false };
                self.runners = REGISTRY
                    .iter()
                    .filter(|s| self.chosen.contains(&s.name))
                    .map(|&spec| {
                        let params = Params::defaults(spec.params);
                        let setup = SessionSetup { spec, params: &params, split: &p.split, seed: p.seed, max_steps: spec.default_steps, grid: GRID, bounds: p.bounds, plane: Some(&p.plane) };
                        let (session, error) = match Session::new(&setup, &backend.device) {
                            Ok(mut s) => {
                                s.set_infer_chunk(backend.kind.infer_chunk());
                                (Some(Rc::new(RefCell::new(s))), None)
                            }
                            Err(e) => (None, Some(e.to_string())),
                        };
                        let state = if error.is_some() { "error" } else { "training" };
                        Runner { spec, ctl: Rc::new(Control::default()), session, snapshot: None, state, error, steps_per_sec: None, canvas: NodeRef::default() }
                    })
                    .collect();
                // One loop per racer; they share the page's frames (each yields every frame).
                let generation = self.generation;
                for (i, r) in self.runners.iter().enumerate() {
                    let Some(session) = r.session.clone() else { continue };
                    let (ctl, link) = (r.ctl.clone(), ctx.link().clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        driver::run(session, ctl, Mode::Play, move |e| link.send_message(RaceMsg::Driver(generation, i, e))).await;
                    });
                }
            }
            RaceMsg::Driver(generation, i, e) => {
                if generation != self.generation {
                    return false;
                }
                let Some(r) = self.runners.get_mut(i) else { return false };
                match e {
                    DriverEvent::Snapshot { snap, steps_per_sec } => {
                        r.snapshot = Some(snap);
                        if steps_per_sec.is_some() {
                            r.steps_per_sec = steps_per_sec;
                        }
                    }
                    DriverEvent::Finished => r.state = "done",
                    DriverEvent::Paused => r.state = "stopped",
                    DriverEvent::Failed(e) => {
                        r.state = "error";
                        r.error = Some(e.to_string());
                    }
                }
            }
        }
        true
    }

    fn rendered(&mut self, ctx: &Context<Self>, _: bool) {
        let p = ctx.props();
        for r in &self.runners {
            if let Some(c) = r.canvas.cast::<HtmlCanvasElement>() {
                canvas::draw(
                    &c,
                    &Scene {
                        bounds: p.bounds,
                        train: &p.split.train,
                        test: &p.split.test,
                        snapshot: r.snapshot.as_deref(),
                        discretize: false,
                        show_test: false,
                        plane: &p.plane,
                        highlight: None,
                        hover: None,
                        dragging: None,
                    },
                );
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let racing = self.runners.iter().any(|r| r.state == "training");
        let pct = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{:.1}%", 100.0 * v));
        html! {
            <div class="race" data-testid="race">
                <div class="race-pick">
                    { for REGISTRY.iter().map(|s| {
                        let name = s.name;
                        html! {
                            <label class="inline">
                                <input type="checkbox" data-race-model={name} checked={self.chosen.contains(&name)} onchange={link.callback(move |_| RaceMsg::Toggle(name))} />
                                { s.label }
                            </label>
                        }
                    }) }
                </div>
                <div class="toolbar">
                    if racing {
                        <button class="primary" data-testid="race-stop" onclick={link.callback(|_| RaceMsg::Stop)}>{ "Stop" }</button>
                    } else {
                        <button class="primary" data-testid="race-start" disabled={self.chosen.is_empty() || ctx.props().backend.is_none()} onclick={link.callback(|_| RaceMsg::Start)}>{ "▶ Start race" }</button>
                    }
                    <span class="hint">{ "Each model trains with its default parameters and step budget on this data and split, same seed; all run at once on the page's backend." }</span>
                </div>
                <div class="race-grid">
                    { for self.runners.iter().map(|r| {
                        let snap = r.snapshot.as_deref();
                        let step = snap.map_or(0, |s| s.step);
                        let max = r.session.as_ref().map_or(0, |s| s.borrow().max_steps);
                        html! {
                            <div class="racer" data-racer={r.spec.name} data-state={r.state}
                                data-test-acc={snap.and_then(|s| s.test_acc).map(|a| format!("{a:.4}")).unwrap_or_default()}>
                                <div class="racer-name">{ r.spec.label }</div>
                                <canvas ref={r.canvas.clone()} width={SIDE.to_string()} height={SIDE.to_string()}></canvas>
                                if let Some(e) = &r.error {
                                    <div class="racer-error">{ e.clone() }</div>
                                } else {
                                    <div class="racer-stats">
                                        <span>{ format!("train {} · test {}", pct(snap.map(|s| s.train_acc)), pct(snap.and_then(|s| s.test_acc))) }</span>
                                        <span>{ format!("step {step}/{max} · {} · {}", r.steps_per_sec.map_or("–".into(), |v| format!("{v:.0} steps/s")), r.state) }</span>
                                    </div>
                                }
                            </div>
                        }
                    }) }
                </div>
            </div>
        }
    }
}

//! Generative vs discriminative heads (`shared/specs/disc-vs-gen.md`): the learning-curve
//! experiment, Gaussian naive Bayes against multinomial logistic regression, test error against
//! training-set size over several draws, on the spec's Gaussian-mixture simulation (dimension,
//! classes, equicorrelation beta) or on the page's data. The fits run one pair per slice of an
//! animation frame (`gen_disc::CurveRun`), so the page stays responsive and the curves grow.

use super::figures;
use crate::app::driver::{next_frame, now};
use crate::classifiers::{FigureView, Series};
use crate::data::Split;
use crate::gen_disc::{self, CurvePoint, CurveRun, Source};
use std::cell::Cell;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties)]
pub struct GenDiscProps {
    pub split: Rc<Split>,
}

impl PartialEq for GenDiscProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.split, &other.split)
    }
}

/// Repeats per training size (the spec's toy: 10) and test points of the simulation.
const REPEATS: usize = 10;
const TEST: usize = 10_000;
/// Milliseconds of fitting per animation frame.
const FRAME_BUDGET: f64 = 12.0;

#[derive(Clone, PartialEq)]
struct Config {
    own_data: bool,
    n: usize,
    k: usize,
    beta: f64,
}

#[derive(Clone, PartialEq, Default)]
struct Progress {
    points: Vec<CurvePoint>,
    done: usize,
    total: usize,
    crossing: Option<usize>,
    error: Option<String>,
}

/// Powers of two from `lo` to `hi`, and `hi` itself.
fn sizes(lo: usize, hi: usize) -> Vec<usize> {
    let mut v = Vec::new();
    let mut m = lo.max(2);
    while m < hi {
        v.push(m);
        m *= 2;
    }
    v.push(hi.max(lo));
    v
}

/// The experiment for `cfg`: the simulation, or the page's data standardised by its training
/// rows (sizes up to the training-set size, tested on the test rows).
fn run_for(cfg: &Config, split: &Split) -> Result<(CurveRun, f64), String> {
    if !cfg.own_data {
        let (n, k) = (cfg.n, cfg.k);
        let bayes = if k == 2 && cfg.beta == 0.0 { gen_disc::bayes_error_two_class(n) } else { f64::NAN };
        let top = (100 * n).min(8192);
        return Ok((CurveRun::new(Source::Simulated { n, k, beta: cfg.beta, test: TEST }, &sizes(2 * k, top), REPEATS, 1), bayes));
    }
    let (train, test) = (&split.train, if split.test.len() > 0 { &split.test } else { &split.train });
    let (n, k) = (train.dim, train.n_classes);
    if train.len() < 2 * k {
        return Err(format!("The page's data has {} training points; the curve needs at least {}.", train.len(), 2 * k));
    }
    let moments = train.feature_mean_std(train.len());
    let standard = |d: &crate::data::Dataset| -> Vec<f64> {
        (0..d.len()).flat_map(|r| d.row(r).iter().zip(&moments).map(|(v, (m, s))| (*v as f64 - m) / s.max(1e-9)).collect::<Vec<_>>()).collect()
    };
    let source = Source::Data {
        n,
        k,
        x: standard(train),
        y: train.y.iter().map(|&c| c as usize).collect(),
        test_x: standard(test),
        test_y: test.y.iter().map(|&c| c as usize).collect(),
    };
    Ok((CurveRun::new(source, &sizes(2 * k, train.len()), REPEATS, 1), f64::NAN))
}

#[function_component(GenDiscLab)]
pub fn gen_disc_lab(props: &GenDiscProps) -> Html {
    let cfg = use_state(|| Config { own_data: false, n: 20, k: 2, beta: 0.3 });
    // Nothing runs until asked (the panel is closed at first; fits would compete with training).
    let started = use_state(|| false);
    let progress = use_state(Progress::default);
    let bayes = use_state(|| f64::NAN);
    let generation = use_memo((), |_| Rc::new(Cell::new(0u64)));
    {
        let (progress, bayes, generation, split) = (progress.clone(), bayes.clone(), (*generation).clone(), props.split.clone());
        use_effect_with(((*cfg).clone(), Rc::as_ptr(&props.split) as usize, *started), move |(cfg, _, started)| {
            // A new configuration starts a new run; the old loop sees the generation change and stops.
            let me = generation.get() + 1;
            generation.set(me);
            match if *started { run_for(cfg, &split) } else { Err(String::new()) } {
                Err(e) if e.is_empty() => {}
                Err(e) => progress.set(Progress { error: Some(e), ..Progress::default() }),
                Ok((mut run, b)) => {
                    bayes.set(b);
                    let (done, total) = run.progress();
                    progress.set(Progress { done, total, ..Progress::default() });
                    let generation = generation.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        loop {
                            next_frame().await;
                            if generation.get() != me {
                                return;
                            }
                            let start = now();
                            let mut more = true;
                            while more && now() - start < FRAME_BUDGET {
                                more = run.step();
                            }
                            let (done, total) = run.progress();
                            progress.set(Progress { points: run.points(), done, total, crossing: run.crossing(), error: None });
                            if !more {
                                return;
                            }
                        }
                    });
                }
            }
            move || generation.set(generation.get() + 1)
        });
    }
    let edit = |f: fn(&mut Config, String)| {
        let cfg = cfg.clone();
        Callback::from(move |e: Event| {
            let mut c = (*cfg).clone();
            f(&mut c, super::event_value(&e));
            cfg.set(c);
        })
    };
    let c = &*cfg;
    let p = &*progress;
    let view = curve_view(p, *bayes, c);
    html! {
        <div class="lab-body" data-testid="gen-disc-lab">
            <div class="lab-part">
                <h3>{ "Naive Bayes learns fast, logistic regression learns more" }</h3>
                <p class="hint">{ "Gaussian naive Bayes (class means, one shared diagonal variance: a generative linear head) against multinomial logistic regression (scikit-learn's, C = 1: a discriminative one), each trained on m samples, 10 draws per m. Naive Bayes reaches its limit with O(log n) samples and logistic regression needs O(n); when naive Bayes's model is wrong (correlated features, β > 0) its limit is worse and the curves cross." }</p>
                <div class="row-controls">
                    <label>{ "Data " }
                        <select data-testid="gd-source" onchange={edit(|c, v| c.own_data = v == "data")}>
                            <option value="sim" selected={!c.own_data}>{ "the spec's Gaussian mixture" }</option>
                            <option value="data" selected={c.own_data}>{ "this page's data (standardised)" }</option>
                        </select>
                    </label>
                    if !c.own_data {
                        <label>{ "dimension n " }
                            <select data-testid="gd-n" onchange={edit(|c, v| c.n = v.parse().unwrap_or(20))}>
                                { for [2usize, 10, 20, 40, 80].iter().map(|n| html! { <option value={n.to_string()} selected={*n == c.n}>{ n }</option> }) }
                            </select>
                        </label>
                        <label>{ "classes K " }
                            <select onchange={edit(|c, v| c.k = v.parse().unwrap_or(2))}>
                                { for [2usize, 3, 5].iter().map(|k| html! { <option value={k.to_string()} selected={*k == c.k}>{ k }</option> }) }
                            </select>
                        </label>
                        <label class="inline-slider">{ format!("feature correlation β: {:.2}", c.beta) }
                            <input type="range" min="0" max="0.6" step="0.05" value={c.beta.to_string()} onchange={edit(|c, v| c.beta = v.parse().unwrap_or(c.beta))} data-testid="gd-beta" />
                        </label>
                    }
                </div>
                if !*started {
                    <button class="primary" data-testid="gd-run" onclick={let s = started.clone(); Callback::from(move |_| s.set(true))}>{ "Run the experiment" }</button>
                } else if let Some(e) = &p.error {
                    <p class="hint">{ e.clone() }</p>
                } else {
                    <div class="gd-figure" data-testid="gd-curve" data-done={p.done.to_string()} data-total={p.total.to_string()}
                        data-points={p.points.iter().map(|q| format!("{}:{:.4}:{:.4}", q.m, q.nb.0, q.lr.0)).collect::<Vec<_>>().join(" ")}>
                        { figures::figure("Test error against training samples", &view) }
                    </div>
                }
            </div>
        </div>
    }
}

fn curve_view(p: &Progress, bayes: f64, c: &Config) -> FigureView {
    let line = |f: fn(&CurvePoint) -> f64| p.points.iter().map(|q| [q.m as f32, f(q) as f32]).collect::<Vec<_>>();
    let mut series = vec![
        Series { label: "naive Bayes (generative)".into(), points: line(|q| q.nb.0), colour: Some(0), dashed: false },
        Series { label: "logistic regression (discriminative)".into(), points: line(|q| q.lr.0), colour: Some(1), dashed: false },
    ];
    if bayes.is_finite() {
        if let (Some(first), Some(last)) = (p.points.first(), p.points.last()) {
            series.push(Series { label: format!("Bayes error {bayes:.4}"), points: vec![[first.m as f32, bayes as f32], [last.m as f32, bayes as f32]], colour: None, dashed: true });
        }
    }
    let mut note = format!("{} of {} fits.", p.done, p.total);
    if let Some(last) = p.points.last() {
        note.push_str(&format!(" At m = {}: naive Bayes {:.3} ± {:.3}, logistic regression {:.3} ± {:.3}.", last.m, last.nb.0, last.nb.1, last.lr.0, last.lr.1));
    }
    match p.crossing {
        Some(m) => note.push_str(&format!(" The curves cross at m ≈ {m}: naive Bayes wins below, logistic regression above.")),
        None if p.done == p.total && p.total > 0 => note.push_str(" No crossing in this range."),
        None => {}
    }
    if !c.own_data && c.beta > 0.0 {
        note.push_str(" With β > 0 naive Bayes's independence assumption is wrong.");
    }
    FigureView::Lines { series, x_label: "training samples m (log scale)".into(), y_label: "test error".into(), log_x: true, note }
}

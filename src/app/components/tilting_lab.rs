//! The boundary-tilting lab (`shared/specs/boundary-tilting.md`): a 3-D demo whose boundary tilts
//! out of the data plane (classification unchanged, adversarial distances shrinking), and the
//! regularisation sweep of a linear SVM (deviation angle, adversarial strength, test error, mean
//! adversarial distance and in-plane weight fraction against lambda), on the spec's embedded
//! blobs or on the page's own data (classes 0 and 1). The maths is `crate::tilting`; this file
//! draws it.

use crate::data::Split;
use crate::tilting::{self, Embedded, Fit, LAMBDAS, SweepPoint};
use crate::viz;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties)]
pub struct LabProps {
    pub split: Rc<Split>,
}

impl PartialEq for LabProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.split, &other.split)
    }
}

/// SVM epochs (LIBLINEAR-style dual coordinate descent; the spec's 300) and logistic
/// regression's L-BFGS step cap (scikit-learn's `max_iter`).
const EPOCHS: usize = 300;
const LBFGS_STEPS: usize = 1000;

/// The two sweeps (SVM, logistic regression) and the data they ran on.
type Sweeps = (Vec<SweepPoint>, Vec<SweepPoint>, Rc<Embedded>);

fn slider_value(e: &InputEvent) -> Option<f64> {
    super::input_value(e).parse().ok()
}

/// A two-way menu's callback: `flag` becomes whether the chosen option's value is `on`.
fn choice_flag(flag: &UseStateHandle<bool>, on: &'static str) -> Callback<Event> {
    let flag = flag.clone();
    Callback::from(move |e: Event| flag.set(super::event_value(&e) == on))
}

#[function_component(TiltingLab)]
pub fn tilting_lab(props: &LabProps) -> Html {
    let tilt = use_state(|| 30.0f64);
    let sigma = use_state(|| 0.0f64);
    let own_data = use_state(|| false);
    let selected = use_state(|| 0usize);
    let detail_logistic = use_state(|| false);
    let demo = use_memo(((*sigma * 1000.0) as i64,), |(s,)| tilting::demo_points(200, *s as f64 / 1000.0, 1));
    let readout = tilting::demo_readout(&demo.0, &demo.1, *tilt);
    let split_key = Rc::as_ptr(&props.split) as usize;
    let split = props.split.clone();
    let sweep = use_memo((*own_data, split_key), move |(own, _)| sweep_for(*own, &split));

    let on_tilt = {
        let tilt = tilt.clone();
        Callback::from(move |e: InputEvent| if let Some(v) = slider_value(&e) { tilt.set(v) })
    };
    let on_sigma = {
        let sigma = sigma.clone();
        Callback::from(move |e: InputEvent| if let Some(v) = slider_value(&e) { sigma.set(v) })
    };
    let on_source = choice_flag(&own_data, "data");
    html! {
        <div class="lab-body" data-testid="tilting-lab">
            <div class="lab-part">
                <h3>{ "Tilting a boundary out of the data plane" }</h3>
                <p class="hint">{ "Two classes lie in the plane z = 0 (dashed). The boundary plane (grey) turns about the line that separates them: every point keeps its class while its distance to the boundary (the black segments: the smallest perturbation that changes its class) shrinks by cos θ. With noise off the plane, tilting starts to cost accuracy." }</p>
                { demo_svg(&demo.0, &demo.1, &readout.model) }
                <label class="inline-slider">{ format!("Tilt θ: {:.0}°", *tilt) }
                    <input type="range" min="0" max="89" step="1" value={tilt.to_string()} oninput={on_tilt} data-testid="tilt" /></label>
                <label class="inline-slider">{ format!("Noise off the plane σ⊥: {:.2}", *sigma) }
                    <input type="range" min="0" max="0.5" step="0.01" value={sigma.to_string()} oninput={on_sigma} /></label>
                <div class="readouts" data-testid="tilt-readout"
                    data-accuracy={format!("{:.4}", readout.accuracy)} data-distance={format!("{:.4}", readout.mean_distance)}>
                    <span>{ format!("θ = {:.1}°", readout.theta_deg) }</span>
                    <span>{ format!("strength S = 1/cos θ = {:.2}", readout.strength) }</span>
                    <span>{ format!("accuracy {:.1}% (nearest centroid {:.1}%)", 100.0 * readout.accuracy, 100.0 * readout.centroid_accuracy) }</span>
                    <span>{ format!("mean distance to the boundary {:.3}", readout.mean_distance) }</span>
                </div>
            </div>
            <div class="lab-part">
                <h3>{ "Regularisation decides the tilt (linear SVM, logistic regression)" }</h3>
                <label>{ "Data " }
                    <select onchange={on_source} data-testid="sweep-source">
                        <option value="embedded" selected={!*own_data}>{ "the spec's: 2-D blobs in 50 dimensions (48 noise coordinates, σ⊥ = 0.05), 60 training points" }</option>
                        <option value="data" selected={*own_data}>{ "this page's data: classes 0 and 1, all features" }</option>
                    </select>
                </label>
                { match sweep.as_ref() {
                    Ok(sweeps) => sweep_html(sweeps, &selected, &detail_logistic),
                    Err(e) => html! { <p class="hint">{ e.clone() }</p> },
                } }
            </div>
        </div>
    }
}

/// The sweeps and the data they ran on.
fn sweep_for(own: bool, split: &Split) -> Result<Sweeps, String> {
    let data = if own {
        let d = split.train.dim;
        let (train_x, train_y) = tilting::binary_subset(&split.train.x, &split.train.y, d);
        let (mut test_x, mut test_y) = tilting::binary_subset(&split.test.x, &split.test.y, d);
        if train_y.iter().all(|&c| c == train_y[0]) || train_y.is_empty() {
            return Err("The sweep needs training points of classes 0 and 1.".into());
        }
        if test_y.is_empty() {
            (test_x, test_y) = (train_x.clone(), train_y.clone());
        }
        Embedded { d, train_x, train_y, test_x, test_y }
    } else {
        tilting::embedded_blobs(60, 4000, 50, 0.05, 1)
    };
    // On the page's data there is no known data plane: the in-plane fraction is over all features.
    let plane = if own { data.d } else { 2 };
    let svm = tilting::sweep_fit(&data, &LAMBDAS, plane, Fit::Svm { epochs: EPOCHS });
    let logistic = tilting::sweep_fit(&data, &LAMBDAS, plane, Fit::Logistic { iterations: LBFGS_STEPS });
    Ok((svm, logistic, Rc::new(data)))
}

fn demo_svg(x: &[f64], y: &[i8], model: &tilting::Linear) -> Html {
    let (yaw, pitch) = (0.6f64, 0.45f64);
    let corners = tilting::plane_corners(model, &[0.0, 0.0, 0.0], 2.6);
    // The data's plane z = 0, for reference.
    let floor: Vec<(f32, f32)> = [[3.5, 3.0, 0.0], [3.5, -3.0, 0.0], [-3.5, -3.0, 0.0], [-3.5, 3.0, 0.0]].iter().map(|p| proj_f32(p, yaw, pitch)).collect();
    let proj: Vec<(f32, f32)> = x.chunks(3).map(|p| tilting::project3(p, yaw, pitch)).map(|(a, b)| (a as f32, b as f32)).collect();
    let pc: Vec<(f32, f32)> = corners.iter().map(|p| tilting::project3(p, yaw, pitch)).map(|(a, b)| (a as f32, b as f32)).collect();
    let side = 300.0;
    let (k, ox, oy) = viz::fit_square(proj.iter().chain(&pc).chain(&floor).copied(), side, 10.0);
    let at = |(a, b): (f32, f32)| (a * k + ox, oy - b * k);
    let polygon = |pts: &[(f32, f32)]| pts.iter().map(|p| { let (a, b) = at(*p); format!("{a:.1},{b:.1}") }).collect::<Vec<_>>().join(" ");
    let poly = polygon(&pc);
    let floor = polygon(&floor);
    let colour = |l: i8| viz::class_css(if l > 0 { 0 } else { 1 });
    html! {
        <svg class="figure-svg lab-svg" viewBox={format!("0 0 {side} {side}")}>
            <polygon points={floor} fill="none" stroke="#c5cbd3" stroke-width="1" stroke-dasharray="3 3" />
            <polygon points={poly} fill="rgba(90,100,120,0.16)" stroke="#5f6b7a" stroke-width="1" />
            { for proj.iter().zip(y).map(|(p, l)| { let (a, b) = at(*p); html! { <circle cx={format!("{a:.1}")} cy={format!("{b:.1}")} r="2.2" fill={colour(*l)} /> } }) }
            { for x.chunks(3).zip(y).step_by(17).map(|(p, _)| {
                let q = model.adversarial(p);
                let ((a0, b0), (a1, b1)) = (at(proj_f32(p, yaw, pitch)), at(proj_f32(&q, yaw, pitch)));
                html! { <line x1={format!("{a0:.1}")} y1={format!("{b0:.1}")} x2={format!("{a1:.1}")} y2={format!("{b1:.1}")} stroke="#111" stroke-width="1" opacity="0.7" /> }
            }) }
        </svg>
    }
}

fn proj_f32(p: &[f64], yaw: f64, pitch: f64) -> (f32, f32) {
    let (a, b) = tilting::project3(p, yaw, pitch);
    (a as f32, b as f32)
}

fn sweep_html((points, logistic, data): &Sweeps, selected: &UseStateHandle<usize>, detail_logistic: &UseStateHandle<bool>) -> Html {
    let sel = (**selected).min(points.len().saturating_sub(1));
    let metrics: [(&str, fn(&SweepPoint) -> f64, Option<(f64, f64)>); 5] = [
        ("deviation angle θ (°)", |p| p.theta_deg, Some((0.0, 90.0))),
        ("adversarial strength S", |p| p.strength, None),
        ("test error", |p| p.test_error, None),
        ("mean adversarial distance", |p| p.mean_adversarial_distance, None),
        ("in-plane weight fraction", |p| p.in_plane, Some((0.0, 1.0))),
    ];
    let (w, h) = (200.0f32, 70.0f32);
    let xs: Vec<f32> = points.iter().map(|p| ((p.lambda.log10() + 4.0) / 6.0) as f32 * (w - 16.0) + 8.0).collect();
    let chart = |(name, f, range): &(&str, fn(&SweepPoint) -> f64, Option<(f64, f64)>)| {
        let vals: Vec<f64> = points.iter().map(f).collect();
        let lvals: Vec<f64> = logistic.iter().map(f).collect();
        let all = vals.iter().chain(&lvals).copied();
        let (lo, hi) = range.unwrap_or_else(|| (all.clone().fold(f64::INFINITY, f64::min).min(0.0), all.fold(0.0, f64::max).max(1e-9)));
        let y_of = |v: &f64| h - 8.0 - ((v - lo) / (hi - lo).max(1e-12)) as f32 * (h - 16.0);
        let ys: Vec<f32> = vals.iter().map(y_of).collect();
        let line = |ys: &[f32]| xs.iter().zip(ys).enumerate().map(|(i, (x, y))| format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" })).collect::<String>();
        let path = line(&ys);
        let lpath = line(&lvals.iter().map(y_of).collect::<Vec<_>>());
        html! {
            <div class="sweep-chart">
                <div class="hint">{ format!("{name}: {:.3} (SVM), {:.3} (logistic) at λ = {}", vals[sel], lvals.get(sel).copied().unwrap_or(f64::NAN), crate::params::format_float(points[sel].lambda)) }</div>
                <svg class="figure-svg" viewBox={format!("0 0 {w} {h}")}>
                    <path d={lpath} fill="none" stroke={viz::class_css(0)} stroke-width="1.2" stroke-dasharray="4 2" />
                    <path d={path} fill="none" stroke="var(--blue)" stroke-width="1.5" />
                    { for xs.iter().zip(&ys).enumerate().map(|(i, (x, y))| {
                        let selected = selected.clone();
                        let onclick = Callback::from(move |_| selected.set(i));
                        html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={if i == sel { "4.5" } else { "3" }} class={if i == sel { "pick active" } else { "pick" }} {onclick} /> }
                    }) }
                </svg>
            </div>
        }
    };
    let p = if **detail_logistic { &logistic[sel] } else { &points[sel] };
    let on_detail = choice_flag(detail_logistic, "logistic");
    html! {
        <>
            <div class="sweep" data-testid="sweep" data-theta={points.iter().map(|p| format!("{:.2}", p.theta_deg)).collect::<Vec<_>>().join(",")}>
                { for metrics.iter().map(chart) }
            </div>
            <p class="hint">{ "λ from 1e-4 (left) to 100 (right), log scale; solid blue: linear SVM, dashed orange: logistic regression; click a point to pick λ. Weak regularisation lets the models separate with the noise coordinates: the boundary tilts out of the data's plane and every point comes close to it, at little cost in accuracy." }</p>
            <label class="inline">{ "Show the picked " }
                <select onchange={on_detail}>
                    <option value="svm" selected={!**detail_logistic}>{ "SVM" }</option>
                    <option value="logistic" selected={**detail_logistic}>{ "logistic regression" }</option>
                </select>
            </label>
            { trace_svg(p, data) }
            { weight_bars(p) }
        </>
    }
}

/// The picked SVM in the plane of the first two coordinates: the points, the boundary's trace
/// (the other coordinates at 0) and one point with its mirror image across the boundary.
fn trace_svg(p: &SweepPoint, data: &Embedded) -> Html {
    let d = data.d;
    let side = 240.0f32;
    let pts: Vec<(f32, f32)> = data.train_x.chunks(d).map(|r| (r[0] as f32, r.get(1).copied().unwrap_or(0.0) as f32)).collect();
    let (k, ox, oy) = viz::fit_square(pts.iter().copied(), side, 12.0);
    let at = |(a, b): (f32, f32)| (a * k + ox, oy - b * k);
    // The trace w0 x + w1 y + b = 0 across the box.
    let (w0, w1, b) = (p.model.w[0], p.model.w.get(1).copied().unwrap_or(0.0), p.model.b);
    let span = (side / k) as f64;
    let (cx, cy) = ((side / 2.0 - ox) / k, (oy - side / 2.0) / k);
    let line = if w1.abs() > w0.abs() {
        let y = |x: f64| -(w0 * x + b) / w1;
        [(cx as f64 - span, y(cx as f64 - span)), (cx as f64 + span, y(cx as f64 + span))]
    } else {
        let x = |y: f64| -(w1 * y + b) / w0;
        [(x(cy as f64 - span), cy as f64 - span), (x(cy as f64 + span), cy as f64 + span)]
    };
    let ((x0, y0), (x1, y1)) = (at((line[0].0 as f32, line[0].1 as f32)), at((line[1].0 as f32, line[1].1 as f32)));
    let first = &data.train_x[..d];
    let m = p.model.mirror(first);
    let ((a0, b0), (a1, b1)) = (at((first[0] as f32, first.get(1).copied().unwrap_or(0.0) as f32)), at((m[0] as f32, m.get(1).copied().unwrap_or(0.0) as f32)));
    html! {
        <div class="lab-row">
            <div>
                <div class="hint">{ "First two coordinates: the boundary's trace, a point and its mirror image" }</div>
                <svg class="figure-svg square" viewBox={format!("0 0 {side} {side}")}>
                    { for pts.iter().zip(&data.train_y).map(|(q, l)| { let (a, b) = at(*q); html! { <circle cx={format!("{a:.1}")} cy={format!("{b:.1}")} r="2.5" fill={viz::class_css(if *l > 0 { 0 } else { 1 })} /> } }) }
                    <line x1={format!("{x0:.1}")} y1={format!("{y0:.1}")} x2={format!("{x1:.1}")} y2={format!("{y1:.1}")} stroke="#111" stroke-width="1.5" />
                    <line x1={format!("{a0:.1}")} y1={format!("{b0:.1}")} x2={format!("{a1:.1}")} y2={format!("{b1:.1}")} stroke="#111" stroke-dasharray="3 2" />
                    <circle cx={format!("{a1:.1}")} cy={format!("{b1:.1}")} r="3.5" fill="none" stroke="#111" />
                </svg>
            </div>
        </div>
    }
}

/// `|w_k|` per coordinate: the data's plane (the first two) in blue, the rest grey.
fn weight_bars(p: &SweepPoint) -> Html {
    let (w, h) = (300.0f32, 70.0f32);
    let top = p.model.w.iter().fold(1e-12f64, |a, v| a.max(v.abs()));
    let bw = w / p.model.w.len().max(1) as f32;
    html! {
        <div>
            <div class="hint">{ format!("|w| per coordinate (in-plane fraction {:.2})", p.in_plane) }</div>
            <svg class="figure-svg wide" viewBox={format!("0 0 {w} {h}")} data-testid="weight-bars">
                { for p.model.w.iter().enumerate().map(|(i, v)| {
                    let bh = (v.abs() / top) as f32 * (h - 4.0);
                    let fill = if i < 2 { "var(--blue)" } else { "#9aa3ad" };
                    html! { <rect x={format!("{:.1}", i as f32 * bw)} y={format!("{:.1}", h - bh)} width={format!("{:.1}", (bw - 1.0).max(0.5))} height={format!("{bh:.1}")} fill={fill} /> }
                }) }
            </svg>
        </div>
    }
}

//! Draws a model's figures (`FigureView`): shaded tables, histograms and feature-space scatters
//! as plain HTML and SVG. Geometry comes from `viz`; nothing here names a classifier.

use crate::classifiers::{Cell, FigureView, Marker};
use crate::params::format_float;
use crate::viz;
use yew::prelude::*;

const SIDE: f32 = 260.0;

pub fn figure(title: &str, view: &FigureView) -> Html {
    let body = match view {
        FigureView::Table { header, rows, note } => html! {
            <>
                <div class="figure-table-wrap">
                    <table class="figure-table">
                        <thead><tr>{ for header.iter().map(|h| html! { <th>{ h.clone() }</th> }) }</tr></thead>
                        <tbody>{ for rows.iter().map(|row| html! { <tr>{ for row.iter().map(cell) }</tr> }) }</tbody>
                    </table>
                </div>
                <p class="hint">{ note.clone() }</p>
            </>
        },
        FigureView::Histogram { edges, counts, x_label, note } => {
            let (w, h) = (SIDE, 80.0);
            let bars = viz::histogram_bars(counts, w, h);
            let lo = edges.first().copied().unwrap_or(0.0);
            let hi = edges.last().copied().unwrap_or(0.0);
            html! {
                <>
                    <svg class="figure-svg" viewBox={format!("0 0 {w} {}", h + 16.0)}>
                        { for bars.iter().zip(counts).map(|((x, y, bw, bh), c)| html! {
                            <rect x={x.to_string()} y={y.to_string()} width={bw.to_string()} height={bh.to_string()} class="bar"><title>{ format!("{c} points") }</title></rect>
                        }) }
                        <line x1="0" y1={h.to_string()} x2={w.to_string()} y2={h.to_string()} class="axis" />
                        <text x="0" y={(h + 13.0).to_string()} class="tick">{ format!("{lo:.2}") }</text>
                        <text x={w.to_string()} y={(h + 13.0).to_string()} class="tick end">{ format!("{hi:.2}") }</text>
                    </svg>
                    <p class="hint">{ format!("{x_label}. {note}") }</p>
                </>
            }
        }
        FigureView::Scatter { points, arrows, unit_circle, note } => {
            let all = points.iter().map(|p| (p.x, p.y)).chain(arrows.iter().flat_map(|a| [(a.from[0], a.from[1]), (a.to[0], a.to[1])]));
            let (k, ox, oy) = viz::fit_square(all, SIDE, 14.0);
            let at = |x: f32, y: f32| (x * k + ox, oy - y * k);
            // Data first, then arrows, then prototypes on top.
            let mut order: Vec<_> = points.iter().collect();
            order.sort_by_key(|p| p.marker != Marker::Small);
            html! {
                <>
                    <svg class="figure-svg square" viewBox={format!("0 0 {SIDE} {SIDE}")}>
                        if *unit_circle {
                            <circle cx={ox.to_string()} cy={oy.to_string()} r={k.to_string()} class="axis" fill="none" />
                        }
                        { for order.iter().filter(|p| p.marker == Marker::Small).map(|p| {
                            let (x, y) = at(p.x, p.y);
                            html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="1.8" fill={viz::class_css(p.class as usize)} opacity="0.55" /> }
                        }) }
                        { for arrows.iter().map(|a| {
                            let ((x0, y0), (x1, y1)) = (at(a.from[0], a.from[1]), at(a.to[0], a.to[1]));
                            let width = 0.6 + 3.0 * a.weight;
                            let stroke = if a.weight >= 1.0 { "#111".to_string() } else { viz::class_css(a.class as usize) };
                            html! { <line x1={format!("{x0:.1}")} y1={format!("{y0:.1}")} x2={format!("{x1:.1}")} y2={format!("{y1:.1}")} stroke={stroke} stroke-width={format!("{width:.1}")} opacity="0.8" marker-end={(a.weight >= 1.0).then_some("url(#arrowhead)")} /> }
                        }) }
                        { for order.iter().filter(|p| p.marker != Marker::Small).map(|p| {
                            let (x, y) = at(p.x, p.y);
                            let colour = viz::class_css(p.class as usize);
                            let (fill, stroke, sw) = if viz::is_hollow(p.marker) { ("#fff".to_string(), colour, "2.5") } else { (colour, "#111".to_string(), "1") };
                            html! { <path d={viz::marker_path(p.marker, x, y, 6.0)} fill={fill} stroke={stroke} stroke-width={sw} /> }
                        }) }
                        <defs><marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10Z" fill="#111" /></marker></defs>
                    </svg>
                    <p class="hint">{ note.clone() }</p>
                </>
            }
        }
        FigureView::Lines { series, x_label, y_label, log_x, note } => {
            let (w, h, left, bottom) = (SIDE, 130.0, 34.0, 16.0);
            let pw = w - left - 4.0;
            let refs: Vec<&[[f32; 2]]> = series.iter().map(|s| s.points.as_slice()).collect();
            let range = viz::chart_range(&refs, *log_x);
            let x_tick = |v: f32| if *log_x { format_float(10f64.powf(v as f64).round()) } else { format!("{v:.3}").trim_end_matches('0').trim_end_matches('.').to_string() };
            let y_tick = |v: f32| format!("{v:.3}").trim_end_matches('0').trim_end_matches('.').to_string();
            html! {
                <>
                    <svg class="figure-svg" viewBox={format!("0 0 {w} {}", h + bottom + 12.0)}>
                        <g transform={format!("translate({left},4)")}>
                            <line x1="0" y1={h.to_string()} x2={pw.to_string()} y2={h.to_string()} class="axis" />
                            <line x1="0" y1="0" x2="0" y2={h.to_string()} class="axis" />
                            { for series.iter().map(|s| {
                                let stroke = s.colour.map(|c| viz::class_css(c as usize)).unwrap_or_else(|| "#222".into());
                                html! { <path d={viz::chart_path(&s.points, range, *log_x, pw, h)} fill="none" stroke={stroke} stroke-width="1.6" stroke-dasharray={s.dashed.then_some("4 3")}><title>{ s.label.clone() }</title></path> }
                            }) }
                            <text x="-3" y="8" class="tick end">{ y_tick(range[3]) }</text>
                            <text x="-3" y={h.to_string()} class="tick end">{ y_tick(range[2]) }</text>
                            <text x="0" y={(h + 12.0).to_string()} class="tick">{ x_tick(range[0]) }</text>
                            <text x={pw.to_string()} y={(h + 12.0).to_string()} class="tick end">{ x_tick(range[1]) }</text>
                            <text x={(pw / 2.0).to_string()} y={(h + 24.0).to_string()} class="tick middle">{ x_label.clone() }</text>
                        </g>
                    </svg>
                    <p class="legend">
                        <span class="tick">{ format!("{y_label}: ") }</span>
                        { for series.iter().map(|s| {
                            let colour = s.colour.map(|c| viz::class_css(c as usize)).unwrap_or_else(|| "#222".into());
                            html! { <span class="legend-item"><i class={if s.dashed { "swatch dashed" } else { "swatch" }} style={format!("border-color:{colour}")}></i>{ s.label.clone() }</span> }
                        }) }
                    </p>
                    <p class="hint">{ note.clone() }</p>
                </>
            }
        }
        FigureView::Bars { labels, values, note } => {
            let (w, h) = (SIDE, 80.0);
            let top = values.iter().fold(0.0f32, |a, &b| a.max(b)).max(1e-12);
            let bw = w / values.len().max(1) as f32;
            html! {
                <>
                    <svg class="figure-svg" viewBox={format!("0 0 {w} {}", h + 16.0)}>
                        { for values.iter().zip(labels).enumerate().map(|(i, (v, l))| {
                            let bh = (v / top).max(0.0) * h;
                            html! {
                                <g>
                                    <rect x={format!("{:.1}", i as f32 * bw + 0.5)} y={format!("{:.1}", h - bh)} width={format!("{:.1}", (bw - 1.0).max(0.5))} height={format!("{bh:.1}")} class="bar" data-value={v.to_string()}><title>{ format!("{l}: {v:.4}") }</title></rect>
                                    if i % 5 == 0 { <text x={format!("{:.1}", i as f32 * bw + bw / 2.0)} y={(h + 13.0).to_string()} class="tick middle">{ l.clone() }</text> }
                                </g>
                            }
                        }) }
                        <line x1="0" y1={h.to_string()} x2={w.to_string()} y2={h.to_string()} class="axis" />
                    </svg>
                    <p class="hint">{ note.clone() }</p>
                </>
            }
        }
    };
    html! {
        <div class="figure" data-figure={title.to_string()}>
            <h3>{ title.to_string() }</h3>
            { body }
        </div>
    }
}

/// A table cell shaded green by `green` and red by `red` (both can show: a split background).
fn cell(c: &Cell) -> Html {
    let (g, r) = (c.green.clamp(0.0, 1.0) * 0.55, c.red.clamp(0.0, 1.0) * 0.55);
    let style = match (g > 0.0, r > 0.0) {
        (true, true) => format!("background:linear-gradient(90deg, rgba(46,160,67,{g:.2}) 50%, rgba(214,39,40,{r:.2}) 50%)"),
        (true, false) => format!("background:rgba(46,160,67,{g:.2})"),
        (false, true) => format!("background:rgba(214,39,40,{r:.2})"),
        _ => String::new(),
    };
    html! {
        <td {style}>
            if let Some(k) = c.class {
                <i class="dot filled" style={format!("background:{}", viz::class_css(k as usize))}></i>
            }
            { c.text.clone() }
        </td>
    }
}

//! Paints a snapshot onto the boundary canvas. The colours and geometry come from `viz`; this file
//! only talks to the DOM.

use crate::classifiers::{Marker, OverlayKind};
use crate::data::plane::Plane;
use crate::data::{Bounds, Dataset};
use crate::train::{ResolvedOverlay, Snapshot};
use crate::viz;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

pub struct Scene<'a> {
    pub bounds: Bounds,
    pub train: &'a Dataset,
    pub test: &'a Dataset,
    pub snapshot: Option<&'a Snapshot>,
    pub discretize: bool,
    pub show_test: bool,
    /// The plane of feature space shown; points are drawn at their projection onto it.
    pub plane: &'a Plane,
    /// A rule the user points at: its box (row `rule` of the box overlay) and its points.
    pub highlight: Option<&'a Highlight>,
    /// The pointer, in data coordinates (for overlays drawn on hover).
    pub hover: Option<(f32, f32)>,
    /// A marker being dragged: (overlay label, row, data position), drawn at the pointer before
    /// the moved model is read back.
    pub dragging: Option<(&'a str, usize, f32, f32)>,
}

/// What to emphasise for one rule of a rule learner.
pub struct Highlight {
    pub rule: usize,
    /// View positions of the points the rule decides.
    pub points: Vec<(f32, f32)>,
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

pub fn draw(canvas: &HtmlCanvasElement, scene: &Scene) {
    let Some(ctx) = context(canvas) else { return };
    let size = canvas.width() as usize;
    let s = size as f64;
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, s, s);

    if let Some(snap) = scene.snapshot
        && snap.grid > 0
        && snap.grid_probs.len() == snap.grid * snap.grid * snap.n_classes
    {
        let mut px = viz::boundary_rgba(&snap.grid_probs, snap.n_classes, scene.discretize);
        // Paint the small grid on a scratch canvas, then scale it up smoothly.
        let doc = web_sys::window().and_then(|w| w.document());
        if let Some(scratch) = doc
            .and_then(|d| d.create_element("canvas").ok())
            .and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
        {
            scratch.set_width(snap.grid as u32);
            scratch.set_height(snap.grid as u32);
            if let (Some(sctx), Ok(img)) = (
                context(&scratch),
                ImageData::new_with_u8_clamped_array_and_sh(Clamped(&mut px), snap.grid as u32, snap.grid as u32),
            ) {
                let _ = sctx.put_image_data(&img, 0.0, 0.0);
                ctx.set_image_smoothing_enabled(!scene.discretize);
                let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&scratch, 0.0, 0.0, s, s);
            }
        }
    }

    draw_axes(&ctx, scene.bounds, size);

    let pred = |train: bool, i: usize| {
        scene.snapshot.and_then(|sn| if train { sn.train_pred.get(i) } else { sn.test_pred.get(i) }).copied()
    };
    let draw_set = |data: &Dataset, train: bool| {
        for i in 0..data.len() {
            let (a, b) = scene.plane.project(data.row(i));
            let (x, y) = viz::data_to_pixel(scene.bounds, size, a, b);
            let (x, y) = (x as f64, y as f64);
            let class = data.y[i] as usize;
            ctx.begin_path();
            let _ = ctx.arc(x, y, if train { 3.5 } else { 3.0 }, 0.0, std::f64::consts::TAU);
            if train {
                ctx.set_fill_style_str(&viz::class_css(class));
                ctx.fill();
                ctx.set_stroke_style_str("#ffffff");
                ctx.set_line_width(1.0);
                ctx.stroke();
            } else {
                ctx.set_fill_style_str("#ffffff");
                ctx.fill();
                ctx.set_stroke_style_str(&viz::class_css(class));
                ctx.set_line_width(2.0);
                ctx.stroke();
            }
            if pred(train, i).is_some_and(|p| p as usize != class) {
                // Misclassified: a dark cross through the point.
                ctx.begin_path();
                ctx.set_stroke_style_str("#111111");
                ctx.set_line_width(1.5);
                ctx.move_to(x - 4.5, y - 4.5);
                ctx.line_to(x + 4.5, y + 4.5);
                ctx.move_to(x + 4.5, y - 4.5);
                ctx.line_to(x - 4.5, y + 4.5);
                ctx.stroke();
            }
        }
    };
    draw_set(scene.train, true);
    if scene.show_test {
        draw_set(scene.test, false);
    }

    if let Some(snap) = scene.snapshot {
        // Circles first (reach, radii), then boxes and arrows, markers on top.
        let order = |o: &&ResolvedOverlay| match o.kind {
            OverlayKind::Circles => 0,
            OverlayKind::Markers => 2,
            _ => 1,
        };
        let mut overlays: Vec<&ResolvedOverlay> = snap.overlays.iter().collect();
        overlays.sort_by_key(order);
        let mut hovered = Vec::new();
        for o in overlays {
            if o.on_hover {
                hovered.extend(draw_hovered(&ctx, scene, size, o));
            } else {
                draw_overlay(&ctx, scene, size, o);
            }
        }
        // What the canvas shows, for tests and assistive tools: the draggable markers' pixels
        // and the hovered value.
        let handles: Vec<String> = snap
            .overlays
            .iter()
            .filter(|o| o.draggable && o.width >= 2)
            .flat_map(|o| {
                o.coords.chunks(o.width).enumerate().map(move |(i, r)| {
                    let (x, y) = viz::data_to_pixel(scene.bounds, size, r[0], r[1]);
                    format!("{}:{i}:{x:.0}:{y:.0}", o.label)
                })
            })
            .collect();
        let _ = canvas.set_attribute("data-handles", &handles.join(";"));
        let _ = canvas.set_attribute("data-hover", &hovered.join("; "));
    }
    if let Some(h) = scene.highlight {
        draw_highlight(&ctx, scene, size, h);
    }
}

/// A box overlay row `(lower corner, upper corner)` as a pixel rectangle `(left, top, right,
/// bottom)`, clamped just outside the canvas (unbounded sides lie far away).
fn box_pixels(b: Bounds, size: usize, row: &[f32]) -> (f64, f64, f64, f64) {
    let half = row.len() / 2;
    let clamp = |v: f32| v.clamp(-2.0, size as f32 + 2.0) as f64;
    let (x0, y0) = viz::data_to_pixel(b, size, row[0], row[half + 1]);
    let (x1, y1) = viz::data_to_pixel(b, size, row[half], row[1]);
    (clamp(x0), clamp(y0), clamp(x1), clamp(y1))
}

/// The pointed rule: its box filled translucent with a dark outline, its points ringed.
fn draw_highlight(ctx: &CanvasRenderingContext2d, scene: &Scene, size: usize, h: &Highlight) {
    let boxes = scene.snapshot.and_then(|s| s.overlays.iter().find(|o| o.kind == OverlayKind::Boxes));
    if let Some(o) = boxes
        && let Some(row) = o.coords.chunks(o.width.max(1)).nth(h.rule)
        && o.width >= 4
    {
        let (x0, y0, x1, y1) = box_pixels(scene.bounds, size, row);
        ctx.set_fill_style_str("rgba(255,255,255,0.25)");
        ctx.fill_rect(x0, y0, x1 - x0, y1 - y0);
        ctx.set_stroke_style_str("#111111");
        ctx.set_line_width(3.0);
        ctx.stroke_rect(x0, y0, x1 - x0, y1 - y0);
    }
    ctx.set_stroke_style_str("#111111");
    ctx.set_line_width(2.0);
    for &(x, y) in &h.points {
        let (px, py) = viz::data_to_pixel(scene.bounds, size, x, y);
        ctx.begin_path();
        let _ = ctx.arc(px as f64, py as f64, 7.0, 0.0, std::f64::consts::TAU);
        ctx.stroke();
    }
}

fn draw_axes(ctx: &CanvasRenderingContext2d, b: Bounds, size: usize) {
    ctx.set_stroke_style_str("rgba(0,0,0,0.18)");
    ctx.set_line_width(1.0);
    let (ox, oy) = viz::data_to_pixel(b, size, 0.0, 0.0);
    ctx.begin_path();
    if (0.0..size as f32).contains(&ox) {
        ctx.move_to(ox as f64, 0.0);
        ctx.line_to(ox as f64, size as f64);
    }
    if (0.0..size as f32).contains(&oy) {
        ctx.move_to(0.0, oy as f64);
        ctx.line_to(size as f64, oy as f64);
    }
    ctx.stroke();
}

/// Draws one marker: filled in the class colour with a dark outline, or (hollow kinds) white
/// with a thick class-coloured outline; draggable ones get a white halo.
pub fn draw_marker(ctx: &CanvasRenderingContext2d, marker: Marker, x: f32, y: f32, class: usize, draggable: bool) {
    let r = if marker == Marker::Small { 2.0 } else { 7.0 };
    let Ok(path) = web_sys::Path2d::new_with_path_string(&viz::marker_path(marker, x, y, r)) else { return };
    let colour = viz::class_css(class);
    if draggable {
        ctx.set_stroke_style_str("rgba(255,255,255,0.9)");
        ctx.set_line_width(5.0);
        ctx.stroke_with_path(&path);
    }
    if viz::is_hollow(marker) {
        ctx.set_fill_style_str("rgba(255,255,255,0.85)");
        ctx.fill_with_path_2d(&path);
        ctx.set_stroke_style_str(&colour);
        ctx.set_line_width(3.0);
        ctx.stroke_with_path(&path);
        ctx.set_stroke_style_str("#111111");
        ctx.set_line_width(0.8);
        ctx.stroke_with_path(&path);
    } else {
        ctx.set_fill_style_str(&colour);
        ctx.fill_with_path_2d(&path);
        ctx.set_stroke_style_str("#111111");
        ctx.set_line_width(1.5);
        ctx.stroke_with_path(&path);
    }
}

/// Pixels per data unit along x.
fn scale(b: Bounds, size: usize) -> f64 {
    size as f64 / (b.x.1 - b.x.0) as f64
}

/// An on-hover overlay: only the row whose centre is nearest the pointer (within 10 pixels).
/// Returns the text shown.
fn draw_hovered(ctx: &CanvasRenderingContext2d, scene: &Scene, size: usize, o: &ResolvedOverlay) -> Option<String> {
    let (hx, hy) = scene.hover?;
    if o.width < 3 || o.kind != OverlayKind::Circles {
        return None;
    }
    let reach = 10.0 / scale(scene.bounds, size) as f32;
    let centres: Vec<[f32; 2]> = o.coords.chunks(o.width).map(|r| [r[0], r[1]]).collect();
    let i = viz::nearest_point(&centres, hx, hy, reach)?;
    let row = &o.coords[i * o.width..(i + 1) * o.width];
    let radius = row[o.width - 1];
    let (x, y) = viz::data_to_pixel(scene.bounds, size, row[0], row[1]);
    ctx.set_line_width(2.0);
    ctx.set_stroke_style_str("#111111");
    ctx.begin_path();
    if radius > 0.0 {
        let _ = ctx.arc(x as f64, y as f64, radius as f64 * scale(scene.bounds, size), 0.0, std::f64::consts::TAU);
        ctx.stroke();
    }
    let text = if radius > 0.0 { format!("{}: {radius:.3}", o.label) } else { format!("{}: none (misclassified)", o.label) };
    ctx.set_font("12px sans-serif");
    ctx.set_fill_style_str("rgba(255,255,255,0.85)");
    let w = ctx.measure_text(&text).map(|m| m.width()).unwrap_or(120.0);
    ctx.fill_rect(x as f64 + 8.0, y as f64 - 22.0, w + 8.0, 16.0);
    ctx.set_fill_style_str("#111111");
    let _ = ctx.fill_text(&text, x as f64 + 12.0, y as f64 - 10.0);
    Some(text)
}

/// Generic overlay drawing in the first two input features: markers, arrows, boxes and circles.
fn draw_overlay(ctx: &CanvasRenderingContext2d, scene: &Scene, size: usize, o: &ResolvedOverlay) {
    let (b, kind, width) = (scene.bounds, o.kind, o.width);
    if width == 0 {
        return;
    }
    // A point of the model's input space on the view: projected onto the shown plane (a slice
    // or principal components) when it has the data's dimension, else its first two numbers.
    let at = |v: &[f32]| if v.len() == scene.plane.dim() { scene.plane.project(v) } else { (v[0], v[1]) };
    for (i, (row, class)) in o.coords.chunks(width).zip(&o.classes).enumerate() {
        let colour = viz::class_css(*class as usize);
        ctx.set_stroke_style_str("#111111");
        ctx.set_fill_style_str(&colour);
        ctx.set_line_width(1.5);
        let half = width / 2;
        match kind {
            OverlayKind::Markers if width >= 2 => {
                let (mut dx, mut dy) = at(row);
                if let Some((label, j, x, y)) = scene.dragging
                    && label == o.label
                    && j == i
                {
                    (dx, dy) = (x, y);
                }
                let (x, y) = viz::data_to_pixel(b, size, dx, dy);
                draw_marker(ctx, o.marker, x, y, *class as usize, o.draggable);
            }
            OverlayKind::Circles if width >= 3 => {
                let (x, y) = viz::data_to_pixel(b, size, row[0], row[1]);
                let r = row[width - 1] as f64 * scale(b, size);
                if r > 0.0 && r.is_finite() {
                    ctx.set_stroke_style_str(&colour);
                    ctx.set_global_alpha(0.45);
                    ctx.set_line_width(1.0);
                    ctx.begin_path();
                    let _ = ctx.arc(x as f64, y as f64, r, 0.0, std::f64::consts::TAU);
                    ctx.stroke();
                    ctx.set_global_alpha(1.0);
                }
            }
            OverlayKind::Arrows if half >= 2 => {
                let ((a0, b0), (a1, b1)) = (at(&row[..half]), at(&row[half..]));
                let (x0, y0) = viz::data_to_pixel(b, size, a0, b0);
                let (x1, y1) = viz::data_to_pixel(b, size, a1, b1);
                if (x1 - x0).hypot(y1 - y0) < 1.0 {
                    // No perturbation found (or none needed): nothing to point at.
                    continue;
                }
                // Thin and translucent: an arrow per point must not hide the points. Hollow-marked
                // arrows are upper bounds, dashed and lighter.
                let hollow = viz::is_hollow(o.marker);
                ctx.set_global_alpha(if hollow { 0.35 } else { 0.55 });
                ctx.set_line_width(1.0);
                if hollow {
                    let _ = ctx.set_line_dash(&js_sys::Array::of2(&3.0.into(), &3.0.into()));
                }
                ctx.begin_path();
                ctx.move_to(x0 as f64, y0 as f64);
                ctx.line_to(x1 as f64, y1 as f64);
                ctx.stroke();
                if hollow {
                    let _ = ctx.set_line_dash(&js_sys::Array::new());
                }
                let a = ((y1 - y0) as f64).atan2((x1 - x0) as f64);
                ctx.begin_path();
                ctx.move_to(x1 as f64, y1 as f64);
                ctx.line_to(x1 as f64 - 5.0 * (a - 0.4).cos(), y1 as f64 - 5.0 * (a - 0.4).sin());
                ctx.line_to(x1 as f64 - 5.0 * (a + 0.4).cos(), y1 as f64 - 5.0 * (a + 0.4).sin());
                ctx.close_path();
                ctx.set_fill_style_str("#111111");
                ctx.fill();
                ctx.set_global_alpha(1.0);
            }
            OverlayKind::Boxes | OverlayKind::HatchedBoxes if half >= 2 => {
                let (x0, y0, x1, y1) = box_pixels(b, size, row);
                ctx.set_stroke_style_str(&colour);
                ctx.set_line_width(2.0);
                ctx.stroke_rect(x0, y0, x1 - x0, y1 - y0);
                if kind == OverlayKind::HatchedBoxes {
                    ctx.save();
                    ctx.begin_path();
                    ctx.rect(x0, y0, x1 - x0, y1 - y0);
                    ctx.clip();
                    ctx.set_line_width(1.0);
                    ctx.begin_path();
                    let mut k = x0 - (y1 - y0);
                    while k < x1 {
                        ctx.move_to(k, y1);
                        ctx.line_to(k + (y1 - y0), y0);
                        k += 7.0;
                    }
                    ctx.stroke();
                    ctx.restore();
                }
            }
            _ => {}
        }
    }
}

//! SVG charts: `comparison.svg`, `scaling.svg` and `gantt-<op>.svg`.
//!
//! Charts use plotters' SVG backend with its built-in "naive" font metrics (the `ttf` and
//! `ab_glyph` features are off), so no system font is ever looked up: text is written as SVG
//! `<text>` elements with a `sans-serif` family and the viewer picks the font. Each chart is
//! drawn into a string first ([`comparison_svg`], [`scaling_svg`], [`gantt_svg`]) and then
//! written in one go ([`comparison_chart`], ...), so a failed draw never leaves a half-written
//! file.
//!
//! Colours come from a fixed palette ([`palette_hex`]) in a fixed order, so the same input
//! always gives the same file and tests can count the bars of one series by colour. Empty or
//! invalid inputs (no operations, no points, `end_s < start_s`, ...) are errors, never panics.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::chart_style::{
    color, KeyedAxis, CAPTION_PX, LABEL_PX, MARGIN_PX, PALETTE, SIZE, X_LABEL_AREA_PX,
    Y_LABEL_AREA_PX,
};
use super::published::PublishedTable;
use super::results::{Results, ScalingPoint};

/// The series of the comparison chart, in drawing order (index = palette index).
pub const COMPARISON_SERIES: [&str; 5] = [
    "published previous",
    "published new",
    "our previous",
    "our rayon",
    "our dag",
];

/// One task of a Gantt chart: what ran on which worker, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GanttTask {
    /// Worker (lane) index.
    pub worker: usize,
    /// Start, seconds since the run started.
    pub start_s: f64,
    /// End, seconds since the run started (`>= start_s`).
    pub end_s: f64,
    /// Text drawn inside the bar when it fits (e.g. `keccak#2`).
    pub label: String,
    /// Colour key shown in the legend (e.g. the sub-circuit kind).
    pub category: String,
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// There was nothing to draw.
    #[error("cannot draw {chart}: {what} is empty")]
    Empty {
        /// Which chart.
        chart: &'static str,
        /// Which input was empty.
        what: &'static str,
    },
    /// An input value cannot be drawn (negative, NaN, inverted interval, ...).
    #[error("cannot draw {chart}: {detail}")]
    BadInput {
        /// Which chart.
        chart: &'static str,
        /// What is wrong and where.
        detail: String,
    },
    /// plotters failed.
    #[error("drawing {chart} failed: {detail}")]
    Draw {
        /// Which chart.
        chart: &'static str,
        /// plotters' message.
        detail: String,
    },
    /// The SVG could not be written.
    #[error("cannot write chart `{}`", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The palette colour `i` (cycling) as the `#RRGGBB` string plotters writes into SVG `fill`.
pub fn palette_hex(i: usize) -> String {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    format!("#{r:02X}{g:02X}{b:02X}")
}

fn draw_err(chart: &'static str) -> impl Fn(Box<dyn std::error::Error>) -> ChartError {
    move |e| ChartError::Draw {
        chart,
        detail: e.to_string(),
    }
}

/// Converts plotters' error (generic over the backend) into a boxed error.
fn boxed<E: std::error::Error + Send + Sync + 'static>(
    e: DrawingAreaErrorKind<E>,
) -> Box<dyn std::error::Error> {
    Box::new(e)
}

fn write_svg(svg: String, path: &Path) -> Result<(), ChartError> {
    std::fs::write(path, svg).map_err(|source| ChartError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `comparison.svg`: per operation, grouped bars for the published previous/new times
/// beside our previous/rayon/dag medians ([`COMPARISON_SERIES`] order), with a legend.
pub fn comparison_chart(
    results: &Results,
    published: &PublishedTable,
    path: &Path,
) -> Result<(), ChartError> {
    write_svg(comparison_svg(results, published)?, path)
}

/// [`comparison_chart`] into a string.
pub fn comparison_svg(results: &Results, published: &PublishedTable) -> Result<String, ChartError> {
    const CHART: &str = "the comparison chart";
    if results.operations.is_empty() {
        return Err(ChartError::Empty {
            chart: CHART,
            what: "the operation list",
        });
    }
    let rows: Vec<[f64; 5]> = results
        .operations
        .iter()
        .map(|o| {
            [
                o.published.previous_s,
                o.published.new_s,
                o.previous_s,
                o.rayon_s,
                o.dag_s,
            ]
        })
        .collect();
    for (row, op) in rows.iter().zip(&results.operations) {
        if let Some(i) = row.iter().position(|v| !v.is_finite() || *v < 0.0) {
            return Err(ChartError::BadInput {
                chart: CHART,
                detail: format!(
                    "operation `{}`: {} is {}",
                    op.op, COMPARISON_SERIES[i], row[i]
                ),
            });
        }
    }
    let labels: Vec<String> = results
        .operations
        .iter()
        .map(|o| published.label(&o.op))
        .collect();
    // Head-room above the tallest bar keeps the legend off the bars.
    let y_max = rows
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(*v))
        .max(1e-3)
        * 1.3;
    let n = rows.len() as f64;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let e = draw_err(CHART);
        root.fill(&WHITE).map_err(boxed).map_err(&e)?;
        let centers: Vec<f64> = (0..rows.len()).map(|i| i as f64 + 0.5).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Proving time per operation: published vs zkpar",
                ("sans-serif", CAPTION_PX),
            )
            .margin(MARGIN_PX)
            .x_label_area_size(X_LABEL_AREA_PX)
            .y_label_area_size(Y_LABEL_AREA_PX)
            .build_cartesian_2d(KeyedAxis::new(0.0..n, centers), 0.0..y_max)
            .map_err(boxed)
            .map_err(&e)?;
        let label_of = |x: &f64| labels.get(x.floor() as usize).cloned().unwrap_or_default();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&label_of)
            .y_desc("seconds")
            .label_style(("sans-serif", LABEL_PX))
            .draw()
            .map_err(boxed)
            .map_err(&e)?;
        // Each group spans 0.8 of its unit slot, split evenly between the five series.
        let bar = 0.8 / COMPARISON_SERIES.len() as f64;
        for (s, name) in COMPARISON_SERIES.iter().enumerate() {
            let c = color(s);
            chart
                .draw_series(rows.iter().enumerate().map(|(i, row)| {
                    let x0 = i as f64 + 0.1 + s as f64 * bar;
                    Rectangle::new([(x0, 0.0), (x0 + bar, row[s])], c.filled())
                }))
                .map_err(boxed)
                .map_err(&e)?
                .label(*name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", LABEL_PX))
            .draw()
            .map_err(boxed)
            .map_err(&e)?;
        root.present().map_err(boxed).map_err(&e)?;
    }
    Ok(svg)
}

/// Writes `scaling.svg`: seconds against threads (log2 x axis) for each policy (and each
/// operation when several are given), plus per operation the ideal line `t(1)/n` of the policy
/// fastest at one thread. Without a one-thread point the ideal line starts from the smallest
/// thread count `m` measured: `t(m) * m / n`.
pub fn scaling_chart(points: &[ScalingPoint], path: &Path) -> Result<(), ChartError> {
    write_svg(scaling_svg(points)?, path)
}

/// [`scaling_chart`] into a string.
pub fn scaling_svg(points: &[ScalingPoint]) -> Result<String, ChartError> {
    const CHART: &str = "the scaling chart";
    if points.is_empty() {
        return Err(ChartError::Empty {
            chart: CHART,
            what: "the list of scaling points",
        });
    }
    for (i, p) in points.iter().enumerate() {
        if p.threads == 0 || !p.seconds.is_finite() || p.seconds <= 0.0 {
            return Err(ChartError::BadInput {
                chart: CHART,
                detail: format!(
                    "point {i} ({} / {}): threads must be >= 1 and seconds > 0 (got {} threads, {} s)",
                    p.op, p.policy, p.threads, p.seconds
                ),
            });
        }
    }
    // Series in order of first appearance, which is the caller's (deterministic) order.
    let mut ops: Vec<&str> = Vec::new();
    let mut series: Vec<(&str, &str)> = Vec::new();
    for p in points {
        if !ops.contains(&p.op.as_str()) {
            ops.push(&p.op);
        }
        if !series.contains(&(p.op.as_str(), p.policy.as_str())) {
            series.push((&p.op, &p.policy));
        }
    }
    let threads: BTreeSet<u64> = points.iter().map(|p| p.threads).collect();
    let x_of = |t: u64| (t as f64).log2();
    let (t_min, t_max) = (
        *threads.first().unwrap_or(&1),
        *threads.last().unwrap_or(&1),
    );
    let pad = if t_min == t_max { 0.5 } else { 0.25 };
    let x_range = (x_of(t_min) - pad)..(x_of(t_max) + pad);
    let y_max = points.iter().fold(0.0f64, |m, p| m.max(p.seconds)) * 1.15;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let e = draw_err(CHART);
        root.fill(&WHITE).map_err(boxed).map_err(&e)?;
        let keys: Vec<f64> = threads.iter().map(|t| x_of(*t)).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption("Thread scaling", ("sans-serif", CAPTION_PX))
            .margin(MARGIN_PX)
            .x_label_area_size(X_LABEL_AREA_PX)
            .y_label_area_size(Y_LABEL_AREA_PX)
            .build_cartesian_2d(KeyedAxis::new(x_range, keys), 0.0..y_max)
            .map_err(boxed)
            .map_err(&e)?;
        let thread_label = |x: &f64| format!("{}", x.exp2().round() as u64);
        chart
            .configure_mesh()
            .x_label_formatter(&thread_label)
            .x_desc("threads (log2 scale)")
            .y_desc("seconds")
            .label_style(("sans-serif", LABEL_PX))
            .draw()
            .map_err(boxed)
            .map_err(&e)?;
        for (s, (op, policy)) in series.iter().enumerate() {
            let mut line: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| p.op == *op && p.policy == *policy)
                .map(|p| (x_of(p.threads), p.seconds))
                .collect();
            line.sort_by(|a, b| a.0.total_cmp(&b.0));
            let name = if ops.len() == 1 {
                policy.to_string()
            } else {
                format!("{op} / {policy}")
            };
            let c = color(s);
            chart
                .draw_series(LineSeries::new(line.clone(), c.stroke_width(2)))
                .map_err(boxed)
                .map_err(&e)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
            chart
                .draw_series(line.into_iter().map(|xy| Circle::new(xy, 3, c.filled())))
                .map_err(boxed)
                .map_err(&e)?;
        }
        for (k, op) in ops.iter().enumerate() {
            let of_op: Vec<&ScalingPoint> = points.iter().filter(|p| p.op == *op).collect();
            let m = of_op.iter().map(|p| p.threads).min().unwrap_or(1);
            let t_m = of_op
                .iter()
                .filter(|p| p.threads == m)
                .fold(f64::INFINITY, |acc, p| acc.min(p.seconds));
            let ideal: Vec<(f64, f64)> = threads
                .iter()
                .filter(|t| **t >= m)
                .map(|t| (x_of(*t), t_m * m as f64 / *t as f64))
                .collect();
            let name = match (ops.len(), m) {
                (1, 1) => "ideal t(1)/n".to_string(),
                (1, _) => format!("ideal t({m})*{m}/n"),
                (_, 1) => format!("{op} ideal t(1)/n"),
                _ => format!("{op} ideal t({m})*{m}/n"),
            };
            // Grey shades keep ideal lines apart from the measured series.
            let grey = RGBColor(
                60 + 40 * (k % 4) as u8,
                60 + 40 * (k % 4) as u8,
                60 + 40 * (k % 4) as u8,
            );
            chart
                .draw_series(DashedLineSeries::new(ideal, 6, 4, grey.stroke_width(1)))
                .map_err(boxed)
                .map_err(&e)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], grey.stroke_width(1))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", LABEL_PX))
            .draw()
            .map_err(boxed)
            .map_err(&e)?;
        root.present().map_err(boxed).map_err(&e)?;
    }
    Ok(svg)
}

/// Writes `gantt-<op>.svg`: one lane per worker (worker 0 on top), each task a rectangle from
/// `start_s` to `end_s` coloured by its category (categories sorted by name, so colours are
/// stable between runs), a legend of categories, and a time axis in seconds. Labels are drawn
/// inside bars wide enough to hold them.
pub fn gantt_chart(tasks: &[GanttTask], title: &str, path: &Path) -> Result<(), ChartError> {
    write_svg(gantt_svg(tasks, title)?, path)
}

/// [`gantt_chart`] into a string.
pub fn gantt_svg(tasks: &[GanttTask], title: &str) -> Result<String, ChartError> {
    const CHART: &str = "the Gantt chart";
    if tasks.is_empty() {
        return Err(ChartError::Empty {
            chart: CHART,
            what: "the task list",
        });
    }
    for (i, t) in tasks.iter().enumerate() {
        if !(t.start_s.is_finite()
            && t.end_s.is_finite()
            && t.start_s >= 0.0
            && t.end_s >= t.start_s)
        {
            return Err(ChartError::BadInput {
                chart: CHART,
                detail: format!(
                    "task {i} (`{}` on worker {}): need 0 <= start_s <= end_s, got {} .. {}",
                    t.label, t.worker, t.start_s, t.end_s
                ),
            });
        }
    }
    let workers: Vec<usize> = tasks
        .iter()
        .map(|t| t.worker)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let categories: Vec<&str> = tasks
        .iter()
        .map(|t| t.category.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let lanes = workers.len();
    // Worker 0 on top: lane k occupies y in [lanes-k-1, lanes-k).
    let lane_y = |worker: usize| {
        let k = workers.binary_search(&worker).unwrap_or(0);
        (lanes - k - 1) as f64
    };
    let x_max = tasks.iter().fold(0.0f64, |m, t| m.max(t.end_s)).max(1e-6) * 1.02;

    // Plot area width in pixels, to decide which labels fit inside their bar.
    // Fits "worker 999" at LABEL_PX with the naive font's 0.7 em per character.
    const Y_LABEL_AREA: u32 = 90;
    // Fits a swatch and a category name of about 15 characters.
    const LEGEND_AREA: u32 = 170;
    let plot_px = f64::from(SIZE.0 - 2 * MARGIN_PX - Y_LABEL_AREA - LEGEND_AREA);
    // The naive font estimates 0.7 em per character; at 11 px that is about 6.2 px.
    const LABEL_CHAR_PX: f64 = 6.5;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let e = draw_err(CHART);
        root.fill(&WHITE).map_err(boxed).map_err(&e)?;
        let (plot_area, legend_area) = root.split_horizontally(SIZE.0 - LEGEND_AREA);
        let centers: Vec<f64> = (0..lanes).map(|k| k as f64 + 0.5).collect();
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(title, ("sans-serif", CAPTION_PX))
            .margin(MARGIN_PX)
            .x_label_area_size(X_LABEL_AREA_PX)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(0.0..x_max, KeyedAxis::new(0.0..lanes as f64, centers))
            .map_err(boxed)
            .map_err(&e)?;
        let lane_label = |y: &f64| {
            let k = lanes.saturating_sub(y.floor() as usize + 1);
            workers
                .get(k)
                .map_or_else(String::new, |w| format!("worker {w}"))
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_label_formatter(&lane_label)
            .x_desc("seconds")
            .label_style(("sans-serif", LABEL_PX))
            .draw()
            .map_err(boxed)
            .map_err(&e)?;
        for (c_idx, category) in categories.iter().enumerate() {
            let c = color(c_idx);
            chart
                .draw_series(tasks.iter().filter(|t| t.category == *category).map(|t| {
                    let y = lane_y(t.worker);
                    Rectangle::new([(t.start_s, y + 0.15), (t.end_s, y + 0.85)], c.filled())
                }))
                .map_err(boxed)
                .map_err(&e)?;
        }
        // A white outline on every bar: two tasks of one kind run back to back on a lane would
        // otherwise merge into one bar of one colour.
        chart
            .draw_series(tasks.iter().map(|t| {
                let y = lane_y(t.worker);
                Rectangle::new(
                    [(t.start_s, y + 0.15), (t.end_s, y + 0.85)],
                    WHITE.stroke_width(1),
                )
            }))
            .map_err(boxed)
            .map_err(&e)?;
        chart
            .draw_series(
                tasks
                    .iter()
                    .filter(|t| {
                        (t.end_s - t.start_s) / x_max * plot_px
                            > LABEL_CHAR_PX * t.label.chars().count() as f64 + 4.0
                    })
                    .map(|t| {
                        let y = lane_y(t.worker);
                        // Anchored at the bar's left middle, nudged right and up (pixels) so
                        // the text sits inside the bar rather than on its edge.
                        EmptyElement::at((t.start_s, y + 0.5))
                            + Text::new(
                                t.label.clone(),
                                (4, -6),
                                ("sans-serif", 11).into_font().color(&WHITE),
                            )
                    }),
            )
            .map_err(boxed)
            .map_err(&e)?;

        // Legend drawn by hand in its own area so it never covers tasks.
        let legend_font = ("sans-serif", LABEL_PX).into_font();
        for (c_idx, category) in categories.iter().enumerate() {
            let y = 60 + 22 * c_idx as i32;
            legend_area
                .draw(&Rectangle::new(
                    [(10, y - 6), (24, y + 6)],
                    color(c_idx).filled(),
                ))
                .map_err(boxed)
                .map_err(&e)?;
            legend_area
                .draw(&Text::new(
                    category.to_string(),
                    (30, y - 7),
                    legend_font.clone(),
                ))
                .map_err(boxed)
                .map_err(&e)?;
        }
        root.present().map_err(boxed).map_err(&e)?;
    }
    Ok(svg)
}

//! The sizing chart: predicted seconds against workers, both axes log10.

use std::path::Path;

use plotters::prelude::*;

use super::{fmt_rate, SizingReport};
use crate::report::chart_style::{
    color, KeyedAxis, CAPTION_PX, LABEL_PX, MARGIN_PX, SIZE, X_LABEL_AREA_PX, Y_LABEL_AREA_PX,
};
use crate::report::charts::ChartError;

/// log10 values of the 1-2-5 steps from `lo` to `hi` (both > 0).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut keys = Vec::new();
    let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    for d in d0..=d1 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(d);
            if v >= lo && v <= hi {
                keys.push(v.log10());
            }
        }
    }
    keys
}

fn chart_err(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw {
        chart: CHART,
        detail: e.to_string(),
    }
}

const CHART: &str = "the fleet sizing chart";

/// Writes [`sizing_svg`] to `path` (drawn in memory first, so a failed draw writes nothing).
pub fn sizing_chart(report: &SizingReport, path: &Path) -> Result<(), ChartError> {
    let svg = sizing_svg(report)?;
    std::fs::write(path, svg).map_err(|source| ChartError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The sizing chart as SVG: predicted seconds against workers, both axes log10, with the lower
/// bound and (when finite and positive) the database floor; the caption says "simulated".
/// Seconds must be positive (log axis) and finite.
pub fn sizing_svg(report: &SizingReport) -> Result<String, ChartError> {
    if report.points.is_empty() {
        return Err(ChartError::Empty {
            chart: CHART,
            what: "the list of sizing points",
        });
    }
    let positive = |v: f64| v.is_finite() && v > 0.0;
    for p in &report.points {
        let drawable = p.workers > 0
            && positive(p.predicted_s)
            && positive(p.lower_bound_s)
            && p.db_floor_s.is_finite();
        if !drawable {
            return Err(ChartError::BadInput {
                chart: CHART,
                detail: format!(
                    "{} workers: need workers >= 1 and positive finite seconds on a log axis \
                     (predicted {} s, lower bound {} s, database floor {} s)",
                    p.workers, p.predicted_s, p.lower_bound_s, p.db_floor_s
                ),
            });
        }
    }
    let mut points = report.points.clone();
    points.sort_by_key(|p| p.workers);
    let db_floor = points[0].db_floor_s;
    let lx = |w: usize| (w as f64).log10();
    let (w_min, w_max) = (points[0].workers, points[points.len() - 1].workers);
    let pad = if w_min == w_max {
        0.5
    } else {
        0.05 * (lx(w_max) - lx(w_min))
    };
    let x_range = (lx(w_min) - pad)..(lx(w_max) + pad);
    let x_keys: Vec<f64> = points.iter().map(|p| lx(p.workers)).collect();

    let mut lo = f64::INFINITY;
    let mut hi = 0.0f64;
    for p in &points {
        for v in [p.predicted_s, p.lower_bound_s] {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if db_floor > 0.0 {
        lo = lo.min(db_floor);
        hi = hi.max(db_floor);
    }
    // Room below the lowest line and above the highest for the legend.
    let (y_lo, y_hi) = (lo.log10() - 0.1, hi.log10() + 0.35);
    let mut y_keys = log_ticks(10f64.powf(y_lo), 10f64.powf(y_hi));
    if y_keys.len() < 2 {
        y_keys = vec![lo.log10(), hi.log10()];
    }

    let title = format!(
        "Fleet sizing, {}: simulated proving time ({} threads per worker)",
        report.target, report.model.threads_per_worker
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", CAPTION_PX))
            .margin(MARGIN_PX)
            .x_label_area_size(X_LABEL_AREA_PX)
            .y_label_area_size(Y_LABEL_AREA_PX)
            .build_cartesian_2d(
                KeyedAxis::new(x_range, x_keys),
                KeyedAxis::new(y_lo..y_hi, y_keys),
            )
            .map_err(chart_err)?;
        let worker_label = |x: &f64| format!("{}", 10f64.powf(*x).round() as u64);
        let seconds_label = |y: &f64| {
            // Three significant digits round away the powf noise of the 1-2-5 ticks.
            let v = 10f64.powf(*y);
            let digits = (2.0 - v.log10().floor()).max(0.0) as usize;
            let text = format!("{v:.digits$}");
            if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                text
            }
        };
        chart
            .configure_mesh()
            .x_label_formatter(&worker_label)
            .y_label_formatter(&seconds_label)
            .x_desc("workers (log scale)")
            .y_desc("seconds (log scale)")
            .label_style(("sans-serif", LABEL_PX))
            .draw()
            .map_err(chart_err)?;

        let predicted: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (lx(p.workers), p.predicted_s.log10()))
            .collect();
        let c = color(0);
        chart
            .draw_series(LineSeries::new(predicted.clone(), c.stroke_width(2)))
            .map_err(chart_err)?
            .label("predicted (simulated)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
        chart
            .draw_series(
                predicted
                    .into_iter()
                    .map(|xy| Circle::new(xy, 3, c.filled())),
            )
            .map_err(chart_err)?;

        let bound: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (lx(p.workers), p.lower_bound_s.log10()))
            .collect();
        let grey = RGBColor(100, 100, 100);
        chart
            .draw_series(DashedLineSeries::new(bound, 6, 4, grey.stroke_width(1)))
            .map_err(chart_err)?
            .label("lower bound max(work/lanes, critical path)")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], grey.stroke_width(1))
            });

        if db_floor > 0.0 {
            let c = color(3);
            let y = db_floor.log10();
            let floor = vec![(lx(w_min) - pad, y), (lx(w_max) + pad, y)];
            chart
                .draw_series(DashedLineSeries::new(floor, 6, 4, c.stroke_width(1)))
                .map_err(chart_err)?
                .label(format!(
                    "database floor ({} tasks / {})",
                    report.tasks,
                    fmt_rate(report.model.db_tasks_per_s)
                ))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(1))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", LABEL_PX))
            .draw()
            .map_err(chart_err)?;
        root.present().map_err(chart_err)?;
    }
    Ok(svg)
}

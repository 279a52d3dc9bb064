//! Charts: valid SVG, expected numbers of bars / lanes / tasks, text as `<text>` elements,
//! and errors (not panics) for empty or bad inputs.

mod report_fixtures;

use bench_suite::report::charts::{
    comparison_chart, comparison_svg, gantt_chart, gantt_svg, palette_hex, scaling_chart,
    scaling_svg, ChartError, GanttTask, COMPARISON_SERIES,
};
use bench_suite::report::PublishedTable;
use report_fixtures::{sample_results, sample_scaling};

/// Elements `<rect ...>` whose fill is `color`.
fn rects_filled(svg: &str, color: &str) -> usize {
    svg.split("<rect")
        .skip(1)
        .filter(|el| {
            let tag = &el[..el.find('>').unwrap_or(el.len())];
            tag.contains(&format!("fill=\"{color}\""))
        })
        .count()
}

/// `<text ...>content</text>` contents.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|el| {
            let start = el.find('>').unwrap() + 1;
            let end = el.find("</text>").unwrap();
            el[start..end].trim().to_string()
        })
        .collect()
}

fn assert_svg(svg: &str) {
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..60.min(svg.len())]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(
        svg.contains("<text"),
        "labels are SVG text, no font rasterisation"
    );
}

#[test]
fn comparison_has_one_bar_per_operation_and_series_plus_legend() {
    let results = sample_results();
    let published = PublishedTable::embedded().unwrap();
    let svg = comparison_svg(&results, &published).unwrap();
    assert_svg(&svg);
    for s in 0..COMPARISON_SERIES.len() {
        // One bar per operation plus the legend swatch.
        assert_eq!(
            rects_filled(&svg, &palette_hex(s)),
            results.operations.len() + 1,
            "series {s}"
        );
    }
    let t = texts(&svg);
    for label in [
        "Simple Transfer",
        "Multi-step Contract Call",
        "our dag",
        "published previous",
        "seconds",
    ] {
        assert!(
            t.iter().any(|x| x == label),
            "missing text {label:?} in {t:?}"
        );
    }
    // Fewer operations, fewer bars: the count follows the input.
    let mut two = results.clone();
    two.operations.truncate(2);
    let svg = comparison_svg(&two, &published).unwrap();
    assert_eq!(rects_filled(&svg, &palette_hex(4)), 3);
}

#[test]
fn gantt_has_one_lane_per_worker_and_one_rect_per_task() {
    let mut tasks = Vec::new();
    let categories = ["keccak", "evm", "ecdsa"];
    for worker in [0usize, 1, 2, 5] {
        for k in 0..3 {
            tasks.push(GanttTask {
                worker,
                start_s: k as f64 * 0.4 + worker as f64 * 0.05,
                end_s: k as f64 * 0.4 + 0.35 + worker as f64 * 0.05,
                label: format!("{}#{worker}", categories[(worker + k) % 3]),
                category: categories[(worker + k) % 3].to_string(),
            });
        }
    }
    let svg = gantt_svg(&tasks, "gantt-defi").unwrap();
    assert_svg(&svg);
    let t = texts(&svg);
    let lanes: Vec<&String> = t.iter().filter(|x| x.starts_with("worker ")).collect();
    assert_eq!(lanes.len(), 4, "{lanes:?}");
    assert!(t.iter().any(|x| x == "worker 5"));
    // Categories are coloured in name order: ecdsa, evm, keccak.
    for (i, cat) in ["ecdsa", "evm", "keccak"].iter().enumerate() {
        let n = tasks.iter().filter(|t| t.category == *cat).count();
        assert_eq!(rects_filled(&svg, &palette_hex(i)), n + 1, "{cat}");
        assert!(t.iter().any(|x| x == cat), "legend entry {cat}");
    }
    assert!(t.iter().any(|x| x == "gantt-defi"));
}

#[test]
fn scaling_draws_every_series_and_the_ideal_line() {
    let svg = scaling_svg(&sample_scaling()).unwrap();
    assert_svg(&svg);
    let t = texts(&svg);
    for label in [
        "previous",
        "dag",
        "ideal t(1)/n",
        "1",
        "2",
        "4",
        "8",
        "threads (log2 scale)",
    ] {
        assert!(
            t.iter().any(|x| x == label),
            "missing text {label:?} in {t:?}"
        );
    }
    // Each measured series is one polyline plus its legend line; the ideal line is dashed
    // (many short polylines) in grey.
    let polylines = |color: &str| {
        svg.split("<polyline")
            .skip(1)
            .filter(|el| el[..el.find('>').unwrap()].contains(&format!("stroke=\"{color}\"")))
            .count()
    };
    assert_eq!(polylines(&palette_hex(0)), 2);
    assert_eq!(polylines(&palette_hex(1)), 2);
    assert!(polylines("#3C3C3C") > 10, "dashed ideal line");
    let circles = svg.matches("<circle").count();
    assert_eq!(circles, sample_scaling().len());
}

#[test]
fn empty_and_bad_inputs_are_errors() {
    let published = PublishedTable::embedded().unwrap();
    let mut empty = sample_results();
    empty.operations.clear();
    assert!(matches!(
        comparison_svg(&empty, &published),
        Err(ChartError::Empty { .. })
    ));
    assert!(matches!(scaling_svg(&[]), Err(ChartError::Empty { .. })));
    assert!(matches!(gantt_svg(&[], "x"), Err(ChartError::Empty { .. })));

    let mut bad = sample_scaling();
    bad[3].threads = 0;
    let err = scaling_svg(&bad).unwrap_err();
    assert!(
        matches!(err, ChartError::BadInput { .. }) && err.to_string().contains("point 3"),
        "{err}"
    );
    let task = GanttTask {
        worker: 0,
        start_s: 2.0,
        end_s: 1.0,
        label: "evm".into(),
        category: "evm".into(),
    };
    let err = gantt_svg(&[task], "x").unwrap_err();
    assert!(err.to_string().contains("task 0"), "{err}");
    let mut nan = sample_results();
    nan.operations[0].dag_s = f64::NAN;
    assert!(matches!(
        comparison_svg(&nan, &published),
        Err(ChartError::BadInput { .. })
    ));
}

#[test]
fn chart_files_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let published = PublishedTable::embedded().unwrap();
    let comparison = dir.path().join("comparison.svg");
    comparison_chart(&sample_results(), &published, &comparison).unwrap();
    let scaling = dir.path().join("scaling.svg");
    scaling_chart(&sample_scaling(), &scaling).unwrap();
    let gantt = dir.path().join("gantt-transfer.svg");
    let task = GanttTask {
        worker: 0,
        start_s: 0.0,
        end_s: 1.0,
        label: "evm".into(),
        category: "evm".into(),
    };
    gantt_chart(&[task], "gantt-transfer", &gantt).unwrap();
    for path in [comparison, scaling, gantt] {
        assert_svg(&std::fs::read_to_string(&path).unwrap());
    }
    let err = scaling_chart(&sample_scaling(), &dir.path().join("no/such/dir.svg")).unwrap_err();
    assert!(matches!(err, ChartError::Write { .. }), "{err}");
}

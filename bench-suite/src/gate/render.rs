//! A [`GateReport`] as the aligned text table `zkpar gate` prints.

use std::fmt::Write as _;

use super::{GateReport, Ratio, Verdict};

impl GateReport {
    /// The comparison as an aligned text table followed by a one-line summary.
    pub fn render(&self) -> String {
        let fmt_ratio = |r: &Option<Ratio>| {
            r.as_ref()
                .map_or_else(|| "-".to_string(), |r| format!("{:.4}", r.value))
        };
        let fmt_basis = |r: &Option<Ratio>| r.as_ref().map_or_else(String::new, Ratio::basis);
        let mut lines: Vec<[String; 9]> = vec![[
            "op".into(),
            "metric".into(),
            "baseline".into(),
            "from".into(),
            "current".into(),
            "from".into(),
            "change".into(),
            "limit".into(),
            "verdict".into(),
        ]];
        for row in &self.rows {
            lines.push([
                row.op.clone(),
                row.metric.name().into(),
                fmt_ratio(&row.baseline),
                fmt_basis(&row.baseline),
                fmt_ratio(&row.current),
                fmt_basis(&row.current),
                row.change_pct
                    .map_or_else(|| "-".into(), |c| format!("{c:+.1}%")),
                format!("+{}%", self.thresholds.of_row(row)),
                match &row.verdict {
                    Verdict::Holds => "ok".into(),
                    Verdict::Regressed => "REGRESSED".into(),
                    Verdict::NotJudged(why) => format!("not judged ({why})"),
                },
            ]);
        }
        let mut widths = [0usize; 9];
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.len());
            }
        }
        let mut out = String::new();
        for line in &lines {
            let mut text = String::new();
            for (i, (cell, w)) in line.iter().zip(widths).enumerate() {
                // Names left-aligned, numbers right-aligned; the last column is not padded.
                match i {
                    0 | 1 | 3 | 5 => {
                        let _ = write!(text, "{cell:<w$}  ");
                    }
                    8 => text.push_str(cell),
                    _ => {
                        let _ = write!(text, "{cell:>w$}  ");
                    }
                }
            }
            let _ = writeln!(out, "{}", text.trim_end());
        }
        let limits = self.thresholds.describe();
        let regressions = self.regressions();
        if regressions.is_empty() {
            let _ = writeln!(out, "gate: pass (no ratio grew past its limit: {limits})");
        } else {
            let _ = writeln!(
                out,
                "gate: FAIL: grew past its limit ({limits}): {}",
                regressions.join("; ")
            );
        }
        out
    }
}

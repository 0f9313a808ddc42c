//! Hand-built SVG charts (stacked vertical bars, horizontal bars). Hand-built rather than
//! plotters: the charts are simple, every label passes through one escaping function, and the
//! output is small and deterministic.

use std::fmt::Write;

use super::html::esc;

/// One bar: a label and stacked segments (value, CSS colour).
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub segments: Vec<(f64, &'static str)>,
}

/// Vertical stacked bars with a y axis; at most ~60 x labels are printed.
pub fn stacked_bars(title: &str, bars: &[Bar], legend: &[(&str, &'static str)]) -> String {
    let (w, h, left, bottom, top) = (760.0, 280.0, 50.0, 60.0, 30.0);
    let max = bars
        .iter()
        .map(|b| b.segments.iter().map(|s| s.0).sum::<f64>())
        .fold(0.0f64, f64::max)
        .max(1.0);
    let plot_w = w - left - 10.0;
    let plot_h = h - bottom - top;
    let n = bars.len().max(1) as f64;
    let bw = plot_w / n;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{y0}" stroke="#888"/><line x1="{left}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#888"/>"##,
        y0 = top + plot_h,
        x1 = left + plot_w
    );
    for tick in 0..=4 {
        let v = max * tick as f64 / 4.0;
        let y = top + plot_h - plot_h * tick as f64 / 4.0;
        let _ = write!(
            s,
            r##"<text x="{x}" y="{y:.1}" font-size="10" text-anchor="end">{v}</text>"##,
            x = left - 4.0,
            v = compact(v)
        );
    }
    let every = (bars.len() / 30).max(1);
    for (i, b) in bars.iter().enumerate() {
        let x = left + bw * i as f64;
        let mut y = top + plot_h;
        let total: f64 = b.segments.iter().map(|s| s.0).sum();
        for (v, colour) in &b.segments {
            let hgt = plot_h * v / max;
            y -= hgt;
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{hgt:.1}" fill="{colour}"><title>{l}: {v}</title></rect>"#,
                bw = (bw - 1.0).max(0.5),
                l = esc(&b.label),
                v = compact(*v)
            );
        }
        let _ = total;
        if i % every == 0 {
            let lx = x + bw / 2.0;
            let ly = top + plot_h + 8.0;
            let _ = write!(
                s,
                r#"<text x="{lx:.1}" y="{ly:.1}" font-size="9" text-anchor="end" transform="rotate(-60 {lx:.1} {ly:.1})">{}</text>"#,
                esc(&b.label)
            );
        }
    }
    for (i, (name, colour)) in legend.iter().enumerate() {
        let x = left + 10.0 + 120.0 * i as f64;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="8" width="10" height="10" fill="{colour}"/><text x="{tx}" y="17" font-size="11">{}</text>"#,
            esc(name),
            tx = x + 14.0
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one per row, values in 0..=max (e.g. rates in 0..=1 shown as percent).
pub fn horizontal_bars(title: &str, rows: &[(String, f64)], max: f64, percent: bool) -> String {
    let row_h = 18.0;
    let (w, left) = (760.0, 200.0);
    let h = 20.0 + row_h * rows.len() as f64;
    let max = if max > 0.0 { max } else { 1.0 };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 10.0 + row_h * i as f64;
        let bw = (w - left - 70.0) * (v / max).clamp(0.0, 1.0);
        let shown = if percent {
            format!("{:.1} %", v * 100.0)
        } else {
            compact(*v)
        };
        let _ = write!(
            s,
            r##"<text x="{tx}" y="{ty:.1}" font-size="11" text-anchor="end">{l}</text><rect x="{left}" y="{y:.1}" width="{bw:.1}" height="{bh}" fill="#3b7dd8"/><text x="{vx:.1}" y="{ty:.1}" font-size="11">{shown}</text>"##,
            tx = left - 6.0,
            ty = y + 12.0,
            l = esc(label),
            bh = row_h - 4.0,
            vx = left + bw + 4.0,
        );
    }
    s.push_str("</svg>");
    s
}

/// One row of a timeline: a label, a time span (Unix seconds) and a number shown beside it.
#[derive(Debug, Clone)]
pub struct Span {
    pub label: String,
    pub from: i64,
    pub to: i64,
    pub value: u64,
}

/// Horizontal spans on a shared time axis (first to last date printed below), one row each;
/// labels longer than 32 characters are shortened (the full label is the bar's tooltip).
pub fn timeline(title: &str, spans: &[Span]) -> String {
    let row_h = 18.0;
    let (w, left, right) = (760.0, 230.0, 50.0);
    let h = 40.0 + row_h * spans.len() as f64;
    let lo = spans.iter().map(|s| s.from).min().unwrap_or(0);
    let hi = spans.iter().map(|s| s.to).max().unwrap_or(0).max(lo + 1);
    let plot_w = w - left - right;
    let x = |t: i64| left + plot_w * (t - lo) as f64 / (hi - lo) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, span) in spans.iter().enumerate() {
        let y = 10.0 + row_h * i as f64;
        let short: String = if span.label.chars().count() > 32 {
            span.label.chars().take(31).chain(['…']).collect()
        } else {
            span.label.clone()
        };
        let (x0, x1) = (x(span.from), x(span.to.max(span.from)));
        let _ = write!(
            s,
            r##"<text x="{tx}" y="{ty:.1}" font-size="11" text-anchor="end">{l}</text><rect x="{x0:.1}" y="{y:.1}" width="{bw:.1}" height="{bh}" fill="#3b7dd8"><title>{full}</title></rect><text x="{vx:.1}" y="{ty:.1}" font-size="11">{v}</text>"##,
            tx = left - 6.0,
            ty = y + 12.0,
            l = esc(&short),
            full = esc(&span.label),
            bw = (x1 - x0).max(2.0),
            bh = row_h - 4.0,
            vx = x1.max(x0 + 2.0) + 4.0,
            v = span.value,
        );
    }
    let axis_y = 14.0 + row_h * spans.len() as f64;
    let date = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{axis_y}" x2="{x1}" y2="{axis_y}" stroke="#888"/><text x="{left}" y="{ty}" font-size="10">{a}</text><text x="{x1}" y="{ty}" font-size="10" text-anchor="end">{b}</text>"##,
        x1 = left + plot_w,
        ty = axis_y + 14.0,
        a = date(lo),
        b = date(hi),
    );
    s.push_str("</svg>");
    s
}

/// 1234 -> "1234", 12345.6 -> "12.3k", 0.25 -> "0.25".
fn compact(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v.fract() == 0.0 || v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let bars = vec![Bar {
            label: "<script>x</script>".into(),
            segments: vec![(3.0, "#c00")],
        }];
        let svg = stacked_bars("t & t", &bars, &[("a<b", "#c00")]);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("t &amp; t"));
        let svg = timeline(
            "t",
            &[Span {
                label: "<b>re30 · ausfall</b> and a label far longer than thirty-two chars".into(),
                from: 1_500_000_000,
                to: 1_500_086_400,
                value: 3,
            }],
        );
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;b&gt;re30"));
        assert!(svg.contains("2017-07-14 02:40"));
        let svg = horizontal_bars("x", &[("\"><img>".into(), 0.5)], 1.0, true);
        assert!(!svg.contains("<img>"));
        assert!(svg.contains("50.0 %"));
    }
}

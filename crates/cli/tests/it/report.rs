//! `kundenversteher report`: from the store after an import, and straight from the file, the
//! same figures; all three formats are written.

use serde_json::Value;

use crate::{Run, import, kv, shared};

fn json(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{run:?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

/// The groups of two reports are equal; on a difference, names the group and the figure.
fn same_groups(a: &Value, b: &Value) {
    let (ga, gb) = (
        a["groups"].as_array().unwrap(),
        b["groups"].as_array().unwrap(),
    );
    let keys = |g: &[Value]| g.iter().map(|x| x["key"].clone()).collect::<Vec<_>>();
    assert_eq!(keys(ga), keys(gb));
    for (x, y) in ga.iter().zip(gb).chain([(&a["overall"], &b["overall"])]) {
        for (field, v) in x.as_object().unwrap() {
            assert_eq!(v, &y[field], "group {} figure {field}", x["key"]);
        }
    }
}

#[test]
fn report_from_store_equals_report_from_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let file = shared("twcs/twcs_head5000.csv");
    let (_, summary) = import(&data, "twcs", &[&file]);
    assert_eq!(summary.imported, 5000);

    let from_store = json(
        &kv(&data)
            .args(["report", "--by", "brand", "--format", "json", "-o", "-"])
            .output()
            .unwrap()
            .into(),
    );
    let from_file = json(
        &kv(&data)
            .args(["report", "--format", "json", "--input", "twcs"])
            .arg(&file)
            .output()
            .unwrap()
            .into(),
    );
    assert_eq!(from_store["method"]["id"], "kundenversteher-metrics");
    same_groups(&from_store, &from_file);
    let apple = from_store["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "AppleSupport")
        .unwrap();
    assert!(apple["response_rate"].as_f64().unwrap() > 0.5);
    assert!(apple["first_response_time_s"]["median"].as_f64().unwrap() > 0.0);

    // HTML and the facts CSV; the CSV alone gives the same figures again.
    let html = tmp.path().join("report.html");
    let csv = tmp.path().join("facts.csv");
    for (format, path) in [("html", &html), ("csv", &csv)] {
        let run: Run = kv(&data)
            .args(["report", "--lang", "en", "--format", format, "-o"])
            .arg(path)
            .output()
            .unwrap()
            .into();
        assert_eq!(run.code, 0, "{run:?}");
    }
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("kundenversteher-metrics") && page.contains("<svg"));
    let rows = std::fs::read_to_string(&csv).unwrap().lines().count();
    assert_eq!(
        rows as u64,
        from_store["population"]["conversations"].as_u64().unwrap() + 1
    );
    let from_csv = json(
        &kv(&data)
            .args(["report", "--format", "json", "--input", "facts"])
            .arg(&csv)
            .output()
            .unwrap()
            .into(),
    );
    same_groups(&from_csv, &from_store);
}

#[test]
fn bad_options_are_user_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let run: Run = kv(tmp.path())
        .args(["report", "--format", "json"])
        .output()
        .unwrap()
        .into();
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("no store"), "{run:?}");
    let bad = tmp.path().join("phrases.toml");
    std::fs::write(&bad, "[[phrase]]\ntext = \"\"\n").unwrap();
    let run: Run = kv(tmp.path())
        .args(["report", "--input", "twcs"])
        .arg(shared("twcs/sample.csv"))
        .arg("--phrases")
        .arg(&bad)
        .output()
        .unwrap()
        .into();
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("phrases.toml"), "{run:?}");
}

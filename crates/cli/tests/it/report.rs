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

/// With `--input`, the report groups the customer messages into cases with the same code as
/// `kundenversteher cases`: the same cases, and each case's span covers its members.
#[test]
fn cases_from_files_agree_with_the_cases_command() {
    let tmp = tempfile::tempdir().unwrap();
    let file = shared("twcs/twcs_head5000.csv");
    let report = json(
        &kv(tmp.path())
            .args(["report", "--format", "json", "--input", "twcs"])
            .arg(&file)
            .output()
            .unwrap()
            .into(),
    );
    let run: Run = kv(tmp.path())
        .args(["cases", "--format", "twcs", "--json", "--min-size", "2"])
        .arg(&file)
        .output()
        .unwrap()
        .into();
    assert_eq!(run.code, 0, "{run:?}");
    let grouped: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cases = &report["cases"];
    let list = cases["list"].as_array().unwrap();
    assert!(list.len() >= 10, "{}", list.len());
    assert_eq!(cases["cases"].as_u64().unwrap() as usize, list.len());
    assert_eq!(list.len(), grouped.len());
    for case in &grouped {
        let id: usize = case["case_id"]
            .as_str()
            .unwrap()
            .trim_start_matches("case-")
            .parse()
            .unwrap();
        let key = format!("#{id} {}", case["label"].as_str().unwrap());
        let row = list
            .iter()
            .find(|r| r["case"] == key.as_str())
            .unwrap_or_else(|| panic!("no case {key} in the report"));
        let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        assert!(at(&row["first_at"]) <= at(&case["first_seen"]), "{key}");
        assert!(at(&row["last_at"]) >= at(&case["last_seen"]), "{key}");
        assert_eq!(
            row["lifetime_s"].as_i64().unwrap(),
            (at(&row["last_at"]) - at(&row["first_at"])).num_seconds()
        );
        let conversations = row["conversations"].as_u64().unwrap();
        assert!(conversations >= 1 && conversations <= case["size"].as_u64().unwrap());
    }
    // Business hours with German holidays and a time zone are named in the method block.
    let run: Run = kv(tmp.path())
        .args([
            "report",
            "--format",
            "json",
            "--business-hours",
            "09:00-17:00",
        ])
        .args([
            "--time-zone",
            "Europe/Berlin",
            "--holidays",
            "de,2017-10-31",
        ])
        .args(["--input", "twcs"])
        .arg(&file)
        .output()
        .unwrap()
        .into();
    let with_holidays = json(&run);
    assert_eq!(
        with_holidays["method"]["business_hours"],
        "Mon,Tue,Wed,Thu,Fri 09:00-17:00 Europe/Berlin; closed: German public holidays, 2017-10-31"
    );
    let business = |r: &Value| r["overall"]["first_response_business_s"]["mean"].as_f64();
    assert_ne!(business(&with_holidays), business(&report));
    let run: Run = kv(tmp.path())
        .args(["report", "--holidays", "xmas", "--input", "twcs"])
        .arg(&file)
        .output()
        .unwrap()
        .into();
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("--holidays"), "{run:?}");
}

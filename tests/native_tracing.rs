//! The `tracing` feature: a request's span and its attempts' spans, with
//! OpenTelemetry's field names, captured by a `tracing-subscriber` layer;
//! no credential appears in any field.
#![cfg(not(target_family = "wasm"))]

mod support;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;
use unifetch::{Retry, Session};

/// A span as recorded: its name and its fields, as text.
#[derive(Debug, Clone, Default)]
struct Captured {
    name: String,
    fields: BTreeMap<String, String>,
}

/// Keeps every span and what was recorded in it, in order of creation.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<(Id, Captured)>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut span = Captured {
            name: attributes.metadata().name().to_owned(),
            ..Captured::default()
        };
        attributes.record(&mut Fields(&mut span.fields));
        self.0.lock().unwrap().push((id.clone(), span));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        if let Some((_, span)) = spans.iter_mut().rev().find(|(known, _)| known == id) {
            values.record(&mut Fields(&mut span.fields));
        }
    }
}

impl Capture {
    fn named(&self, name: &str) -> Vec<Captured> {
        let spans = self.0.lock().unwrap();
        spans
            .iter()
            .filter(|(_, span)| span.name == name)
            .map(|(_, span)| span.clone())
            .collect()
    }
}

#[tokio::test]
async fn a_request_and_its_attempts_have_spans_with_otel_fields() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let base = support::site_url();
    let session = Session::builder()
        .retry(Retry::default().max_attempts(2).backoff(|_| Duration::from_millis(10)))
        .build()
        .unwrap();
    let url = base.replace("http://", "http://ann:pass-secret@");
    let response = session
        .get(format!("{url}/status/503"))
        .bearer_auth("token-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body = response.bytes().await.unwrap();

    let requests = capture.named("http.request");
    assert_eq!(requests.len(), 1, "{requests:?}");
    let request = &requests[0].fields;
    let port = base.rsplit(':').next().unwrap();
    assert_eq!(request["http.request.method"], "GET");
    assert_eq!(request["otel.name"], "GET");
    assert_eq!(
        request["url.full"],
        format!("http://REDACTED:REDACTED@127.0.0.1:{port}/status/503")
    );
    assert_eq!(request["server.address"], "127.0.0.1");
    assert_eq!(request["server.port"], port);
    assert_eq!(request["http.response.status_code"], "503");
    assert_eq!(request["http.request.resend_count"], "1");
    assert_eq!(request["http.response.body.size"], body.len().to_string());
    assert!(request.contains_key("unifetch.body_ms"), "{request:?}");

    let attempts = capture.named("http.attempt");
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    for (resent, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt.fields["http.request.resend_count"], resent.to_string());
        assert_eq!(attempt.fields["http.response.status_code"], "503");
        assert!(attempt.fields.contains_key("unifetch.headers_ms"), "{attempt:?}");
    }
    assert!(
        attempts[0].fields.contains_key("unifetch.connect_ms"),
        "a new connection: {attempts:?}"
    );

    let everything = format!("{:?}", capture.0.lock().unwrap());
    assert!(
        !everything.contains("secret"),
        "no credential in any span: {everything}"
    );
}

#[tokio::test]
async fn a_failed_request_records_its_error_type() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let session = Session::builder().retry(Retry::none()).build().unwrap();
    let closed = format!("http://127.0.0.1:{}/", support::closed_port());
    let error = session.get(closed).send().await.unwrap_err();
    assert!(error.is_connect(), "{error}");
    let requests = capture.named("http.request");
    assert_eq!(requests[0].fields["error.type"], error.kind_name());
    assert!(!requests[0].fields.contains_key("http.response.status_code"));
    let attempts = capture.named("http.attempt");
    assert_eq!(attempts[0].fields["error.type"], error.kind_name());
}

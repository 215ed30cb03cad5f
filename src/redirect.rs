//! [`Redirect`]: whether and how far redirects are followed, and how each
//! hop rewrites the request (method, body, credentials) the way browsers do.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::header::{
    HeaderMap, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION, PROXY_AUTHORIZATION,
    TRANSFER_ENCODING,
};
use http::{Method, StatusCode};
use url::Url;

use crate::error::BoxError;
use crate::transport::{MaybeSend, MaybeSync};
use crate::{Body, Error, Result};

/// A custom redirect policy: `Send + Sync` natively, anything on wasm.
trait Decide: Fn(Attempt<'_>) -> Action + MaybeSend + MaybeSync {}
impl<F: Fn(Attempt<'_>) -> Action + MaybeSend + MaybeSync> Decide for F {}

/// The redirect policy of a session.
///
/// ```
/// use unifetch::redirect::Redirect;
/// let _ = Redirect::limited(3);
/// let _ = Redirect::none();
/// let _ = Redirect::custom(|attempt| {
///     if attempt.url().host_str() == Some("example.com") {
///         attempt.follow()
///     } else {
///         attempt.stop()
///     }
/// });
/// ```
#[derive(Clone)]
pub struct Redirect {
    policy: Policy,
}

#[derive(Clone)]
enum Policy {
    Limited(usize),
    None,
    Custom(Arc<dyn Decide>),
}

impl Redirect {
    /// Follows up to `max` redirects; one more is an [`is_redirect`](Error::is_redirect) error.
    pub fn limited(max: usize) -> Redirect {
        Redirect {
            policy: Policy::Limited(max),
        }
    }

    /// Never follows: a 3xx response is returned as it is.
    pub fn none() -> Redirect {
        Redirect { policy: Policy::None }
    }

    /// Asks `decide` at every hop (loops are still detected and refused).
    pub fn custom<F>(decide: F) -> Redirect
    where
        F: Fn(Attempt<'_>) -> Action + MaybeSend + MaybeSync + 'static,
    {
        // On wasm the policy need not be `Send`; one `Arc` keeps one type.
        #[allow(clippy::arc_with_non_send_sync)]
        let decide = Arc::new(decide);
        Redirect {
            policy: Policy::Custom(decide),
        }
    }

    /// Whether this policy ever follows a redirect.
    pub(crate) fn follows(&self) -> bool {
        !matches!(self.policy, Policy::None)
    }

    fn decide(&self, attempt: Attempt<'_>) -> Action {
        match &self.policy {
            Policy::None => attempt.stop(),
            Policy::Limited(max) if attempt.previous.len() > *max => attempt.error(TooManyRedirects(*max)),
            Policy::Limited(_) => attempt.follow(),
            Policy::Custom(decide) => decide(attempt),
        }
    }
}

impl Default for Redirect {
    /// Follows up to 10 redirects.
    fn default() -> Redirect {
        Redirect::limited(10)
    }
}

impl fmt::Debug for Redirect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.policy {
            Policy::Limited(max) => write!(f, "Redirect::limited({max})"),
            Policy::None => f.write_str("Redirect::none()"),
            Policy::Custom(_) => f.write_str("Redirect::custom(..)"),
        }
    }
}

/// One redirect about to be followed, shown to a [`Redirect::custom`] policy.
#[derive(Debug)]
pub struct Attempt<'a> {
    status: StatusCode,
    next: &'a Url,
    previous: &'a [Url],
}

impl Attempt<'_> {
    /// The redirect's status (301, 302, 303, 307 or 308).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Where the redirect points.
    pub fn url(&self) -> &Url {
        self.next
    }

    /// The URLs requested so far, the first one first.
    pub fn previous(&self) -> &[Url] {
        self.previous
    }

    /// Follow this redirect.
    pub fn follow(self) -> Action {
        Action(Decision::Follow)
    }

    /// Stop here and return the 3xx response.
    pub fn stop(self) -> Action {
        Action(Decision::Stop)
    }

    /// Fail the request with an [`is_redirect`](Error::is_redirect) error.
    pub fn error(self, error: impl Into<BoxError>) -> Action {
        Action(Decision::Error(error.into()))
    }
}

/// What a redirect policy decided; made by [`Attempt`]'s methods.
pub struct Action(Decision);

enum Decision {
    Follow,
    Stop,
    Error(BoxError),
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Decision::Follow => f.write_str("Follow"),
            Decision::Stop => f.write_str("Stop"),
            Decision::Error(e) => write!(f, "Error({e})"),
        }
    }
}

/// One request of a redirect chain, as it goes out. The first hop
/// borrows the exchange's headers; a redirect's hop owns its rewritten ones.
#[derive(Debug)]
pub(crate) struct Hop<'h> {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: Cow<'h, HeaderMap>,
    pub(crate) body: Body,
}

impl Hop<'_> {
    /// The body to send now. A copy stays behind for a 307 or 308 to send
    /// again; a stream cannot be copied, so an empty stream stays instead,
    /// which stops such a redirect.
    pub(crate) fn take_body(&mut self) -> Body {
        let copy = self.body.try_clone().unwrap_or_else(Body::unreplayable);
        std::mem::replace(&mut self.body, copy)
    }
}

/// Decides what follows `response` to `hop`: `None` to return the
/// response, or the next hop, rewritten (method, body, and the headers
/// that must not follow the request elsewhere).
///
/// `history` lists the URLs requested before `hop`; the hop's URL joins
/// it when the redirect is followed (and only then: a response that is no
/// redirect costs no copy of its URL).
pub(crate) fn next_hop(
    policy: &Redirect,
    hop: &Hop<'_>,
    response: &http::response::Parts,
    history: &mut Vec<Url>,
) -> Result<Option<Hop<'static>>> {
    let keeps_method = match response.status {
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND | StatusCode::SEE_OTHER => false,
        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => true,
        _ => return Ok(None),
    };
    let Some(next) = location(hop, response)? else {
        return Ok(None);
    };
    if next == hop.url || history.contains(&next) {
        return Err(Error::redirect(RedirectLoop(next.to_string())));
    }
    history.push(hop.url.clone());
    let attempt = Attempt {
        status: response.status,
        next: &next,
        previous: history,
    };
    let decided = match policy.decide(attempt).0 {
        Decision::Follow => Ok(hop.rewrite(next, keeps_method)),
        Decision::Stop => Ok(None),
        Decision::Error(e) => Err(Error::redirect(e)),
    };
    if !matches!(decided, Ok(Some(_))) {
        history.pop();
    }
    decided
}

/// Where the response's `Location` points, resolved against the hop's URL.
fn location(hop: &Hop<'_>, response: &http::response::Parts) -> Result<Option<Url>> {
    let Some(location) = response.headers.get(LOCATION) else {
        return Ok(None);
    };
    let next = location
        .to_str()
        .map_err(|e| Box::new(e) as BoxError)
        .and_then(|location| hop.url.join(location).map_err(|e| e.into()))
        .map_err(|e| Error::redirect(BadLocation(e)))?;
    if !matches!(next.scheme(), "http" | "https") {
        let why = format!("scheme {:?} is not http(s)", next.scheme());
        return Err(Error::redirect(BadLocation(why.into())));
    }
    Ok(Some(next))
}

impl Hop<'_> {
    /// The hop to `next`, as browsers make it: 307 and 308 keep the method
    /// and body (unless the body was a stream: then `None`), the others
    /// turn into a body-less `GET`; credentials stay on the origin.
    fn rewrite(&self, next: Url, keeps_method: bool) -> Option<Hop<'static>> {
        let mut headers = self.headers.clone().into_owned();
        let (method, body) = if keeps_method {
            (self.method.clone(), self.body.try_clone()?)
        } else {
            for name in [CONTENT_TYPE, CONTENT_LENGTH, CONTENT_ENCODING, TRANSFER_ENCODING] {
                headers.remove(name);
            }
            let method = if self.method == Method::HEAD {
                Method::HEAD
            } else {
                Method::GET
            };
            (method, Body::empty())
        };
        if next.origin() != self.url.origin() {
            for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION] {
                headers.remove(name);
            }
        }
        Some(Hop {
            method,
            url: next,
            headers: Cow::Owned(headers),
            body,
        })
    }
}

#[derive(Debug)]
struct TooManyRedirects(usize);

impl fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "more than {} redirects", self.0)
    }
}

impl std::error::Error for TooManyRedirects {}

#[derive(Debug)]
struct RedirectLoop(String);

impl fmt::Display for RedirectLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "redirect loop back to {}", self.0)
    }
}

impl std::error::Error for RedirectLoop {}

#[derive(Debug)]
struct BadLocation(BoxError);

impl fmt::Display for BadLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unusable Location header: {}", self.0)
    }
}

impl std::error::Error for BadLocation {}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn hop(status: u16, location: &str, method: Method, body: Body) -> (Result<Option<Hop<'static>>>, HeaderMap) {
        let mut response = http::Response::new(());
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        response
            .headers_mut()
            .insert(LOCATION, HeaderValue::from_str(location).unwrap());
        let (response, ()) = response.into_parts();
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let current = Hop {
            method,
            url: Url::parse("http://a.test/start").unwrap(),
            headers: Cow::Owned(headers),
            body,
        };
        let next = next_hop(&Redirect::default(), &current, &response, &mut Vec::new());
        let headers = next
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .map(|hop| hop.headers.clone().into_owned())
            .unwrap_or_default();
        (next, headers)
    }

    #[test]
    fn see_other_turns_post_into_get_and_drops_the_body() {
        let (next, headers) = hop(303, "/done", Method::POST, Body::from("x"));
        let next = next.unwrap().unwrap();
        assert_eq!(next.method, Method::GET);
        assert_eq!(next.url.as_str(), "http://a.test/done");
        assert_eq!(next.body.as_bytes(), Some(&b""[..]));
        assert!(!headers.contains_key(CONTENT_TYPE));
        assert!(headers.contains_key(AUTHORIZATION), "same origin keeps credentials");
    }

    #[test]
    fn temporary_redirect_keeps_method_and_body_but_not_credentials_across_origins() {
        let (next, headers) = hop(307, "http://b.test/x", Method::POST, Body::from("x"));
        let next = next.unwrap().unwrap();
        assert_eq!(next.method, Method::POST);
        assert_eq!(next.body.as_bytes(), Some(&b"x"[..]));
        assert!(!headers.contains_key(AUTHORIZATION));
    }

    #[test]
    fn a_streamed_body_stops_a_307() {
        let stream = futures::stream::iter([Ok::<_, std::io::Error>("x")]);
        let (next, _) = hop(307, "/again", Method::PUT, Body::wrap_stream(stream));
        assert!(next.unwrap().is_none());
    }

    #[test]
    fn loops_and_bad_locations_are_redirect_errors() {
        assert!(hop(302, "/start", Method::GET, Body::empty())
            .0
            .unwrap_err()
            .is_redirect());
        assert!(hop(302, "ftp://x/", Method::GET, Body::empty())
            .0
            .unwrap_err()
            .is_redirect());
    }
}

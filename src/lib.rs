//! unifetch
mod body;
mod error;
mod exchange;
mod incoming;
mod limit;
pub mod redirect;
mod request;
mod response;
mod session;
mod timeout;
pub mod transport;

pub use body::Body;
pub use error::{BoxError, Error, Phase, Result, TimeoutKind};
pub use limit::Limits;
pub use request::RequestBuilder;
pub use response::{Chunks, Response};
pub use session::{Session, SessionBuilder};
pub use timeout::Timeout;
pub use http::{header, HeaderMap, Method, StatusCode, Version};
pub use url::Url;

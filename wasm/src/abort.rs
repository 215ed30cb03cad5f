//! `signal`: an `AbortSignal` raced against the core's futures. When it
//! fires, the future is dropped (which aborts the fetch and frees the
//! request's slots) and the promise rejects with the signal's `reason`.

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortSignal, AddEventListenerOptions};

/// Watches one `AbortSignal`; cheap to clone. Its listener is removed
/// when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct Abort {
    inner: Rc<Watch>,
}

struct Watch {
    signal: AbortSignal,
    wakers: Rc<RefCell<Vec<Waker>>>,
    listener: Closure<dyn FnMut()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self
            .signal
            .remove_event_listener_with_callback("abort", self.listener.as_ref().unchecked_ref());
    }
}

impl Abort {
    /// A watch on `signal`, if it is an `AbortSignal`.
    pub(crate) fn new(signal: &JsValue) -> Result<Option<Abort>, JsValue> {
        if signal.is_undefined() || signal.is_null() {
            return Ok(None);
        }
        let signal: AbortSignal = signal
            .clone()
            .dyn_into()
            .map_err(|_| crate::errors::invalid("option signal must be an AbortSignal"))?;
        let wakers: Rc<RefCell<Vec<Waker>>> = Rc::default();
        let woken = wakers.clone();
        let listener = Closure::<dyn FnMut()>::new(move || {
            for waker in woken.borrow_mut().drain(..) {
                waker.wake();
            }
        });
        let options = AddEventListenerOptions::new();
        options.set_once(true);
        signal.add_event_listener_with_callback_and_add_event_listener_options(
            "abort",
            listener.as_ref().unchecked_ref(),
            &options,
        )?;
        Ok(Some(Abort {
            inner: Rc::new(Watch {
                signal,
                wakers,
                listener,
            }),
        }))
    }

    /// The signal's reason once it has fired.
    pub(crate) fn reason(&self) -> Option<JsValue> {
        let signal = &self.inner.signal;
        signal.aborted().then(|| signal.reason())
    }

    /// Runs `work` unless the signal fires first; then `work` is dropped
    /// and the error is the signal's reason.
    pub(crate) async fn guard<T>(&self, work: impl Future<Output = Result<T, JsValue>>) -> Result<T, JsValue> {
        let mut work = pin!(work);
        std::future::poll_fn(|cx| {
            if let Some(reason) = self.reason() {
                return Poll::Ready(Err(reason));
            }
            if let Poll::Ready(out) = work.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            let mut wakers = self.inner.wakers.borrow_mut();
            if !wakers.iter().any(|waker| waker.will_wake(cx.waker())) {
                wakers.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }
}

/// Runs `work` under `abort`, if there is one.
pub(crate) async fn guarded<T>(
    abort: Option<Abort>,
    work: impl Future<Output = Result<T, JsValue>>,
) -> Result<T, JsValue> {
    match &abort {
        Some(abort) => abort.guard(work).await,
        None => work.await,
    }
}

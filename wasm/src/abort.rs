//! `signal`: an `AbortSignal` raced against the core's futures. When it
//! fires, the future is dropped (which aborts the fetch and frees the
//! request's slots) and the promise rejects with the signal's `reason`.

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use slab::Slab;

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
    /// The guards waiting, each under its own key.
    wakers: Rc<RefCell<Slab<Waker>>>,
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
        let wakers: Rc<RefCell<Slab<Waker>>> = Rc::default();
        let woken = wakers.clone();
        let listener = Closure::<dyn FnMut()>::new(move || {
            for (_, waker) in woken.borrow().iter() {
                waker.wake_by_ref();
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
        let mut waiting = Waiting {
            wakers: &self.inner.wakers,
            key: None,
        };
        std::future::poll_fn(|cx| {
            if let Some(reason) = self.reason() {
                return Poll::Ready(Err(reason));
            }
            if let Poll::Ready(out) = work.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            waiting.register(cx.waker());
            Poll::Pending
        })
        .await
    }
}

/// One guard's place among the wakers, given up when the guard ends.
struct Waiting<'a> {
    wakers: &'a RefCell<Slab<Waker>>,
    key: Option<usize>,
}

impl Waiting<'_> {
    fn register(&mut self, waker: &Waker) {
        let mut wakers = self.wakers.borrow_mut();
        match self.key.and_then(|key| wakers.get_mut(key)) {
            Some(known) => known.clone_from(waker),
            None => self.key = Some(wakers.insert(waker.clone())),
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.wakers.borrow_mut().try_remove(key);
        }
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

//! Values passed through JS by number: a response a JS hook hands back to
//! the core, and a value a JS hook threw, kept until the core's error for
//! it reaches the caller (the core's types cannot hold a `JsValue`).

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::prelude::*;

/// Values waiting to be claimed, by token.
struct Shelf<T> {
    next: u32,
    items: HashMap<u32, T>,
}

impl<T> Default for Shelf<T> {
    fn default() -> Shelf<T> {
        Shelf {
            next: 0,
            items: HashMap::new(),
        }
    }
}

thread_local! {
    static RESPONSES: RefCell<Option<Shelf<unifetch::Response>>> = const { RefCell::new(None) };
    static THROWN: RefCell<Option<Shelf<JsValue>>> = const { RefCell::new(None) };
}

fn put<T>(shelf: &'static std::thread::LocalKey<RefCell<Option<Shelf<T>>>>, item: T) -> u32 {
    shelf.with(|shelf| {
        let mut shelf = shelf.borrow_mut();
        let shelf = shelf.get_or_insert_with(Shelf::default);
        shelf.next = shelf.next.wrapping_add(1);
        let token = shelf.next;
        shelf.items.insert(token, item);
        token
    })
}

fn take<T>(shelf: &'static std::thread::LocalKey<RefCell<Option<Shelf<T>>>>, token: u32) -> Option<T> {
    shelf.with(|shelf| shelf.borrow_mut().as_mut()?.items.remove(&token))
}

/// Shelves a response; the token claims it with [`take_response`].
pub(crate) fn put_response(response: unifetch::Response) -> u32 {
    put(&RESPONSES, response)
}

/// The response shelved under `token`.
pub(crate) fn take_response(token: u32) -> Option<unifetch::Response> {
    take(&RESPONSES, token)
}

/// What a JS hook threw, as a core error that stands for it until
/// [`take_thrown`] gives the value back at the JS boundary.
pub(crate) fn thrown(value: JsValue) -> unifetch::Error {
    unifetch::Error::hook(Thrown(put(&THROWN, value)))
}

/// The JS value a [`thrown`] error stands for (once).
pub(crate) fn take_thrown(error: &unifetch::Error) -> Option<JsValue> {
    let source = std::error::Error::source(error)?;
    let Thrown(token) = source.downcast_ref::<Thrown>()?;
    take(&THROWN, *token)
}

/// A JS hook's exception, by token.
#[derive(Debug)]
struct Thrown(u32);

impl std::fmt::Display for Thrown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JavaScript hook threw")
    }
}

impl std::error::Error for Thrown {}

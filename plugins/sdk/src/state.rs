//! The one live plugin instance of a component, created by `init` and used by every
//! later call. Wasm instances are single-threaded, so a thread-local cell suffices.

use std::any::Any;
use std::cell::RefCell;

use crate::error::{Error, Result};

thread_local! {
    static INSTANCE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

/// Stores the instance `init` built, replacing any earlier one.
pub(crate) fn install<T: 'static>(instance: T) {
    INSTANCE.with(|cell| *cell.borrow_mut() = Some(Box::new(instance)));
}

/// Runs `f` on the instance, or fails when `init` has not succeeded yet.
pub(crate) fn with<T: 'static, R>(f: impl FnOnce(&mut T) -> Result<R>) -> Result<R> {
    INSTANCE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let instance = slot
            .as_mut()
            .and_then(|boxed| boxed.downcast_mut::<T>())
            .ok_or_else(|| {
                Error::new("the plugin was not initialised (init must succeed first)")
            })?;
        f(instance)
    })
}

//! Name → type-erased command hooks and handler: decodes input, runs the typed handler,
//! encodes output, and builds follow-ups from the typed chain hooks.

use std::any::TypeId;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::command::{Canceled, Command, Failure};
use crate::error::{Error, Result};
use crate::handler::{Context, Handler, HandlerErrorKind};
use crate::next::Next;
use crate::record::FailureKind;

/// How a handler's run ended, with its output encoded and its success follow-ups built.
pub(crate) enum RunEnd {
    /// `follow_ups` is `Err` with the reason when `on_success` panicked.
    Succeeded {
        output: String,
        follow_ups: Result<Vec<Next>, String>,
    },
    Failed {
        kind: FailureKind,
        error: String,
    },
    Cancelled {
        reason: String,
    },
}

/// The typed parts of a command that the runtime needs without knowing its type.
pub(crate) trait ErasedCommand: Send + Sync {
    /// `on_failure` follow-ups; `Err` when the stored input no longer deserializes.
    fn on_failure(&self, input: &str, failure: &Failure) -> Result<Vec<Next>, String>;
    /// `on_cancellation` follow-ups; `Err` when the stored input no longer deserializes.
    fn on_cancellation(&self, input: &str, canceled: &Canceled) -> Result<Vec<Next>, String>;
    /// Wait before retry `attempt`; `None` for the instance's default.
    fn retry_delay(&self, input: &str, attempt: u32) -> Option<Duration>;
}

/// A handler behind a uniform signature.
pub(crate) trait ErasedHandler: Send + Sync {
    fn run(self: Arc<Self>, input: String, ctx: Context) -> BoxFuture<'static, RunEnd>;
}

struct TypedCommand<C>(PhantomData<fn() -> C>);

pub(crate) fn decode<C: Command>(input: &str) -> Result<C, String> {
    serde_json::from_str(input).map_err(|e| format!("input does not fit `{}`: {e}", C::name()))
}

/// Runs user hook code so that a panic becomes an error instead of unwinding into the runtime.
pub(crate) fn guarded<T>(hook: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("{hook} panicked: {message}")
    })
}

impl<C: Command> ErasedCommand for TypedCommand<C> {
    fn on_failure(&self, input: &str, failure: &Failure) -> Result<Vec<Next>, String> {
        let command = decode::<C>(input)?;
        guarded("on_failure", || command.on_failure(failure))
    }

    fn on_cancellation(&self, input: &str, canceled: &Canceled) -> Result<Vec<Next>, String> {
        let command = decode::<C>(input)?;
        guarded("on_cancellation", || command.on_cancellation(canceled))
    }

    fn retry_delay(&self, input: &str, attempt: u32) -> Option<Duration> {
        decode::<C>(input)
            .and_then(|c| guarded("retry_delay", || c.retry_delay(attempt)))
            .unwrap_or_default()
    }
}

struct TypedHandler<H>(H);

impl<H: Handler> ErasedHandler for TypedHandler<H> {
    fn run(self: Arc<Self>, input: String, ctx: Context) -> BoxFuture<'static, RunEnd> {
        Box::pin(async move {
            let command = match decode::<H::Command>(&input) {
                Ok(c) => c,
                Err(error) => {
                    return RunEnd::Failed {
                        kind: FailureKind::BadInput,
                        error,
                    };
                }
            };
            match self.0.execute(command, ctx).await {
                Ok(output) => {
                    let encoded = match serde_json::to_string(&output) {
                        Ok(s) => s,
                        Err(e) => {
                            return RunEnd::Failed {
                                kind: FailureKind::Failed,
                                error: format!("output cannot be serialized: {e}"),
                            };
                        }
                    };
                    // The handler consumed the command, so the hook reads a fresh copy. Its
                    // panic must not undo the success: the handler's effects happened.
                    let follow_ups = decode::<H::Command>(&input)
                        .and_then(|c| guarded("on_success", || c.on_success(&output)));
                    RunEnd::Succeeded {
                        output: encoded,
                        follow_ups,
                    }
                }
                Err(e) => match e.into_parts() {
                    (HandlerErrorKind::Cancelled, reason) => RunEnd::Cancelled { reason },
                    (HandlerErrorKind::Failed, error) => RunEnd::Failed {
                        kind: FailureKind::Failed,
                        error,
                    },
                    (HandlerErrorKind::Discarded, error) => RunEnd::Failed {
                        kind: FailureKind::Discarded,
                        error,
                    },
                },
            }
        })
    }
}

/// One registered name.
#[derive(Clone)]
pub(crate) struct Entry {
    pub command: Arc<dyn ErasedCommand>,
    pub handler: Option<Arc<dyn ErasedHandler>>,
    type_id: TypeId,
    type_name: &'static str,
}

/// Every command type and handler an instance knows, by stored name.
#[derive(Clone, Default)]
pub struct Registry {
    entries: HashMap<String, Entry>,
}

impl Registry {
    /// Registers a command type without a handler, so this instance can run its chain hooks
    /// (for example to cancel a pending one at once) without running it.
    pub fn command<C: Command>(&mut self) -> Result<&mut Self> {
        self.entry::<C>()?;
        Ok(self)
    }

    /// Registers a handler (and its command type); one handler per name.
    pub fn handler<H: Handler>(&mut self, handler: H) -> Result<&mut Self> {
        let entry = self.entry::<H::Command>()?;
        if entry.handler.is_some() {
            return Err(Error::DuplicateHandler(
                <H::Command as Command>::name().into_owned(),
            ));
        }
        entry.handler = Some(Arc::new(TypedHandler(handler)));
        Ok(self)
    }

    /// The entry of `C`'s name, created if new; two types may not share one name.
    fn entry<C: Command>(&mut self) -> Result<&mut Entry> {
        let name = C::name().into_owned();
        let entry = self.entries.entry(name.clone()).or_insert_with(|| Entry {
            command: Arc::new(TypedCommand::<C>(PhantomData)),
            handler: None,
            type_id: TypeId::of::<C>(),
            type_name: std::any::type_name::<C>(),
        });
        if entry.type_id != TypeId::of::<C>() {
            return Err(Error::NameConflict {
                name,
                first: entry.type_name,
                second: std::any::type_name::<C>(),
            });
        }
        Ok(entry)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// Names this instance has a handler for: the only names its worker claims.
    pub fn handled_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| e.handler.is_some())
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }
}

/// One handler or a tuple of handlers, to register many at once.
pub trait Handlers {
    /// Adds every handler to `registry`.
    fn register_into(self, registry: &mut Registry) -> Result<()>;
}

impl<H: Handler> Handlers for H {
    fn register_into(self, registry: &mut Registry) -> Result<()> {
        registry.handler(self).map(|_| ())
    }
}

macro_rules! tuple_handlers {
    ($($h:ident),+) => {
        impl<$($h: Handlers),+> Handlers for ($($h,)+) {
            #[allow(non_snake_case)]
            fn register_into(self, registry: &mut Registry) -> Result<()> {
                let ($($h,)+) = self;
                $($h.register_into(registry)?;)+
                Ok(())
            }
        }
    };
}
tuple_handlers!(A, B);
tuple_handlers!(A, B, C);
tuple_handlers!(A, B, C, D);
tuple_handlers!(A, B, C, D, E);
tuple_handlers!(A, B, C, D, E, F);
tuple_handlers!(A, B, C, D, E, F, G);
tuple_handlers!(A, B, C, D, E, F, G, H);

//! `Pending`: the answer to a request, for synchronous callers (`wait`)
//! and asynchronous ones (`.await`, on any runtime), with no runtime
//! dependency.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::ServerError;

/// What a request's answer is.
pub type Answer<T> = Result<T, ServerError>;

/// The answer to one request, delivered once.
///
/// Block on it with [`wait`](Self::wait), or `.await` it. The server
/// always answers: with the result, an error, `Timeout` once the request
/// timeout passes, or `ShuttingDown` if it stops first.
#[must_use = "a request's answer says whether it succeeded"]
#[derive(Debug)]
pub struct Pending<T> {
    slot: Arc<Slot<T>>,
}

/// The server's side of a [`Pending`]: answer it once. Dropped without an
/// answer, it answers `ShuttingDown`, so no caller waits forever.
#[derive(Debug)]
pub(crate) struct Responder<T> {
    slot: Option<Arc<Slot<T>>>,
}

#[derive(Debug)]
struct Slot<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

#[derive(Debug)]
struct State<T> {
    answer: Option<Answer<T>>,
    waker: Option<Waker>,
}

impl<T> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // The state is a pair of options, consistent after any panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A new request's two ends.
pub(crate) fn pending<T>() -> (Responder<T>, Pending<T>) {
    let slot = Arc::new(Slot {
        state: Mutex::new(State {
            answer: None,
            waker: None,
        }),
        ready: Condvar::new(),
    });
    (
        Responder {
            slot: Some(Arc::clone(&slot)),
        },
        Pending { slot },
    )
}

impl<T> Pending<T> {
    /// An already answered request.
    pub(crate) fn ready(answer: Answer<T>) -> Self {
        let (responder, pending) = pending();
        responder.answer(answer);
        pending
    }

    /// Blocks until the answer arrives.
    ///
    /// # Errors
    ///
    /// The request's error (see [`ServerError`]).
    pub fn wait(self) -> Answer<T> {
        let mut state = self.slot.lock();
        loop {
            if let Some(answer) = state.answer.take() {
                return answer;
            }
            state = self
                .slot
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Blocks for at most `timeout`.
    ///
    /// # Errors
    ///
    /// `Timeout` if no answer came in time, else the request's error.
    pub fn wait_timeout(self, timeout: Duration) -> Answer<T> {
        let deadline = Instant::now() + timeout;
        let mut state = self.slot.lock();
        loop {
            if let Some(answer) = state.answer.take() {
                return answer;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ServerError::Timeout);
            }
            state = self
                .slot
                .ready
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl<T> Future for Pending<T> {
    type Output = Answer<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.slot.lock();
        match state.answer.take() {
            Some(answer) => Poll::Ready(answer),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T> Responder<T> {
    /// Delivers the answer and wakes the waiter.
    pub(crate) fn answer(mut self, answer: Answer<T>) {
        if let Some(slot) = self.slot.take() {
            deliver(&slot, answer);
        }
    }
}

fn deliver<T>(slot: &Slot<T>, answer: Answer<T>) {
    let waker = {
        let mut state = slot.lock();
        state.answer = Some(answer);
        state.waker.take()
    };
    slot.ready.notify_all();
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> Drop for Responder<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            deliver(&slot, Err(ServerError::ShuttingDown));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_answer_reaches_a_blocked_waiter_and_a_dropped_responder_means_shutdown() {
        let (responder, answer) = pending::<u32>();
        let waiter = std::thread::spawn(move || answer.wait());
        responder.answer(Ok(7));
        assert_eq!(waiter.join().unwrap(), Ok(7));

        let (responder, answer) = pending::<u32>();
        drop(responder);
        assert_eq!(answer.wait(), Err(ServerError::ShuttingDown));

        let (_responder, answer) = pending::<u32>();
        assert_eq!(
            answer.wait_timeout(Duration::from_millis(5)),
            Err(ServerError::Timeout)
        );
    }
}

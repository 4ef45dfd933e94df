//! Acquisition timing (`acquire=before`, spec §2.7 and §5.1): the descriptors a driver's
//! operation uses — a file, a directory, a socket, a pidfd — opened before the sandbox is
//! applied, then used after it. Landlock decides most file rights when a file is opened and
//! TCP rights at `bind`/`connect`, so what a descriptor acquired before apply may still do is
//! a measurement of its own.
//!
//! Everything here runs in the probe's child: raw descriptors in fixed slots, no allocation.
//! The worker sizes the slots before the fork (`Slots`); the child fills them before it
//! applies the sandbox and empties them after each operation.

use std::cell::Cell;

use super::op_result::OpResult;
use super::syscall::close;

/// The descriptors one operation acquired before apply (-1: none), or why it could not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    fds: [i32; 2],
    /// The errno of the acquisition that failed (0: it succeeded).
    errno: i32,
}

impl Held {
    pub const NONE: Held = Held {
        fds: [-1, -1],
        errno: 0,
    };

    /// One descriptor, or the errno of the call that should have opened it.
    pub(crate) fn one(fd: Result<i32, i32>) -> Held {
        Held::of([Some(fd), None])
    }

    /// Two descriptors (a rename's two directories); the first failure wins and nothing
    /// stays open.
    pub(crate) fn two(a: Result<i32, i32>, b: Result<i32, i32>) -> Held {
        Held::of([Some(a), Some(b)])
    }

    fn of(fds: [Option<Result<i32, i32>>; 2]) -> Held {
        let mut held = Held::NONE;
        for (slot, fd) in fds.into_iter().enumerate() {
            match fd {
                Some(Ok(fd)) => held.fds[slot] = fd,
                Some(Err(e)) if held.errno == 0 => held.errno = e,
                _ => {}
            }
        }
        if held.errno != 0 {
            held.release();
        }
        held
    }

    /// The acquisition failed before any descriptor existed.
    pub(crate) fn failed(errno: i32) -> Held {
        Held {
            errno,
            ..Held::NONE
        }
    }

    pub(crate) fn fd(&self, slot: usize) -> i32 {
        self.fds[slot]
    }

    /// Runs `use_` on the held descriptors, then closes them. A failed acquisition is the
    /// result, marked as one: the sandbox did not exist yet.
    pub(crate) fn use_then_release(
        &self,
        use_: impl FnOnce(&Held) -> Result<i64, i32>,
    ) -> OpResult {
        if self.errno != 0 {
            return OpResult::acquisition_failed(self.errno);
        }
        let r = use_(self);
        self.release();
        match r {
            Ok(v) => OpResult::ok(v),
            Err(e) => OpResult::errno(e),
        }
    }

    fn release(&self) {
        for &fd in self.fds.iter().filter(|&&fd| fd >= 0) {
            close(fd);
        }
    }
}

/// One [`Held`] per operation of a child, allocated by the worker before it forks.
pub struct Slots(Vec<Cell<Held>>);

impl Slots {
    pub(crate) fn new(n: usize) -> Slots {
        Slots(vec![Cell::new(Held::NONE); n])
    }

    /// In the child: the slot of operation `i` (`NONE` past the end).
    pub(crate) fn get(&self, i: usize) -> Held {
        self.0.get(i).map_or(Held::NONE, Cell::get)
    }

    pub(crate) fn set(&self, i: usize, held: Held) {
        if let Some(slot) = self.0.get(i) {
            slot.set(held);
        }
    }
}

//! sys: the one layer of system calls. Every call the engine makes into the kernel goes through
//! a safe wrapper here: file descriptors come back as `OwnedFd`, failures as `io::Error` (built
//! from the errno right after the call; no allocation, so the wrappers are usable in forked
//! children), and every Landlock and seccomp constant and struct is defined once, with layout
//! tests against the kernel uapi.
//!
//! What stays `unsafe` outside this module is a caller's promise this layer cannot check: the
//! body of a forked or `CLONE_VM` child (only async-signal-safe calls until `execve`/`_exit`),
//! a signal handler's body, foreign functions of another OS.
//!
//! Underneath: `rustix` for the filesystem actions of [`fs`] (`openat2` with resolve flags and
//! the `*at` family, typed and without `unsafe`), the confined reads of [`input`] and the
//! guest world's pid 1 ([`mount`], [`tty`], [`guest_kernel`]), `libc` for the rest. Landlock, seccomp,
//! `clone` with namespace flags and the audit netlink socket are not in `rustix`; for the plain
//! fd and process calls of forked children it would save a line of `unsafe` each but bring a
//! second error and pid type into those paths. Every module returns `io::Error`s (or an error
//! that carries one).

pub mod errno;
pub(crate) mod fd;
pub mod fs;
pub(crate) mod guardian;
pub(crate) mod guest_kernel;
pub(crate) mod guest_root;
pub(crate) mod input;
pub mod landlock;
pub(crate) mod mount;
pub(crate) mod namespace;
pub mod process;
pub(crate) mod seccomp;
pub(crate) mod sigaction;
pub(crate) mod socket;
pub(crate) mod tty;

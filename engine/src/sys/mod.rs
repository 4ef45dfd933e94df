//! Thin, safe wrappers over the operating system calls the engine makes.

pub mod fs;

//! The macOS Seatbelt backend: IR → SBPL text (plain Rust, tested anywhere).

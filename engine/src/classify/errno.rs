//! Errno numbers ↔ names for records, from the world's table (names are what people and
//! expectations use).

/// `13` → `EACCES`.
pub fn errno_name(raw: i32) -> String {
    crate::world::errno_name(raw).to_string()
}

/// `EACCES` → 13.
pub fn errno_number(name: &str) -> Option<i32> {
    crate::world::errno_from_name(name)
}

pub fn errno(raw: i32) -> crate::model::Errno {
    crate::model::Errno {
        raw,
        name: errno_name(raw),
    }
}

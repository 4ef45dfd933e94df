//! The uncompressed kernel inside a bzImage. Under emulation the kernel's own decompressor
//! takes most of a boot; qemu boots the uncompressed ELF `vmlinux` directly through its PVH
//! entry point (`CONFIG_PVH`), so `fetch` extracts it once and caches it.
//!
//! The boot protocol header (≥ 2.08) says where the compressed payload is: it starts
//! `payload_offset` bytes into the protected-mode code, which follows `setup_sects + 1`
//! sectors of setup. Debian compresses with xz (x86 BCJ filter: liblzma) or zstd (ruzstd).

use std::io::Read;

/// The vmlinux ELF, or why it cannot be had (then the bzImage is booted as it is).
pub(crate) fn extract(bz: &[u8]) -> Result<Vec<u8>, String> {
    let u8_at = |o: usize| bz.get(o).copied().ok_or("truncated header");
    let u16_at =
        |o: usize| -> Result<u16, &str> { Ok(u16::from_le_bytes([u8_at(o)?, u8_at(o + 1)?])) };
    let u32_at = |o: usize| -> Result<u32, &str> {
        Ok(u32::from_le_bytes([
            u8_at(o)?,
            u8_at(o + 1)?,
            u8_at(o + 2)?,
            u8_at(o + 3)?,
        ]))
    };
    if bz.get(0x202..0x206) != Some(b"HdrS") || u16_at(0x206)? < 0x208 {
        return Err("not a bzImage with boot protocol 2.08 or later".into());
    }
    let setup_sects = match u8_at(0x1f1)? {
        0 => 4,
        n => n as usize,
    };
    let start = (setup_sects + 1) * 512 + u32_at(0x248)? as usize;
    let len = u32_at(0x24c)? as usize;
    let payload = bz
        .get(start..start.saturating_add(len))
        .ok_or("the payload lies outside the image")?;
    // Bounded: a kernel is tens of MiB; refuse to inflate anything past 512 MiB.
    const MAX: u64 = 512 << 20;
    let mut out = Vec::new();
    if payload.starts_with(b"\xfd7zXZ\0") {
        liblzma::read::XzDecoder::new(payload)
            .take(MAX)
            .read_to_end(&mut out)
            .map_err(|e| format!("xz: {e}"))?;
    } else if payload.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let mut input = payload;
        ruzstd::decoding::StreamingDecoder::new(&mut input)
            .map_err(|e| format!("zstd: {e}"))?
            .take(MAX)
            .read_to_end(&mut out)
            .map_err(|e| format!("zstd: {e}"))?;
    } else {
        return Err("the payload is neither xz nor zstd".into());
    }
    if !out.starts_with(b"\x7fELF") {
        return Err("the payload is not an ELF kernel".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_bzimage() {
        assert!(extract(b"").is_err());
        let mut fake = vec![0u8; 0x300];
        fake[0x202..0x206].copy_from_slice(b"HdrS");
        fake[0x206] = 0x0f;
        fake[0x207] = 0x02;
        fake[0x24c] = 0xff; // a payload past the end
        assert!(extract(&fake).unwrap_err().contains("outside"));
    }
}

//! A structural check of an ELF shared object before `dlopen`: every
//! loadable segment and the section table must lie inside the file.
//!
//! Why: the dynamic loader maps segments without checking they are backed by
//! the file, so a truncated library can load and then kill the process with
//! SIGBUS when code in the missing tail runs. Checking the headers turns that
//! into a clear refusal.

const PT_LOAD: u32 = 1;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes(s.try_into().expect("4 bytes")))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8).map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

/// Checks that the ELF image `b` (a whole file) is complete; the error
/// says what is missing, with byte offsets.
pub(crate) fn check_bytes(b: &[u8]) -> Result<(), String> {
    let len = b.len() as u64;
    if b.len() < 64 || &b[..4] != b"\x7fELF" {
        return Err(format!("not an ELF shared library ({len} bytes, no ELF header)"));
    }
    if b[4] != 2 || b[5] != 1 {
        return Err("not a 64-bit little-endian ELF shared library".to_string());
    }
    let short =
        |what: &str| format!("truncated: the ELF header's {what} lies beyond the end of the file ({len} bytes)");
    let phoff = u64_at(b, 0x20).ok_or_else(|| short("program header offset"))?;
    let shoff = u64_at(b, 0x28).ok_or_else(|| short("section header offset"))?;
    let phentsize = u16_at(b, 0x36).ok_or_else(|| short("program header size"))? as u64;
    let phnum = u16_at(b, 0x38).ok_or_else(|| short("program header count"))? as u64;
    let shentsize = u16_at(b, 0x3A).ok_or_else(|| short("section header size"))? as u64;
    let shnum = u16_at(b, 0x3C).ok_or_else(|| short("section header count"))? as u64;
    let ph_end = phoff.saturating_add(phnum.saturating_mul(phentsize));
    if ph_end > len {
        return Err(format!("truncated at byte {len}: the program headers end at byte {ph_end}"));
    }
    for i in 0..phnum {
        let at = (phoff + i * phentsize) as usize;
        let kind = u32_at(b, at).ok_or_else(|| short("program header"))?;
        if kind != PT_LOAD {
            continue;
        }
        let offset = u64_at(b, at + 8).ok_or_else(|| short("program header"))?;
        let filesz = u64_at(b, at + 32).ok_or_else(|| short("program header"))?;
        let end = offset.saturating_add(filesz);
        if end > len {
            return Err(format!("truncated at byte {len}: loadable segment {i} needs bytes up to {end}"));
        }
    }
    let sh_end = shoff.saturating_add(shnum.saturating_mul(shentsize));
    if shoff != 0 && sh_end > len {
        return Err(format!("truncated at byte {len}: the section headers end at byte {sh_end}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_test_binary_is_complete_and_its_halves_are_not() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(check_bytes(&exe), Ok(()));
        let err = check_bytes(&exe[..exe.len() / 2]).unwrap_err();
        assert!(err.starts_with(&format!("truncated at byte {}: ", exe.len() / 2)), "{err}");
        assert_eq!(check_bytes(b"hello").unwrap_err(), "not an ELF shared library (5 bytes, no ELF header)");
    }
}

//! The WASI preview 1 shim: the capability-free part a Rust or C guest
//! needs (stdout/stderr captured, empty args and environment, a
//! deterministic random stream), the clock when granted, read-only
//! preopened folders when granted (`wasi_fs`), and a refusal for
//! everything else.

use std::sync::OnceLock;
use std::time::Duration;

use wasmtime::{Caller, ExternType, FuncType, Linker, Module, Val, ValType};

use crate::wasm::engine::engine;
use crate::wasm::state::{fault, memory, range, read_bytes, write_out, GuestState, Res};

pub(crate) const WASI: &str = "wasi_snapshot_preview1";
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_BADF: i32 = 8;
const ERRNO_NOSYS: i32 = 52;
const ERRNO_NOTCAPABLE: i32 = 76;
/// WASI functions [`define_wasi`] implements itself.
const WASI_PROVIDED: &[&str] = &[
    "fd_write",
    "proc_exit",
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "random_get",
    "clock_time_get",
    "sched_yield",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_fdstat_get",
    "path_open",
    "fd_read",
    "fd_seek",
    "fd_tell",
    "fd_close",
    "fd_filestat_get",
    "path_filestat_get",
];
/// Longest path a guest may pass.
const PATH_MAX: i32 = 4096;
const ERRNO_NAMETOOLONG: i32 = 37;
/// Bytes of stdout/stderr kept per call and stream; the rest is dropped.
const OUTPUT_KEEP: usize = 64 << 10;

/// The capability-free part of WASI preview 1 a Rust or C guest needs:
/// stdout/stderr (captured), empty args and environment, a pseudo-random
/// stream, and a clock only when granted. Every other WASI import answers
/// `EBADF`/`ENOSYS`.
pub(crate) fn define_wasi(linker: &mut Linker<GuestState>, module: &Module) -> Res<()> {
    linker.func_wrap(
        WASI,
        "fd_write",
        |mut c: Caller<'_, GuestState>, fd: i32, iovs: i32, n: i32, written: i32| -> Res<i32> {
            if fd != 1 && fd != 2 {
                return Ok(ERRNO_BADF);
            }
            let vecs = read_bytes(&mut c, iovs, n.saturating_mul(8), "fd_write iovecs")?;
            let mut total = 0usize;
            for v in vecs.chunks_exact(8) {
                let p = i32::from_le_bytes(v[0..4].try_into().unwrap());
                let l = i32::from_le_bytes(v[4..8].try_into().unwrap());
                let bytes = read_bytes(&mut c, p, l, "fd_write buffer")?;
                total += bytes.len();
                let buf = if fd == 1 { &mut c.data_mut().stdout } else { &mut c.data_mut().stderr };
                let room = OUTPUT_KEEP.saturating_sub(buf.len());
                buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
            write_out(&mut c, &(total as u32).to_le_bytes(), written, 4, "fd_write result")?;
            Ok(ERRNO_SUCCESS)
        },
    )?;
    linker.func_wrap(WASI, "proc_exit", |mut c: Caller<'_, GuestState>, code: i32| -> Res<()> {
        Err(fault(&mut c, format!("the guest called proc_exit({code})")))
    })?;
    for (get, sizes) in [("args_get", "args_sizes_get"), ("environ_get", "environ_sizes_get")] {
        linker.func_wrap(WASI, get, |_: Caller<'_, GuestState>, _: i32, _: i32| -> i32 { ERRNO_SUCCESS })?;
        linker.func_wrap(WASI, sizes, |mut c: Caller<'_, GuestState>, count: i32, size: i32| -> Res<i32> {
            write_out(&mut c, &0u32.to_le_bytes(), count, 4, "sizes result")?;
            write_out(&mut c, &0u32.to_le_bytes(), size, 4, "sizes result")?;
            Ok(ERRNO_SUCCESS)
        })?;
    }
    linker.func_wrap(WASI, "random_get", |mut c: Caller<'_, GuestState>, p: i32, l: i32| -> Res<i32> {
        let r = range(&mut c, p, l, "random_get buffer")?;
        let (mem, state) = memory(&c).data_and_store_mut(&mut c);
        for b in &mut mem[r] {
            // splitmix64: deterministic, not secret; no entropy is granted.
            state.rng = state.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *b = (z ^ (z >> 31)) as u8;
        }
        Ok(ERRNO_SUCCESS)
    })?;
    linker.func_wrap(
        WASI,
        "clock_time_get",
        |mut c: Caller<'_, GuestState>, id: i32, _precision: i64, out: i32| -> Res<i32> {
            if !c.data().clock {
                return Ok(ERRNO_NOTCAPABLE);
            }
            let now = match id {
                0 => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default(),
                _ => monotonic(),
            };
            write_out(&mut c, &(now.as_nanos() as u64).to_le_bytes(), out, 8, "clock result")?;
            Ok(ERRNO_SUCCESS)
        },
    )?;
    linker.func_wrap(WASI, "sched_yield", || -> i32 { ERRNO_SUCCESS })?;
    define_wasi_fs(linker)?;
    // Everything else the module imports from WASI: a refusal, never a capability.
    for import in module.imports() {
        if import.module() != WASI || WASI_PROVIDED.contains(&import.name()) {
            continue;
        }
        let ExternType::Func(ty) = import.ty() else { continue };
        let name = import.name().to_string();
        let errno = if name.starts_with("fd_") { ERRNO_BADF } else { ERRNO_NOSYS };
        let results: Vec<ValType> = ty.results().collect();
        let ty = FuncType::new(engine(), ty.params(), results.clone());
        let import_name = name.clone();
        linker.func_new(WASI, &import_name, ty, move |_c, _args, out: &mut [Val]| {
            if results.len() == 1 && matches!(results[0], ValType::I32) {
                out[0] = Val::I32(errno);
                Ok(())
            } else {
                Err(wasmtime::format_err!("the sandbox does not provide WASI `{name}`"))
            }
        })?;
    }
    Ok(())
}

/// Writes `rec` to `dst` and answers success, or answers `errno`.
fn answer<const N: usize>(c: &mut Caller<'_, GuestState>, r: Result<[u8; N], i32>, dst: i32, what: &str) -> Res<i32> {
    match r {
        Ok(rec) => {
            write_out(c, &rec, dst, N as i32, what)?;
            Ok(ERRNO_SUCCESS)
        }
        Err(errno) => Ok(errno),
    }
}

fn guest_path(c: &mut Caller<'_, GuestState>, p: i32, l: i32) -> Res<Result<Vec<u8>, i32>> {
    if l as u32 > PATH_MAX as u32 {
        return Ok(Err(ERRNO_NAMETOOLONG));
    }
    read_bytes(c, p, l, "path").map(Ok)
}

/// Read-only preopened folders (`read` capability, `crate::wasi_fs`). With
/// nothing granted the fd table is empty and every call answers `EBADF`.
fn define_wasi_fs(linker: &mut Linker<GuestState>) -> Res<()> {
    linker.func_wrap(WASI, "fd_prestat_get", |mut c: Caller<'_, GuestState>, fd: i32, buf: i32| -> Res<i32> {
        let r = c.data().fs.prestat(fd);
        answer(&mut c, r, buf, "fd_prestat_get result")
    })?;
    linker.func_wrap(
        WASI,
        "fd_prestat_dir_name",
        |mut c: Caller<'_, GuestState>, fd: i32, p: i32, l: i32| -> Res<i32> {
            match c.data().fs.prestat_name(fd, l as u32 as usize) {
                Ok(name) => {
                    write_out(&mut c, &name, p, l, "fd_prestat_dir_name buffer")?;
                    Ok(ERRNO_SUCCESS)
                }
                Err(errno) => Ok(errno),
            }
        },
    )?;
    linker.func_wrap(WASI, "fd_fdstat_get", |mut c: Caller<'_, GuestState>, fd: i32, buf: i32| -> Res<i32> {
        let r = c.data().fs.fdstat(fd);
        answer(&mut c, r, buf, "fd_fdstat_get result")
    })?;
    linker.func_wrap(WASI, "fd_filestat_get", |mut c: Caller<'_, GuestState>, fd: i32, buf: i32| -> Res<i32> {
        let r = c.data().fs.filestat(fd);
        answer(&mut c, r, buf, "fd_filestat_get result")
    })?;
    linker.func_wrap(
        WASI,
        "path_filestat_get",
        |mut c: Caller<'_, GuestState>, fd: i32, _flags: i32, p: i32, l: i32, buf: i32| -> Res<i32> {
            let path = match guest_path(&mut c, p, l)? {
                Ok(path) => path,
                Err(errno) => return Ok(errno),
            };
            let r = c.data().fs.path_filestat(fd, &path);
            answer(&mut c, r, buf, "path_filestat_get result")
        },
    )?;
    linker.func_wrap(
        WASI,
        "path_open",
        |mut c: Caller<'_, GuestState>,
         fd: i32,
         _lookup: i32,
         p: i32,
         l: i32,
         oflags: i32,
         rights: i64,
         _inheriting: i64,
         fdflags: i32,
         out: i32|
         -> Res<i32> {
            let path = match guest_path(&mut c, p, l)? {
                Ok(path) => path,
                Err(errno) => return Ok(errno),
            };
            match c.data_mut().fs.open(fd, &path, oflags, rights, fdflags) {
                Ok(new) => {
                    write_out(&mut c, &(new as u32).to_le_bytes(), out, 4, "path_open result")?;
                    Ok(ERRNO_SUCCESS)
                }
                Err(errno) => Ok(errno),
            }
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_read",
        |mut c: Caller<'_, GuestState>, fd: i32, iovs: i32, n: i32, nread: i32| -> Res<i32> {
            let vecs = read_bytes(&mut c, iovs, n.saturating_mul(8), "fd_read iovecs")?;
            let mut total = 0usize;
            for v in vecs.chunks_exact(8) {
                let p = i32::from_le_bytes(v[0..4].try_into().unwrap());
                let l = i32::from_le_bytes(v[4..8].try_into().unwrap());
                let r = range(&mut c, p, l, "fd_read buffer")?;
                let want = r.len();
                let (mem, state) = memory(&c).data_and_store_mut(&mut c);
                match state.fs.read(fd, &mut mem[r]) {
                    Ok(got) => {
                        total += got;
                        if got < want {
                            break;
                        }
                    }
                    Err(errno) if total == 0 => return Ok(errno),
                    Err(_) => break,
                }
            }
            write_out(&mut c, &(total as u32).to_le_bytes(), nread, 4, "fd_read result")?;
            Ok(ERRNO_SUCCESS)
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_seek",
        |mut c: Caller<'_, GuestState>, fd: i32, offset: i64, whence: i32, out: i32| -> Res<i32> {
            let r = c.data_mut().fs.seek(fd, offset, whence).map(u64::to_le_bytes);
            answer(&mut c, r, out, "fd_seek result")
        },
    )?;
    linker.func_wrap(WASI, "fd_tell", |mut c: Caller<'_, GuestState>, fd: i32, out: i32| -> Res<i32> {
        let r = c.data_mut().fs.seek(fd, 0, 1).map(u64::to_le_bytes);
        answer(&mut c, r, out, "fd_tell result")
    })?;
    linker
        .func_wrap(WASI, "fd_close", |mut c: Caller<'_, GuestState>, fd: i32| -> i32 { c.data_mut().fs.close(fd) })?;
    Ok(())
}

fn monotonic() -> Duration {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

//! Output arrays written in slabs (`output_array_begin` /
//! `output_array_write`, `plugin-api/WASM_ABI.md`): the host holds the
//! array, the guest hands it over a bounded slab at a time, so an output
//! larger than the guest's whole memory never has to exist in it. Together
//! with `input_read` at an offset, a guest capped at 256 MiB streams a 1 GiB
//! array through.
//!
//! Rules, each a guest fault naming the array when broken: one array open
//! at a time, in the current output frame; slabs in order, never past the
//! array's end; an array still open when the call returns is refused (so is
//! starting a frame or another array while one is open). The bytes count
//! against the call's output limit when the array is begun.

use plexus_plugin_api::abi::wasm as abi;
use plexus_plugin_api::{DType, RawArrayBuf};
use wasmtime::{Caller, Linker};

use crate::wasm::open_array::OpenArray;
use crate::wasm::state::{fault, memory, range, read_bytes, read_str, GuestState, Res};

/// The name, axes, dtype, shape and byte size an output array is declared
/// with, read and checked from guest memory.
pub(crate) struct Header {
    pub(crate) name: String,
    pub(crate) axes: String,
    pub(crate) dtype: DType,
    pub(crate) shape: Vec<usize>,
    pub(crate) bytes: usize,
}

/// Reads an output array's header (`output_array` and `output_array_begin`
/// share it): a known dtype code, rank at most 8, a byte size that fits.
#[allow(clippy::too_many_arguments)]
pub(crate) fn header(
    c: &mut Caller<'_, GuestState>,
    np: i32,
    nl: i32,
    dtype: i32,
    sp: i32,
    ndim: i32,
    ap: i32,
    al: i32,
) -> Res<Header> {
    let name = read_str(c, np, nl, "output array name")?;
    let axes = read_str(c, ap, al, "output array axes")?;
    let Some(dtype) = DType::from_code(dtype as u8).filter(|_| (0..=255).contains(&dtype)) else {
        return Err(fault(c, format!("output array `{name}` has unknown dtype code {dtype}")));
    };
    if ndim as u32 as usize > abi::MAX_RANK {
        return Err(fault(c, format!("output array `{name}` has rank {ndim} (at most {})", abi::MAX_RANK)));
    }
    let shape_bytes = read_bytes(c, sp, ndim * 8, "output array shape")?;
    let shape: Vec<usize> =
        shape_bytes.chunks_exact(8).map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")) as usize).collect();
    let Some(bytes) = shape.iter().try_fold(dtype.size(), |acc, &d| acc.checked_mul(d)) else {
        return Err(fault(c, format!("output array `{name}`: shape {shape:?} of `{dtype}` overflows")));
    };
    Ok(Header { name, axes, dtype, shape, bytes })
}

/// Counts `bytes` against the call's output limit.
pub(crate) fn charge(c: &mut Caller<'_, GuestState>, bytes: usize) -> Res<()> {
    let st = c.data();
    if st.output_bytes.saturating_add(bytes) > st.output_cap {
        let cap = st.output_cap;
        return Err(fault(c, format!("outputs of one call exceed the sandbox's output limit of {cap} bytes")));
    }
    c.data_mut().output_bytes += bytes;
    Ok(())
}

/// Refuses to go on while an array is open (a frame or another array).
pub(crate) fn none_open(c: &mut Caller<'_, GuestState>, what: &str) -> Res<()> {
    match c.data().open.as_ref() {
        Some(open) => {
            let message = format!("{what} while output array `{}` is still open ({})", open.name, open.unfinished());
            Err(fault(c, message))
        }
        None => Ok(()),
    }
}

/// Moves the completed open array into the current output frame.
fn finish(c: &mut Caller<'_, GuestState>) -> Res<()> {
    let open = c.data_mut().open.take().expect("an array is open");
    let array = open.buf.into_array();
    let array = match if open.axes.is_empty() { Ok(array) } else { array.with_axes(&open.axes) } {
        Ok(a) => a,
        Err(e) => return Err(fault(c, format!("output array `{}`: {e}", open.name))),
    };
    let frame = c.data_mut().frames.last_mut().expect("a frame is checked when the array is begun");
    frame.insert(open.name, array);
    Ok(())
}

pub(crate) fn define_slab_output(linker: &mut Linker<GuestState>) -> Res<()> {
    let m = abi::IMPORT_MODULE;
    linker.func_wrap(
        m,
        "output_array_begin",
        |mut c: Caller<'_, GuestState>,
         np: i32,
         nl: i32,
         dtype: i32,
         sp: i32,
         ndim: i32,
         ap: i32,
         al: i32|
         -> Res<i32> {
            let h = header(&mut c, np, nl, dtype, sp, ndim, ap, al)?;
            none_open(&mut c, &format!("output array `{}` begun", h.name))?;
            if c.data().frames.is_empty() {
                return Err(fault(&mut c, format!("output array `{}` before any output_frame", h.name)));
            }
            charge(&mut c, h.bytes)?;
            let buf = match RawArrayBuf::new(h.dtype, h.shape) {
                Ok(b) => b,
                Err(e) => return Err(fault(&mut c, format!("output array `{}`: {e}", h.name))),
            };
            c.data_mut().open = Some(OpenArray { name: h.name, axes: h.axes, buf, len: h.bytes, written: 0 });
            if h.bytes == 0 {
                finish(&mut c)?;
            }
            Ok(abi::OK)
        },
    )?;
    linker.func_wrap(m, "output_array_write", |mut c: Caller<'_, GuestState>, data: i32, len: i32| -> Res<i32> {
        let r = range(&mut c, data, len, "output_array_write source")?;
        let problem = {
            let (mem, st) = memory(&c).data_and_store_mut(&mut c);
            match st.open.as_mut() {
                None => Some("output_array_write without an array begun by output_array_begin".to_string()),
                Some(open) if open.written + r.len() > open.len => Some(format!(
                    "output array `{}`: a slab of {} bytes at byte {} overruns its {} bytes",
                    open.name,
                    r.len(),
                    open.written,
                    open.len
                )),
                Some(open) => {
                    let end = open.written + r.len();
                    open.buf.bytes_mut()[open.written..end].copy_from_slice(&mem[r]);
                    open.written = end;
                    None
                }
            }
        };
        if let Some(problem) = problem {
            return Err(fault(&mut c, problem));
        }
        if c.data().open.as_ref().is_some_and(|o| o.written == o.len) {
            finish(&mut c)?;
        }
        Ok(abi::OK)
    })?;
    Ok(())
}

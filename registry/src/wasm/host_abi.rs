//! The `plexus` host functions a guest imports (`plugin-api/WASM_ABI.md`):
//! configuration, input reads, output frames and arrays, results, events,
//! errors and state. Every pointer a guest passes is checked against its
//! memory; a bad one ends the call as a guest fault.

use plexus_plugin_api::abi::wasm as abi;
use plexus_plugin_api::{Array, ChunkKey, Frame, Sink};
use serde_json::Value;
use wasmtime::{Caller, Linker};

use crate::described::DescribedOperator;
use crate::wasm::slab_output::{define_slab_output, header, none_open, Header};
use crate::wasm::state::{fault, input_string, memory, range, read_bytes, read_str, write_out, GuestState, Res};

pub(crate) fn define_plexus(linker: &mut Linker<GuestState>) -> Res<()> {
    let m = abi::IMPORT_MODULE;
    linker.func_wrap(m, "describe_operator", |mut c: Caller<'_, GuestState>, p: i32, l: i32| -> Res<()> {
        let name = read_str(&mut c, p, l, "operator name")?;
        c.data_mut().operators.push(DescribedOperator::named(name));
        Ok(())
    })?;
    linker.func_wrap(
        m,
        "describe_params",
        |mut c: Caller<'_, GuestState>, np: i32, nl: i32, jp: i32, jl: i32| -> Res<()> {
            let name = read_str(&mut c, np, nl, "operator name")?;
            let json = read_str(&mut c, jp, jl, "parameter table")?;
            #[derive(serde::Deserialize)]
            struct Table {
                #[serde(default)]
                params: Option<Vec<(String, plexus_plugin_api::ParamSpec)>>,
                #[serde(default)]
                params_error: Option<String>,
            }
            let table: Table = serde_json::from_str(&json)
                .map_err(|e| fault(&mut c, format!("describe_params: the table of `{name}` is not valid: {e}")))?;
            match c.data_mut().operators.iter_mut().find(|o| o.name == name) {
                Some(op) => {
                    op.params = table.params;
                    op.params_error = table.params_error;
                    Ok(())
                }
                None => Err(fault(&mut c, format!("describe_params: operator `{name}` was not declared"))),
            }
        },
    )?;
    linker.func_wrap(m, "config_name", |mut c: Caller<'_, GuestState>, dst: i32, cap: i32| -> Res<i32> {
        let s = c.data().config_name.clone();
        write_out(&mut c, s.as_bytes(), dst, cap, "config_name buffer")
    })?;
    linker.func_wrap(m, "config_params", |mut c: Caller<'_, GuestState>, dst: i32, cap: i32| -> Res<i32> {
        let s = c.data().config_params.clone();
        write_out(&mut c, s.as_bytes(), dst, cap, "config_params buffer")
    })?;
    linker.func_wrap(m, "input_info", |mut c: Caller<'_, GuestState>, i: i32, dst: i32| -> Res<i32> {
        let mut info = [0u8; abi::ARRAY_INFO_SIZE];
        let Some(frame) = c.data().input() else { return Ok(abi::ERR) };
        let Some((_, a)) = frame.arrays().get(i as u32 as usize) else { return Ok(abi::ERR) };
        let rank = a.shape().len();
        if rank > abi::MAX_RANK {
            return Err(fault(
                &mut c,
                format!("input array {i} has rank {rank} (wasm guests take at most {})", abi::MAX_RANK),
            ));
        }
        info[0..4].copy_from_slice(&(a.dtype() as u32).to_le_bytes());
        info[4..8].copy_from_slice(&(a.shape().len() as u32).to_le_bytes());
        info[8..16].copy_from_slice(&(a.as_bytes().len() as u64).to_le_bytes());
        for (d, n) in a.shape().iter().enumerate() {
            info[16 + 8 * d..24 + 8 * d].copy_from_slice(&(*n as u64).to_le_bytes());
        }
        write_out(&mut c, &info, dst, info.len() as i32, "array info record")?;
        Ok(abi::OK)
    })?;
    linker.func_wrap(m, "input_name", |mut c: Caller<'_, GuestState>, i: i32, dst: i32, cap: i32| -> Res<i32> {
        let s = input_string(&mut c, |f| f.arrays().get(i as u32 as usize).map(|a| a.0.clone()).unwrap_or_default());
        write_out(&mut c, s.as_bytes(), dst, cap, "input_name buffer")
    })?;
    linker.func_wrap(m, "input_axes", |mut c: Caller<'_, GuestState>, i: i32, dst: i32, cap: i32| -> Res<i32> {
        let s = input_string(&mut c, |f| {
            f.arrays().get(i as u32 as usize).map(|a| a.1.axes().to_string()).unwrap_or_default()
        });
        write_out(&mut c, s.as_bytes(), dst, cap, "input_axes buffer")
    })?;
    linker.func_wrap(m, "input_dataset", |mut c: Caller<'_, GuestState>, dst: i32, cap: i32| -> Res<i32> {
        let s = input_string(&mut c, |f| f.dataset().to_string());
        write_out(&mut c, s.as_bytes(), dst, cap, "input_dataset buffer")
    })?;
    linker.func_wrap(m, "input_meta", |mut c: Caller<'_, GuestState>, dst: i32, cap: i32| -> Res<i32> {
        let s = input_string(&mut c, |f| if f.meta().is_empty() { String::new() } else { f.meta_json().to_string() });
        write_out(&mut c, s.as_bytes(), dst, cap, "input_meta buffer")
    })?;
    linker.func_wrap(
        m,
        "input_read",
        |mut c: Caller<'_, GuestState>, i: i32, offset: i64, dst: i32, len: i32| -> Res<i32> {
            let r = range(&mut c, dst, len, "input_read destination")?;
            let (mem, state) = memory(&c).data_and_store_mut(&mut c);
            let Some(frame) = state.input() else { return Ok(abi::ERR) };
            let Some((_, a)) = frame.arrays().get(i as u32 as usize) else { return Ok(abi::ERR) };
            let src = a.as_bytes();
            let start = offset as u64 as usize;
            match start.checked_add(r.len()) {
                Some(end) if end <= src.len() => {
                    mem[r].copy_from_slice(&src[start..end]);
                    Ok(abi::OK)
                }
                _ => Ok(abi::ERR),
            }
        },
    )?;
    linker.func_wrap(
        m,
        "output_frame",
        |mut c: Caller<'_, GuestState>,
         dp: i32,
         dl: i32,
         axis: i32,
         offset: i64,
         length: i64,
         extent: i64,
         mp: i32,
         ml: i32|
         -> Res<i32> {
            none_open(&mut c, "output_frame")?;
            let dataset = read_str(&mut c, dp, dl, "output frame dataset")?;
            let meta = read_str(&mut c, mp, ml, "output frame metadata")?;
            let key =
                ChunkKey { axis: axis as u32, offset: offset as u64, length: length as u64, extent: extent as u64 };
            let mut frame = Frame::new(dataset, key);
            if !meta.is_empty() {
                match serde_json::from_str::<Value>(&meta) {
                    Ok(Value::Object(m)) => *frame.meta_mut() = m,
                    _ => return Err(fault(&mut c, "output frame metadata is not a JSON object".to_string())),
                }
            }
            let frames = &mut c.data_mut().frames;
            frames.push(frame);
            Ok(frames.len() as i32 - 1)
        },
    )?;
    linker.func_wrap(
        m,
        "output_array",
        |mut c: Caller<'_, GuestState>,
         np: i32,
         nl: i32,
         dtype: i32,
         sp: i32,
         ndim: i32,
         ap: i32,
         al: i32,
         data: i32,
         len: i32|
         -> Res<i32> {
            let Header { name, axes, dtype, shape, bytes: claimed } = header(&mut c, np, nl, dtype, sp, ndim, ap, al)?;
            none_open(&mut c, &format!("output array `{name}` given"))?;
            let size = memory(&c).data_size(&c);
            if claimed != len as u32 as usize {
                return Err(fault(
                    &mut c,
                    format!(
                        "output array `{name}`: shape {shape:?} of `{dtype}` does not match the {} bytes passed",
                        len as u32
                    ),
                ));
            }
            if claimed > size {
                return Err(fault(
                    &mut c,
                    format!(
                        "output array `{name}` claims {claimed} bytes, more than the guest's whole {size}-byte memory; write it in slabs with output_array_begin / output_array_write"
                    ),
                ));
            }
            let st = c.data();
            if st.output_bytes + claimed > st.output_cap {
                let cap = st.output_cap;
                return Err(fault(
                    &mut c,
                    format!("outputs of one call exceed the sandbox's output limit of {cap} bytes"),
                ));
            }
            let r = range(&mut c, data, len, &format!("output array `{name}`"))?;
            let array = Array::from_bytes(dtype, shape, &memory(&c).data(&c)[r])
                .and_then(|a| if axes.is_empty() { Ok(a) } else { a.with_axes(&axes) })
                .map_err(|e| fault(&mut c, format!("output array `{name}`: {e}")))?;
            let st = c.data_mut();
            st.output_bytes += claimed;
            let Some(frame) = st.frames.last_mut() else {
                return Err(fault(&mut c, format!("output array `{name}` before any output_frame")));
            };
            frame.insert(name, array);
            Ok(frame.arrays().len() as i32 - 1)
        },
    )?;
    linker.func_wrap(m, "output_result", |mut c: Caller<'_, GuestState>, p: i32, l: i32| -> Res<()> {
        let text = read_str(&mut c, p, l, "result JSON")?;
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => {
                for (k, v) in m {
                    c.data_mut().out.result(&k, v);
                }
                Ok(())
            }
            _ => Err(fault(&mut c, "output_result: not a JSON object".to_string())),
        }
    })?;
    linker.func_wrap(m, "output_event", |mut c: Caller<'_, GuestState>, p: i32, l: i32| -> Res<()> {
        let text = read_str(&mut c, p, l, "event JSON")?;
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(mut m)) => {
                if !m.get("kind").is_some_and(Value::is_string) {
                    m.insert("kind".into(), "event".into());
                }
                c.data_mut().out.event(m);
                Ok(())
            }
            _ => Err(fault(&mut c, "output_event: not a JSON object".to_string())),
        }
    })?;
    linker.func_wrap(m, "output_forward", |mut c: Caller<'_, GuestState>| c.data_mut().out.forward())?;
    linker.func_wrap(m, "output_end_stream", |mut c: Caller<'_, GuestState>| c.data_mut().out.end_stream())?;
    linker.func_wrap(
        m,
        "error",
        |mut c: Caller<'_, GuestState>, code: i32, ap: i32, al: i32, bp: i32, bl: i32, cp: i32, cl: i32| -> Res<()> {
            let a = read_str(&mut c, ap, al, "error field a")?;
            let b = read_str(&mut c, bp, bl, "error field b")?;
            let cc = read_str(&mut c, cp, cl, "error field c")?;
            c.data_mut().guest_error = Some(abi::decode_error(code as u32, &a, &b, &cc));
            Ok(())
        },
    )?;
    linker.func_wrap(m, "state_write", |mut c: Caller<'_, GuestState>, p: i32, l: i32| -> Res<()> {
        let bytes = read_bytes(&mut c, p, l, "state")?;
        c.data_mut().state_out.extend_from_slice(&bytes);
        Ok(())
    })?;
    linker.func_wrap(
        m,
        "state_read",
        |mut c: Caller<'_, GuestState>, offset: i64, dst: i32, len: i32| -> Res<i32> {
            let r = range(&mut c, dst, len, "state_read destination")?;
            let (mem, state) = memory(&c).data_and_store_mut(&mut c);
            let start = offset as u64 as usize;
            match start.checked_add(r.len()) {
                Some(end) if end <= state.state_in.len() => {
                    mem[r].copy_from_slice(&state.state_in[start..end]);
                    Ok(abi::OK)
                }
                _ => Ok(abi::ERR),
            }
        },
    )?;
    define_slab_output(linker)
}

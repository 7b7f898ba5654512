//! The output array a guest is writing slab by slab
//! ([`super::slab_output`]), held in the store's [`super::state::GuestState`]
//! between host calls.

use plexus_plugin_api::RawArrayBuf;

/// An array being written slab by slab.
pub(crate) struct OpenArray {
    pub(crate) name: String,
    pub(crate) axes: String,
    pub(crate) buf: RawArrayBuf,
    /// Its size in bytes.
    pub(crate) len: usize,
    /// How many of them the guest has written.
    pub(crate) written: usize,
}

impl OpenArray {
    /// What a call that ends with this array open is told.
    pub(crate) fn unfinished(&self) -> String {
        format!(
            "output array `{}` was left incomplete: {} of its {} bytes written with output_array_write",
            self.name, self.written, self.len
        )
    }
}

//! The plugin's operators: each file builds one operator from its
//! parameter struct (the kernel's, made to implement `Params`), reads its
//! frames through [`frames`] and calls the kernel of the same name.
//!
//! | operator | pattern | state across frames |
//! |---|---|---|
//! | `normalize` | projection | the flat field, built from the first frame |
//! | `minus_log` | frame | none |
//! | `phase_retrieval` | projection | none |
//! | `remove_zingers` | projection | none |
//! | `remove_zingers_sinogram` | sinogram | none |
//! | `remove_stripes` | sinogram | none |
//! | `find_center` | sinogram | the centre, once found (forwards its input) |
//! | `fbp`, `gridrec` | sinogram | none |
//! | `sirt`, `cgls`, `sart` | sinogram | residuals per row, published at `finish` |

pub mod cgls;
pub mod fbp;
pub mod find_center;
pub mod frames;
pub mod gridrec;
pub mod iterative;
pub mod minus_log;
pub mod normalize;
pub mod phase_retrieval;
pub mod remove_stripes;
pub mod remove_zingers;
pub mod sart;
pub mod sirt;

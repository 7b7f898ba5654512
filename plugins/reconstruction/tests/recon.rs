//! Integration tests of plexus-reconstruction: the kernels (`recon`)
//! against peer fixtures (`fixtures/make_fixtures.py`: scikit-image,
//! ASTRA, algotom, scipy, numpy, TomoPy's formulas) and closed forms; the
//! plugin's operators (`plugin`) through the compliance harness, against
//! the kernels. One binary, one module per topic; `common` holds the
//! phantom, the `.npy` reader and PSNR.

mod common;

mod recon {
    mod center;
    pub mod chunking;
    mod fbp;
    mod iterative;
    mod phase;
    mod preprocess;
    pub mod scan;
    mod stripes;
}

mod plugin;

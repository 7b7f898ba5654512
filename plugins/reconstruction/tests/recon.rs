//! Integration tests of plexus-reconstruction against peer fixtures
//! (`fixtures/make_fixtures.py`: scikit-image, ASTRA, algotom, scipy,
//! numpy, TomoPy's formulas) and closed forms. One binary, one module per
//! topic; `common` holds the phantom, the `.npy` reader and PSNR.

mod common;

mod recon {
    mod center;
    mod chunking;
    mod fbp;
    mod iterative;
    mod phase;
    mod preprocess;
    mod scan;
    mod stripes;
}

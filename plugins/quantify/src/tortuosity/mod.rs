//! The `tortuosity` operator: how much longer transport through the pore
//! phase is than straight through the box, along one axis.
//!
//! - **Diffusive** ([`diffusive`]), as PoreSpy's `simulations.tortuosity_fd`:
//!   steady diffusion on the voxel grid (one node per pore voxel, unit
//!   conductance between face neighbours), concentration 1 on the pore
//!   voxels of the first slice along `axis` and 0 on the last; with the rate
//!   `R` leaving the inlet slice, `D_eff = R · (L − 1) / A / ΔC` (`A` the
//!   box cross-section in voxels, `L` its length: the boundary values sit on
//!   voxel centres, PoreSpy issue #495) and `τ = ε / D_eff`, `ε` the
//!   porosity after removing pores that do not connect inlet and outlet
//!   (6-connected, as PoreSpy's `trim_nonpercolating_paths`). Solved by
//!   Jacobi-preconditioned conjugate gradients to `tolerance` (relative
//!   residual).
//! - **Geometric** ([`geometric`]): the shortest path through the pore
//!   phase (26-connected steps of length 1, √2, √3 voxels scaled by the voxel
//!   size) from any pore voxel of the inlet slice to each reachable pore
//!   voxel of the outlet slice, divided by the straight distance between the
//!   two slices' centres, averaged over the outlet voxels reached.
//!
//! # Chunks
//! Both need the whole pore network: the operator runs on whole volumes.
//!
//! # References
//! - J. T. Gostick et al., "PoreSpy: a Python toolkit for quantitative
//!   analysis of porous media images", *Journal of Open Source Software*
//!   4(37):1296 (2019), doi:10.21105/joss.01296.
//! - B. Tjaden, D. J. L. Brett, P. R. Shearing, "Tortuosity in electrochemical
//!   devices: a review of calculation approaches", *International Materials
//!   Reviews* 63(2):47–67 (2018), doi:10.1080/09506608.2016.1249995.
//! - M. R. Hestenes, E. Stiefel, "Methods of conjugate gradients for solving
//!   linear systems", *J. Res. Natl. Bur. Stand.* 49(6):409–436 (1952),
//!   doi:10.6028/jres.049.044.
//! - E. W. Dijkstra, "A note on two problems in connexion with graphs",
//!   *Numerische Mathematik* 1:269–271 (1959), doi:10.1007/BF01386390.

pub mod diffusive;
pub mod geometric;
pub mod multigrid;

use plexus_kernels::chunk::VolumeChunk;
use plexus_kernels::volume::label::label;
use plexus_kernels::volume::{Connectivity, Shape};
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::error::{param, QuantifyError};

/// Which tortuosity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// From a finite-difference diffusion solve.
    Diffusive,
    /// From shortest paths.
    Geometric,
}

/// Parameters of `quantify.tortuosity`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TortuosityParams {
    /// `diffusive` (default) or `geometric`.
    pub kind: Kind,
    /// Transport axis: 0 = z (default), 1 = y, 2 = x.
    pub axis: usize,
    /// Relative residual of the diffusion solve (default 1e-7).
    pub tolerance: f64,
    /// Iteration cap of the diffusion solve (default 20 000).
    pub max_iterations: usize,
    /// Voxel size `[z, y, x]`, µm, for geometric path lengths (default 1).
    pub voxel_size_um: Vec<f64>,
}

impl Default for TortuosityParams {
    fn default() -> Self {
        TortuosityParams {
            kind: Kind::Diffusive,
            axis: 0,
            tolerance: 1e-7,
            max_iterations: 20_000,
            voxel_size_um: vec![1.0; 3],
        }
    }
}

impl Params for TortuosityParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "kind",
            "diffusive: steady diffusion by finite differences (PoreSpy tortuosity_fd); geometric: shortest paths",
        ),
        Param::new("axis", "transport axis: 0 = z, 1 = y, 2 = x; inlet and outlet are its first and last slices")
            .max(2.0),
        Param::new("tolerance", "relative residual of the diffusion solve").min(0.0),
        Param::new("max_iterations", "iteration cap of the diffusion solve").min(1.0),
        Param::new("voxel_size_um", "voxel size [z, y, x] in µm for geometric path lengths").min(0.0),
    ];
}

/// The result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tortuosity {
    /// Which tortuosity this is.
    pub kind: Kind,
    /// τ, dimensionless (≥ 1 for geometric).
    pub tortuosity: f64,
    /// Porosity of the whole phase.
    pub porosity: f64,
    /// Porosity of the part connecting inlet and outlet.
    pub effective_porosity: f64,
    /// Diffusive: effective diffusivity relative to free diffusion
    /// (`1 / formation factor`); geometric: 0.
    pub effective_diffusivity: f64,
    /// Diffusive: CG iterations; geometric: outlet voxels reached.
    pub iterations: usize,
}

/// Tortuosity of the pore phase (nonzero) of `mask` along `params.axis`.
pub fn tortuosity(
    mask: &[u8],
    shape: Shape,
    params: &TortuosityParams,
    threads: usize,
) -> Result<Tortuosity, QuantifyError> {
    shape.check("mask", mask.len())?;
    if params.axis > 2 {
        return Err(param("axis", "must be 0 (z), 1 (y) or 2 (x)", params.axis));
    }
    if shape.dims()[params.axis] < 2 {
        return Err(param("axis", "must have at least 2 voxels along it", params.axis));
    }
    match params.kind {
        Kind::Diffusive => diffusive::tortuosity_fd(mask, shape, params, threads),
        Kind::Geometric => geometric::tortuosity_geometric(mask, shape, params),
    }
}

/// Index along `axis` of voxel `i`.
#[inline]
pub(crate) fn coord(i: usize, shape: Shape, axis: usize) -> usize {
    match axis {
        0 => i / shape.slice_len(),
        1 => i / shape.x % shape.y,
        _ => i % shape.x,
    }
}

/// The pore voxels (nonzero) 6-connected to both the first and the last
/// slice along `axis`, as PoreSpy's `trim_nonpercolating_paths`.
pub(crate) fn percolating(mask: &[u8], shape: Shape, axis: usize, threads: usize) -> Result<Vec<u8>, QuantifyError> {
    let l = label(mask, shape, Connectivity::Six, threads)?;
    let n = shape.dims()[axis];
    let mut at_in = vec![false; l.count() + 1];
    let mut at_out = vec![false; l.count() + 1];
    for (i, &lab) in l.labels.iter().enumerate() {
        if lab == 0 {
            continue;
        }
        let c = coord(i, shape, axis);
        if c == 0 {
            at_in[lab as usize] = true;
        }
        if c == n - 1 {
            at_out[lab as usize] = true;
        }
    }
    Ok(l.labels.iter().map(|&lab| (lab != 0 && at_in[lab as usize] && at_out[lab as usize]) as u8).collect())
}

/// The `tortuosity` operator: τ of the pore phase (nonzero) of a whole
/// volume along `axis`, published at `finish` as `tortuosity`
/// (dimensionless), `kind`, `axis`, `porosity`, `effective_porosity`,
/// `effective_diffusivity` (relative to free diffusion) and `iterations`;
/// frames are forwarded. Transport needs the whole pore network: a frame
/// must be the whole volume.
#[derive(Debug)]
pub struct TortuosityOp {
    params: TortuosityParams,
    threads: usize,
    result: Option<Tortuosity>,
}

impl TortuosityOp {
    /// Checks the parameters and builds the operator.
    pub fn new(params: TortuosityParams, ctx: &Context) -> Result<TortuosityOp, PluginError> {
        plexus_kernels::volume::shape::voxel_size("voxel_size_um", &params.voxel_size_um)?;
        Ok(TortuosityOp { params, threads: ctx.threads(), result: None })
    }
}

impl Operator for TortuosityOp {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let c = VolumeChunk::of(input)?;
        c.require_whole("transport runs through the whole pore network")?;
        if self.result.is_some() {
            return Err(PluginError::bad_input(c.name, "one volume per stream", "a second frame"));
        }
        self.result = Some(tortuosity(&c.mask(), c.shape, &self.params, self.threads)?);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let Some(t) = self.result else {
            return Err(PluginError::bad_input("", "a volume", "no frame"));
        };
        out.result("tortuosity", t.tortuosity);
        out.result("kind", serde_json::to_value(t.kind).unwrap_or_default());
        out.result("axis", self.params.axis);
        out.result("porosity", t.porosity);
        out.result("effective_porosity", t.effective_porosity);
        out.result("effective_diffusivity", t.effective_diffusivity);
        out.result("iterations", t.iterations);
        Ok(())
    }
}

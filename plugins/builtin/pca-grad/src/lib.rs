//! `pca-grad`: replaces each LoRA gradient G by its rank-n SVD reconstruction
//! U_n·S_n·V_nᵀ (n = `components`), the top-n principal directions of the update.
//!
//! With `refresh_every` = T > 1 the SVD runs only every T steps (at steps divisible by
//! T, and on the first call), as GaLore does (Zhao et al. 2024, arXiv 2403.03507): the
//! plugin keeps the singular vectors of the smaller side — U_n (m × n) when G is
//! m × n' with m ≤ n', else V_n — and in between projects the new gradient onto them:
//! U_n·U_nᵀ·G, or G·V_n·V_nᵀ. On refresh steps the output is the reconstruction itself
//! (which equals that projection of the same G).
//!
//! Parameters: `components` (1), `refresh_every` (1), `factors` (A | B | both).

use clora_plugin_sdk::prelude::*;

const PARAMS: &[ParamDecl] = &[
    ParamDecl::int(
        "components",
        1,
        "Rank n of the reconstruction: the number of singular directions kept.",
    )
    .min(1.0),
    ParamDecl::int(
        "refresh_every",
        1,
        "Recompute the SVD every T steps; in between project onto the kept singular \
         vectors (GaLore-style). 1 = an exact SVD reconstruction every step.",
    )
    .min(1.0),
    ParamDecl::choice(
        "factors",
        "both",
        &["A", "B", "both"],
        "Which gradients are processed; the others pass unchanged.",
    ),
];

/// The kept singular vectors of one gradient: its column space (left) or row space.
enum Basis {
    /// U_n, m × n: project with U_n·U_nᵀ·G.
    Left(Tensor),
    /// V_nᵀ, n × n': project with G·V_n·V_nᵀ.
    Right(Tensor),
}

/// How one gradient is processed.
struct Config {
    components: u64,
    refresh_every: u64,
}

struct PcaGrad {
    config: Config,
    do_a: bool,
    do_b: bool,
    /// Per layer, the bases kept for A's and B's gradients (refresh_every > 1 only).
    bases_a: Vec<Option<Basis>>,
    bases_b: Vec<Option<Basis>>,
}

impl Config {
    /// The processed gradient, refreshing `basis` when due.
    fn process(&self, step: u64, g: &Tensor, basis: &mut Option<Basis>) -> Result<Tensor> {
        let refresh = basis.is_none() || step.is_multiple_of(self.refresh_every);
        if !refresh {
            return match basis {
                Some(Basis::Left(u)) => Ok(u.matmul(&u.t()?.matmul(g)?)?),
                Some(Basis::Right(vh)) => Ok(g.matmul(&vh.t()?)?.matmul(vh)?),
                None => unreachable!("refresh is forced without a basis"),
            };
        }
        let (rows, cols) = g.matrix_dims()?;
        let n = self.components.min(rows.min(cols)) as i64;
        let svd = g.svd()?;
        let u = svd.u.narrow(1, 0, n)?;
        let s = svd.s.narrow(0, 0, n)?.reshape(&[1, n])?;
        let vh = svd.vh.narrow(0, 0, n)?;
        let reconstruction = u.mul(&s)?.matmul(&vh)?;
        if self.refresh_every > 1 {
            *basis = Some(if rows <= cols {
                Basis::Left(u)
            } else {
                Basis::Right(vh)
            });
        }
        Ok(reconstruction)
    }

    /// Every layer's gradient of one factor: processed when `on`, else passed unchanged.
    fn process_all(
        &self,
        step: u64,
        grads: &[Tensor],
        bases: &mut [Option<Basis>],
        on: bool,
        factor: &str,
    ) -> Result<Vec<Tensor>> {
        let mut out = Vec::with_capacity(grads.len());
        for (i, (g, basis)) in grads.iter().zip(bases.iter_mut()).enumerate() {
            out.push(if on {
                self.process(step, g, basis)
                    .with_context(|| format!("layer {i}: gradient of {factor}"))?
            } else {
                g.detach()?
            });
        }
        Ok(out)
    }
}

impl GradProcessor for PcaGrad {
    const NAME: &'static str = "pca-grad";
    const DESCRIPTION: &'static str =
        "Replaces each LoRA gradient by its rank-n SVD reconstruction (optionally GaLore-style refresh).";
    const PARAMS: &'static [ParamDecl] = PARAMS;

    fn init(params: &Params, layers: Vec<Layer>) -> Result<Self> {
        let components = params.uint("components")?;
        let factors = params.text("factors")?;
        if let Some(layer) = layers.iter().find(|l| u64::from(l.rank) <= components) {
            log::warn(&format!(
                "components = {components} ≥ rank {} of layer {}: its gradients keep every \
                 singular direction and pass unchanged",
                layer.rank, layer.name
            ));
        }
        Ok(PcaGrad {
            config: Config {
                components,
                refresh_every: params.uint("refresh_every")?,
            },
            do_a: factors != "B",
            do_b: factors != "A",
            bases_a: layers.iter().map(|_| None).collect(),
            bases_b: layers.iter().map(|_| None).collect(),
        })
    }

    fn process_grads(&mut self, step: u64, grad_a: &[Tensor], grad_b: &[Tensor]) -> Result<Grads> {
        let a = self
            .config
            .process_all(step, grad_a, &mut self.bases_a, self.do_a, "A")?;
        let b = self
            .config
            .process_all(step, grad_b, &mut self.bases_b, self.do_b, "B")?;
        Ok(Grads { a, b })
    }
}

register_grad_processor!(PcaGrad);

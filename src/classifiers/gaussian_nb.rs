//! Gaussian naive Bayes: per class, independent normal features. Fitted in closed form (class
//! priors, per-feature means and variances) on the device; prediction is Bayes' rule.
//! Variance smoothing follows scikit-learn: `var_smoothing * max feature variance` is added.

use super::{Classifier, Family, ModelSpec, ModelState, StepOutput, TrainData};
use burn::tensor::Device;
use crate::error::LabError;
use crate::params::{ParamKind, ParamSpec, Params};
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

const VAR_SMOOTHING: ParamSpec = ParamSpec {
    key: "smooth",
    label: "Variance smoothing",
    doc: "Fraction of the largest feature variance added to every variance, for stability.",
    kind: ParamKind::Float { min: 0.0, max: 1.0, default: 1e-9, log: true },
};

pub static SPEC: ModelSpec = ModelSpec {
    name: "gnb",
    label: "Gaussian naive Bayes",
    family: Family::Probabilistic,
    summary: "A generative model: each class is a Gaussian with independent features; Bayes' rule \
              turns the class densities into probabilities. Fitted in closed form in one step.",
    params: &[VAR_SMOOTHING],
    default_steps: 1,
    builder: build,
    restore,
};

fn build(params: &Params, data: &TrainData, _seed: u64) -> Result<Box<dyn Classifier>, LabError> {
    Ok(Box::new(GaussianNb::fit(data, params.f64("smooth"))))
}

fn restore(_: &Params, state: &ModelState, device: &Device) -> Result<Box<dyn Classifier>, LabError> {
    let (means, vars, priors) = (state.tensor("means", device)?, state.tensor("variances", device)?, state.tensor("priors", device)?);
    let [c, _] = means.dims();
    if vars.dims() != means.dims() || priors.dims() != [1, c] {
        return Err(LabError::Data("the saved means, variances and priors do not fit together".into()));
    }
    Ok(Box::new(GaussianNb { means, vars: vars.clamp_min(1e-12), priors }))
}

pub struct GaussianNb {
    /// `[C, d]`
    means: Tensor<2>,
    /// `[C, d]`, smoothed.
    vars: Tensor<2>,
    /// `[1, C]`
    priors: Tensor<2>,
}

impl GaussianNb {
    pub fn fit(data: &TrainData, var_smoothing: f64) -> Self {
        let n = data.n() as f64;
        let x = data.x.clone().without_autodiff();
        let onehot = data.y_onehot.clone().without_autodiff(); // [n, C]
        let counts = onehot.clone().sum_dim(0); // [1, C]
        // An absent class would divide by zero; its prior is 0 so it never wins anyway.
        let per_class = counts.clone().clamp_min(1.0).transpose(); // [C, 1]
        let means = onehot.clone().transpose().matmul(x.clone()).div(per_class.clone()); // [C, d]
        // Centred second moment: sum over the class of (x - mean_c)^2.
        let centred = x.clone() - onehot.clone().matmul(means.clone()); // [n, d]
        let vars = onehot.transpose().matmul(centred.powi_scalar(2)).div(per_class); // [C, d]
        // scikit-learn: epsilon = var_smoothing * max over features of the overall variance, here
        // by the law of total variance from the class moments, so no further [n, d] temporary is
        // formed (a million rows: 80 MB less at the peak).
        let share = counts.clone().div_scalar(n); // [1, C]
        let mu = share.clone().matmul(means.clone()); // [1, d]
        let within = share.clone().matmul(vars.clone());
        let between = share.matmul((means.clone() - mu).powi_scalar(2));
        let overall = within + between; // [1, d]
        let eps = overall.max().mul_scalar(var_smoothing).unsqueeze::<2>(); // [1, 1]
        let vars = (vars + eps).clamp_min(1e-12);
        Self { means, vars, priors: counts.div_scalar(n) }
    }

    pub fn means(&self) -> Tensor<2> {
        self.means.clone()
    }
    pub fn variances(&self) -> Tensor<2> {
        self.vars.clone()
    }
    pub fn priors(&self) -> Tensor<2> {
        self.priors.clone()
    }

    /// Joint log-likelihood `[m, C]`, expanded into matrix products so no `[m, C, d]` tensor is
    /// formed: sum_j (q_j - mu_cj)^2 / v_cj = q^2 . (1/v) - 2 q . (mu/v) + sum_j mu_cj^2 / v_cj.
    pub fn joint_log_likelihood(&self, q: Tensor<2>) -> Tensor<2> {
        let inv = self.vars.clone().recip(); // [C, d]
        let quad = q.clone().powi_scalar(2).matmul(inv.clone().transpose())
            - q.matmul((self.means.clone() * inv.clone()).transpose()).mul_scalar(2.0)
            + (self.means.clone().powi_scalar(2) * inv).sum_dim(1).transpose(); // [m, C]
        let log_norm = self.vars.clone().mul_scalar(2.0 * core::f64::consts::PI).log().sum_dim(1).transpose(); // [1, C]
        self.priors.clone().log() - log_norm.mul_scalar(0.5) - quad.mul_scalar(0.5)
    }
}

impl Classifier for GaussianNb {
    fn step(&mut self) -> Result<StepOutput, LabError> {
        Ok(StepOutput { loss: None, converged: true })
    }

    fn predict_proba(&self, x: Tensor<2>) -> Tensor<2> {
        softmax(self.joint_log_likelihood(x.without_autodiff()), 1)
    }

    fn state(&self) -> Vec<(String, Tensor<2>)> {
        vec![("means".into(), self.means()), ("variances".into(), self.variances()), ("priors".into(), self.priors())]
    }
}

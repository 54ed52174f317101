//! The creditor's handling models and segmentation rules: show, set (validated against the law,
//! starting and ending experiments with it), and the defaults of a jurisdiction.

use crate::{App, AppError, CreditorId, Result};
use fordra_core::domain::JurisdictionCode;
use fordra_core::model::Policy;
use serde::Serialize;

/// A policy set.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PolicySet {
    /// The creditor.
    #[schema(value_type = String)]
    pub creditor: CreditorId,
    /// Always "updated".
    pub policy: &'static str,
    /// Where it came from.
    pub file: String,
    /// Experiments started (challengers new in the policy).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub started: Vec<String>,
    /// Experiments stopped (challengers removed from it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stopped: Vec<String>,
}

/// A jurisdiction's default handling models.
pub fn default_policy(j: JurisdictionCode) -> Policy {
    Policy::default_for(j)
}

/// Reads a policy from TOML bytes named `source` (a file name or an upload).
pub fn parse_policy(source: &str, bytes: &[u8]) -> Result<Policy> {
    let text = crate::input::config_text(source, bytes)?;
    Policy::from_toml(&text).map_err(|e| AppError::invalid(source, e.to_string()))
}

/// Checks a policy's own wording against the message catalogue: each problem in words.
pub type WordingCheck = dyn Fn(&Policy) -> Vec<String>;

impl App<'_> {
    /// The creditor's policy.
    pub fn show_policy(&mut self, creditor: &CreditorId) -> Result<Policy> {
        Ok(self.store.creditor(creditor)?.policy)
    }

    /// Replaces the creditor's policy after checking it against the law and its own wording
    /// with `wording` (the message catalogue's check, which lives with the messages: every
    /// adapter passes it, so no adapter can store wording the letters cannot print); a challenger
    /// new in it starts an experiment, one removed from it ends its experiment ("stopped").
    pub fn set_policy(
        &mut self,
        creditor: &CreditorId,
        policy: Policy,
        source: &str,
        wording: &WordingCheck,
    ) -> Result<PolicySet> {
        let problems = wording(&policy);
        if !problems.is_empty() {
            return Err(AppError::invalid(
                source,
                format!("refused, the policy's texts have problems:\n  - {}", problems.join("\n  - ")),
            ));
        }
        let mut c = self.store.creditor(creditor)?;
        let j = self.law.jurisdiction(c.jurisdiction)?;
        policy.validate(j, c.reminder_fee_agreed, self.today).map_err(|rules| {
            AppError::invalid(source, format!("refused, the policy breaks these rules:\n  - {}", rules.join("\n  - ")))
        })?;
        let (before, after) = (c.policy.challengers.clone(), policy.challengers.clone());
        let started: Vec<_> = after.iter().filter(|n| !before.iter().any(|o| o.name == n.name)).cloned().collect();
        let stopped: Vec<_> =
            before.iter().filter(|o| !after.iter().any(|n| n.name == o.name)).map(|c| c.name.clone()).collect();
        c.policy = policy;
        let today = self.today;
        self.store.tx(|s| {
            for ch in &started {
                s.start_experiment(creditor, ch)?;
            }
            for name in &stopped {
                s.end_experiment(creditor, name, today, "stopped")?;
            }
            s.save_creditor(&c)?;
            s.audit(creditor, "policy", "set", &format!("from {source}"))
        })?;
        Ok(PolicySet {
            creditor: creditor.clone(),
            policy: "updated",
            file: source.to_string(),
            started: started.into_iter().map(|c| c.name).collect(),
            stopped,
        })
    }

    /// Replaces one segment's handling model (the model editor's save), checked like any
    /// policy by [`App::set_policy`].
    pub fn set_segment_model(
        &mut self,
        creditor: &CreditorId,
        segment: fordra_core::domain::Segment,
        steps: Vec<fordra_core::model::Step>,
        source: &str,
        wording: &WordingCheck,
    ) -> Result<PolicySet> {
        let mut policy = self.show_policy(creditor)?;
        match policy.models.iter_mut().find(|m| m.segment == segment) {
            Some(m) => m.steps = steps,
            None => policy.models.push(fordra_core::model::HandlingModel { segment, steps }),
        }
        self.set_policy(creditor, policy, source, wording)
    }

    /// Sets (or, with no bytes, removes) the creditor's logo on letters: a PNG file's bytes.
    pub fn set_logo(&mut self, creditor: &CreditorId, source: &str, png: Option<&[u8]>) -> Result<PolicySet> {
        use base64::Engine;
        let mut policy = self.store.creditor(creditor)?.policy;
        policy.letters.logo = match png {
            Some(bytes) if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") => {
                return Err(AppError::invalid(source, "not a PNG image"));
            }
            Some(bytes) => Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
            None => None,
        };
        // Only the logo changes: the wording was checked when it was set.
        self.set_policy(creditor, policy, source, &|_| Vec::new())
    }
}

//! Creditors (tenants): their law, currency, accounts and handling policy.

use crate::{ReadRow, Result, Store, StoreError, Val};
use fordra_core::domain::JurisdictionCode;
use fordra_core::model::Policy;
use fordra_core::run::Creditor;

impl Store {
    /// Stores a creditor, replacing one with the same id (the application layer checks its bounds
    /// and decides whether it may replace).
    pub fn save_creditor(&mut self, c: &Creditor) -> Result<()> {
        let params: Vec<Val> = vec![
            (&c.id).into(),
            (&c.name).into(),
            c.jurisdiction.upper().into(),
            c.currency.code().into(),
            c.reminder_fee_agreed.into(),
            c.charge_interest.into(),
            c.contract_rate.map(|r| r.to_string()).into(),
            c.bankgiro.clone().into(),
            c.iban.clone().into(),
            c.policy.to_toml().into(),
            c.reference_scheme.map(|x| x.name()).into(),
        ];
        self.tx(|s| {
            s.db.exec(
                "INSERT INTO creditors (id, name, jurisdiction, currency, reminder_fee_agreed, charge_interest, contract_rate, bankgiro, iban, policy, reference_scheme) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, jurisdiction = excluded.jurisdiction, currency = excluded.currency, reminder_fee_agreed = excluded.reminder_fee_agreed, \
                 charge_interest = excluded.charge_interest, contract_rate = excluded.contract_rate, bankgiro = excluded.bankgiro, iban = excluded.iban, policy = excluded.policy, reference_scheme = excluded.reference_scheme",
                &params,
            )?;
            s.audit(&c.id, "creditor", "saved", &format!("jurisdiction {}, currency {}, reminder fees agreed: {}, interest: {}", c.jurisdiction.upper(), c.currency, c.reminder_fee_agreed, c.charge_interest))
        })
    }

    /// Whether the creditor has any claim.
    pub fn has_claims(&mut self, id: &str) -> Result<bool> {
        Ok(!self.db.query("SELECT 1 FROM claims WHERE creditor_id = $1 LIMIT 1", &[id.into()])?.is_empty())
    }

    /// The creditor, if there is one with this id.
    pub fn find_creditor(&mut self, id: &str) -> Result<Option<Creditor>> {
        match self.creditor(id) {
            Ok(c) => Ok(Some(c)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The creditor with its policy.
    pub fn creditor(&mut self, id: &str) -> Result<Creditor> {
        let rows = self.db.query(
            "SELECT id, name, jurisdiction, currency, reminder_fee_agreed, charge_interest, contract_rate, bankgiro, iban, policy, reference_scheme FROM creditors WHERE id = $1",
            &[id.into()],
        )?;
        let r = rows.first().ok_or_else(|| StoreError::NotFound { entity: "creditor", id: id.to_string() })?;
        let text = r.str("policy")?;
        let policy = match &self.policy_memo {
            Some((t, p)) if t == text => p.clone(),
            _ => {
                let p = Policy::from_toml(text).map_err(|e| r.fail("policy", e.to_string()))?;
                self.policy_memo = Some((text.to_string(), p.clone()));
                p
            }
        };
        Ok(Creditor {
            id: r.text("id")?,
            name: r.text("name")?,
            jurisdiction: r.get::<JurisdictionCode>("jurisdiction")?,
            currency: r.get("currency")?,
            reminder_fee_agreed: r.flag("reminder_fee_agreed")?,
            charge_interest: r.flag("charge_interest")?,
            contract_rate: r.opt("contract_rate")?,
            bankgiro: r.opt_text("bankgiro")?,
            iban: r.opt_text("iban")?,
            policy,
            reference_scheme: r.opt("reference_scheme")?,
        })
    }

    /// Every creditor's id, sorted.
    pub fn creditor_ids(&mut self) -> Result<Vec<String>> {
        self.db.query("SELECT id FROM creditors ORDER BY id", &[])?.iter().map(|r| r.text("id")).collect::<Result<_>>()
    }

    /// Removes a creditor and all its data (used by `fordra demo` to start afresh).
    pub fn delete_creditor(&mut self, id: &str) -> Result<()> {
        self.tx(|s| {
            for t in [
                "delivery_attempts",
                "delivery_items",
                "deliveries",
                "refunds",
                "run_reverts",
                "ar_history",
                "model_scores",
                "model_scored",
                "model_stale",
                "models",
                "experiment_arms",
                "experiments",
                "audit",
                "runs",
                "payment_files",
                "bank_payments",
                "payments",
                "pauses",
                "segment_changes",
                "actions",
                "ledger",
                "claims",
                "customers",
                "creditors",
            ] {
                let col = if t == "creditors" { "id" } else { "creditor_id" };
                s.db.exec(&format!("DELETE FROM {t} WHERE {col} = $1"), &[id.into()])?;
            }
            Ok(())
        })
    }
}

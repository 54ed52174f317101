//! Creditors (tenants): their law, currency, accounts and handling policy.

use crate::{input, ReadRow, Result, Store, StoreError, Val};
use fordra_core::domain::JurisdictionCode;
use fordra_core::limits;
use fordra_core::model::Policy;
use fordra_core::money::Currency;
use fordra_core::run::Creditor;

/// What `creditor update` may change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreditorChange {
    /// A new name.
    pub name: Option<String>,
    /// Some("") removes it.
    pub bankgiro: Option<String>,
    /// New IBANs, comma-separated (Some("") removes them).
    pub iban: Option<String>,
    /// Whether reminder fees are in the creditor's terms.
    pub reminder_fee_agreed: Option<bool>,
    /// A new jurisdiction (only while the creditor has no claims).
    pub jurisdiction: Option<JurisdictionCode>,
    /// A new currency (only while the creditor has no claims).
    pub currency: Option<Currency>,
}

/// Bounds on what a creditor row holds.
fn check_creditor(c: &Creditor) -> Result<()> {
    limits::id("creditor id", &c.id).map_err(input)?;
    limits::text("creditor name", &c.name, limits::MAX_NAME).map_err(input)?;
    if let Some(v) = &c.bankgiro {
        limits::text("bankgiro", v, limits::MAX_REFERENCE).map_err(input)?;
    }
    if let Some(v) = &c.iban {
        limits::text("iban", v, limits::MAX_NAME).map_err(input)?;
    }
    if c.contract_rate.is_some_and(|r| r < rust_decimal::Decimal::ZERO || r > rust_decimal::Decimal::from(100)) {
        return Err(StoreError::Rule("contract rate: must be between 0 and 100 percent".into()));
    }
    Ok(())
}

impl Store {
    /// Stores a creditor, replacing one with the same id (the demo, policy changes); `creditor
    /// add` uses [`Store::create_creditor`], which never replaces.
    pub fn save_creditor(&mut self, c: &Creditor) -> Result<()> {
        check_creditor(c)?;
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

    /// Adds a creditor. The same creditor again changes nothing (false); another creditor with
    /// the same id is refused: an existing creditor is changed with [`Store::update_creditor`].
    pub fn create_creditor(&mut self, c: &Creditor) -> Result<bool> {
        check_creditor(c)?;
        self.tx(|s| {
            if let Some(old) = s.find_creditor(&c.id)? {
                if old == *c {
                    return Ok(false);
                }
                return Err(StoreError::Conflict(format!(
                    "creditor '{}' already exists ({}, {} law, {}): change it with creditor update",
                    c.id,
                    old.name,
                    old.jurisdiction.upper(),
                    old.currency
                )));
            }
            s.save_creditor(c)?;
            Ok(true)
        })
    }

    /// Changes a creditor's name, contact and account data and fee agreement. Law and currency
    /// cannot change under existing claims (their ledgers were computed under them).
    pub fn update_creditor(&mut self, id: &str, change: &CreditorChange) -> Result<Creditor> {
        self.write_tx(id, |s| {
            let mut c = s.creditor(id)?;
            let before = c.clone();
            if let Some(n) = &change.name {
                c.name = n.clone();
            }
            if let Some(b) = &change.bankgiro {
                c.bankgiro = Some(b.clone()).filter(|x| !x.is_empty());
            }
            if let Some(i) = &change.iban {
                c.iban = Some(i.clone()).filter(|x| !x.is_empty());
            }
            if let Some(a) = change.reminder_fee_agreed {
                c.reminder_fee_agreed = a;
            }
            if let Some(j) = change.jurisdiction {
                c.jurisdiction = j;
            }
            if let Some(cur) = change.currency {
                c.currency = cur;
            }
            let law_changed = c.jurisdiction != before.jurisdiction || c.currency != before.currency;
            if law_changed
                && !s.db.query("SELECT 1 FROM claims WHERE creditor_id = $1 LIMIT 1", &[id.into()])?.is_empty()
            {
                return Err(StoreError::Conflict(format!(
                    "creditor '{id}' has claims under {} law in {}: its jurisdiction and currency cannot change",
                    before.jurisdiction.upper(),
                    before.currency
                )));
            }
            if c != before {
                s.save_creditor(&c)?;
            }
            Ok(c)
        })
    }

    fn find_creditor(&mut self, id: &str) -> Result<Option<Creditor>> {
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
            policy: Policy::from_toml(r.str("policy")?).map_err(|e| r.fail("policy", e.to_string()))?,
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
                "refunds",
                "run_reverts",
                "ar_history",
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

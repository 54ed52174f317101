//! Creditors (tenants): add with the default handling models of their jurisdiction, show, list,
//! update.

use crate::{App, AppError, CreditorId, Result};
use chrono::NaiveDate;
use fordra_core::domain::{Collector, JurisdictionCode};
use fordra_core::model::{Agency, Policy};
use fordra_core::money::Currency;
use fordra_core::reference::Scheme;
use fordra_core::run::Creditor;
use rust_decimal::Decimal;
use serde::Serialize;

/// The payment-reference scheme a creditor in this jurisdiction uses unless told otherwise.
pub fn default_scheme(j: JurisdictionCode) -> Scheme {
    match j {
        JurisdictionCode::SE => Scheme::SeOcrLen,
        JurisdictionCode::FI => Scheme::Fi,
        JurisdictionCode::NO => Scheme::NoKid10,
        JurisdictionCode::DK => Scheme::DkFik71,
        JurisdictionCode::EU => Scheme::Rf,
    }
}

/// The language of a creditor's debtors unless their row says otherwise.
pub fn default_language(j: JurisdictionCode) -> &'static str {
    match j {
        JurisdictionCode::SE => "sv",
        JurisdictionCode::FI => "fi",
        JurisdictionCode::NO => "nb",
        JurisdictionCode::DK => "da",
        JurisdictionCode::EU => "en",
    }
}

/// A new creditor.
#[derive(Clone, Debug)]
pub struct NewCreditor {
    /// Its id (the tenant key).
    pub id: CreditorId,
    /// Its name on letters.
    pub name: String,
    /// Whose law applies.
    pub jurisdiction: JurisdictionCode,
    /// Default: the jurisdiction's currency.
    pub currency: Option<Currency>,
    /// Reminder fees agreed in the creditor's general terms.
    pub reminder_fee_agreed: bool,
    /// Charge late interest.
    pub charge_interest: bool,
    /// A contractual late-interest rate, percent per year.
    pub contract_rate: Option<Decimal>,
    /// Bankgiro number (SE).
    pub bankgiro: Option<String>,
    /// Account IBANs.
    pub iban: Vec<String>,
    /// Who sends the steps.
    pub collector: Collector,
    /// The agency's name and licence when an agency collects.
    pub agency_name: Option<String>,
    /// The agency's licence.
    pub agency_licence: Option<String>,
}

/// A creditor added (or found unchanged).
#[derive(Clone, Debug, Serialize)]
pub struct CreditorAdded {
    /// The id.
    pub creditor: CreditorId,
    /// Name.
    #[serde(skip)]
    pub name: String,
    /// Jurisdiction code (upper case).
    pub jurisdiction: &'static str,
    /// Currency code.
    pub currency: &'static str,
    /// Who sends the steps.
    pub collector: Collector,
    /// The agency, if one collects.
    pub agency: Option<Agency>,
    /// False when the same creditor existed already.
    pub created: bool,
    /// Reminder fees agreed.
    #[serde(skip)]
    pub reminder_fee_agreed: bool,
    /// Late interest charged.
    #[serde(skip)]
    pub charge_interest: bool,
}

/// A creditor as shown.
#[derive(Clone, Debug, Serialize)]
pub struct CreditorView {
    /// Id.
    pub id: CreditorId,
    /// Name.
    pub name: String,
    /// Jurisdiction code.
    pub jurisdiction: &'static str,
    /// Currency code.
    pub currency: &'static str,
    /// Reminder fees agreed.
    pub reminder_fee_agreed: bool,
    /// Late interest charged.
    pub charge_interest: bool,
    /// Contractual rate, percent.
    pub contract_rate: Option<String>,
    /// Bankgiro.
    pub bankgiro: Option<String>,
    /// IBANs.
    pub iban: Option<String>,
    /// The latest run's date.
    pub last_run: Option<NaiveDate>,
    /// Runs recorded.
    pub runs: usize,
}

/// What `creditor update` may change.
pub type CreditorChange = fordra_store::CreditorChange;

/// A creditor after an update.
#[derive(Clone, Debug, Serialize)]
pub struct CreditorUpdated {
    /// Id.
    pub creditor: CreditorId,
    /// Name.
    pub name: String,
    /// Bankgiro.
    pub bankgiro: Option<String>,
    /// IBANs.
    pub iban: Option<String>,
    /// Reminder fees agreed.
    pub reminder_fee_agreed: bool,
    /// Jurisdiction code.
    pub jurisdiction: &'static str,
    /// Currency code.
    pub currency: &'static str,
}

impl App<'_> {
    /// Adds a creditor with its jurisdiction's default handling models and reference scheme;
    /// the same creditor again changes nothing, another with the same id is a conflict.
    pub fn add_creditor(&mut self, n: NewCreditor) -> Result<CreditorAdded> {
        let j = self.law.jurisdiction(n.jurisdiction)?;
        let mut policy = Policy::default_for(n.jurisdiction);
        policy.collector = n.collector;
        policy.agency = match (n.agency_name, n.agency_licence) {
            (None, None) => None,
            (name, licence) => Some(Agency { name: name.unwrap_or_default(), licence: licence.unwrap_or_default() }),
        };
        let c = Creditor {
            id: n.id.0,
            name: n.name,
            jurisdiction: n.jurisdiction,
            currency: n.currency.unwrap_or(j.currency),
            reminder_fee_agreed: n.reminder_fee_agreed,
            charge_interest: n.charge_interest,
            contract_rate: n.contract_rate,
            bankgiro: n.bankgiro,
            iban: (!n.iban.is_empty()).then(|| n.iban.join(", ")),
            reference_scheme: Some(default_scheme(n.jurisdiction)),
            policy,
        };
        c.policy
            .validate(j, c.reminder_fee_agreed, self.today)
            .map_err(|e| AppError::invalid(format!("creditor {}", c.id), e.join("; ")))?;
        let created = self.store.create_creditor(&c)?;
        Ok(CreditorAdded {
            creditor: CreditorId(c.id.clone()),
            name: c.name.clone(),
            jurisdiction: c.jurisdiction.upper(),
            currency: c.currency.code(),
            collector: c.policy.collector,
            agency: c.policy.agency.clone(),
            created,
            reminder_fee_agreed: c.reminder_fee_agreed,
            charge_interest: c.charge_interest,
        })
    }

    /// Every creditor's id.
    pub fn list_creditors(&mut self) -> Result<Vec<CreditorId>> {
        Ok(self.store.creditor_ids()?.into_iter().map(CreditorId).collect())
    }

    /// The creditor to work on: the one given (which must exist), or the only one there is.
    pub fn resolve_creditor(&mut self, given: Option<&str>) -> Result<CreditorId> {
        if let Some(c) = given {
            self.store.creditor(c)?;
            return Ok(CreditorId(c.to_string()));
        }
        let ids = self.store.creditor_ids()?;
        match ids.as_slice() {
            [one] => Ok(CreditorId(one.clone())),
            [] => Err(AppError::NotFound { entity: "creditor", id: String::new() }),
            _ => Err(AppError::Conflict(format!(
                "this database holds several creditors ({}): choose one",
                ids.join(", ")
            ))),
        }
    }

    /// A creditor with its run count.
    pub fn show_creditor(&mut self, id: &CreditorId) -> Result<CreditorView> {
        let c = self.store.creditor(id)?;
        let runs = self.store.runs(id)?;
        Ok(CreditorView {
            id: id.clone(),
            name: c.name,
            jurisdiction: c.jurisdiction.upper(),
            currency: c.currency.code(),
            reminder_fee_agreed: c.reminder_fee_agreed,
            charge_interest: c.charge_interest,
            contract_rate: c.contract_rate.map(|r| r.to_string()),
            bankgiro: c.bankgiro,
            iban: c.iban,
            last_run: runs.last().map(|r| r.date),
            runs: runs.len(),
        })
    }

    /// Changes name, accounts or fee agreement; jurisdiction and currency only while the
    /// creditor has no claims.
    pub fn update_creditor(&mut self, id: &CreditorId, change: &CreditorChange) -> Result<CreditorUpdated> {
        let c = self.store.update_creditor(id, change)?;
        Ok(CreditorUpdated {
            creditor: id.clone(),
            name: c.name,
            bankgiro: c.bankgiro,
            iban: c.iban,
            reminder_fee_agreed: c.reminder_fee_agreed,
            jurisdiction: c.jurisdiction.upper(),
            currency: c.currency.code(),
        })
    }
}

//! Creditors (tenants): add with the default handling models of their jurisdiction, show, list,
//! update.

use crate::{App, AppError, CreditorId, Result};
use chrono::NaiveDate;
use fordra_core::domain::{Collector, JurisdictionCode};
use fordra_core::limits;
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

impl NewCreditor {
    /// A creditor collecting its own claims under `jurisdiction`'s law in its currency, charging
    /// late interest, with no reminder fee agreed and no accounts yet.
    pub fn new(id: &str, name: &str, jurisdiction: JurisdictionCode) -> NewCreditor {
        NewCreditor {
            id: CreditorId(id.to_string()),
            name: name.to_string(),
            jurisdiction,
            currency: None,
            reminder_fee_agreed: false,
            charge_interest: true,
            contract_rate: None,
            bankgiro: None,
            iban: Vec::new(),
            collector: Collector::Own,
            agency_name: None,
            agency_licence: None,
        }
    }
}

/// A creditor added (or found unchanged).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CreditorAdded {
    /// The id.
    #[schema(value_type = String)]
    pub creditor: CreditorId,
    /// Name.
    #[serde(skip)]
    pub name: String,
    /// Jurisdiction code (upper case).
    pub jurisdiction: &'static str,
    /// Currency code.
    pub currency: &'static str,
    /// Who sends the steps.
    #[schema(value_type = String)]
    pub collector: Collector,
    /// The agency, if one collects.
    #[schema(value_type = Option<Object>)]
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
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CreditorView {
    /// Id.
    #[schema(value_type = String)]
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

impl CreditorChange {
    /// The creditor with the change applied.
    fn apply(&self, mut c: Creditor) -> Creditor {
        if let Some(n) = &self.name {
            c.name = n.clone();
        }
        if let Some(b) = &self.bankgiro {
            c.bankgiro = Some(b.clone()).filter(|x| !x.is_empty());
        }
        if let Some(i) = &self.iban {
            c.iban = Some(i.clone()).filter(|x| !x.is_empty());
        }
        if let Some(a) = self.reminder_fee_agreed {
            c.reminder_fee_agreed = a;
        }
        if let Some(j) = self.jurisdiction {
            c.jurisdiction = j;
        }
        if let Some(cur) = self.currency {
            c.currency = cur;
        }
        c
    }
}

/// Bounds on what a creditor holds.
fn check_bounds(c: &Creditor) -> Result<()> {
    let source = format!("creditor {}", c.id);
    let bounded = |r: std::result::Result<&str, limits::OutOfBounds>| {
        r.map(drop).map_err(|e| AppError::invalid(&source, e.to_string()))
    };
    bounded(limits::id("creditor id", &c.id))?;
    bounded(limits::text("creditor name", &c.name, limits::MAX_NAME))?;
    if let Some(v) = &c.bankgiro {
        bounded(limits::text("bankgiro", v, limits::MAX_REFERENCE))?;
    }
    if let Some(v) = &c.iban {
        bounded(limits::text("iban", v, limits::MAX_NAME))?;
    }
    if c.contract_rate.is_some_and(|r| r < Decimal::ZERO || r > Decimal::from(100)) {
        return Err(AppError::invalid(source, "contract rate: must be between 0 and 100 percent"));
    }
    Ok(())
}

/// A creditor after an update.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CreditorUpdated {
    /// Id.
    #[schema(value_type = String)]
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
        check_bounds(&c)?;
        let created = self.store.tx(|s| match s.find_creditor(&c.id)? {
            Some(old) if old == c => Ok(false),
            Some(old) => Err(AppError::Conflict(format!(
                "creditor '{}' already exists ({}, {} law, {})",
                c.id,
                old.name,
                old.jurisdiction.upper(),
                old.currency
            ))),
            None => s.save_creditor(&c).map(|()| true).map_err(AppError::from),
        })?;
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
        let c = self.store.write_tx(id, |s| {
            let before = s.creditor(id)?;
            let c = change.apply(before.clone());
            check_bounds(&c)?;
            let law_changed = c.jurisdiction != before.jurisdiction || c.currency != before.currency;
            if law_changed && s.has_claims(id)? {
                return Err(AppError::Conflict(format!(
                    "creditor '{id}' has claims under {} law in {}: its jurisdiction and currency cannot change",
                    before.jurisdiction.upper(),
                    before.currency
                )));
            }
            if c != before {
                s.save_creditor(&c)?;
            }
            Ok(c)
        })?;
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

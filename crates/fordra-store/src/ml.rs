//! The payment-behaviour model's storage: the accounts-receivable history (imported exports and
//! the claims Fordra handled), versioned model files, and the predictions a run needs.

use crate::{bad, ReadRow, Result, RowRef, Store, StoreError, Val};
use chrono::NaiveDate;
use fordra_core::domain::StepKind;
use fordra_core::history::{HandledClaim, HistInvoice};
use fordra_ml::model::Model;

/// A stored model version.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ModelRow {
    /// Its version number.
    pub version: u32,
    /// Trained on invoices issued before this day.
    pub trained_until: NaiveDate,
    /// When it was trained.
    pub trained_on: NaiveDate,
    /// Invoices trained on.
    pub training_invoices: i64,
    /// The one the runs use.
    pub active: bool,
    /// The model's training figures (JSON).
    pub summary: serde_json::Value,
}

impl Store {
    /// Stores history rows (an AR export); a known invoice is updated (a newer export may carry
    /// its paid date). Rows are (invoice, currency, country). Returns (created, updated).
    pub fn import_history(
        &mut self,
        creditor: &str,
        rows: &[(HistInvoice, String, Option<String>)],
        source: &str,
    ) -> Result<(usize, usize)> {
        self.tx(|s| {
            let known: std::collections::HashSet<String> = s.db.query("SELECT invoice FROM ar_history WHERE creditor_id = $1", &[creditor.into()])?.iter().map(|r| r.text("invoice")).collect::<Result<_>>()?;
            let updated = rows.iter().filter(|r| known.contains(&r.0.invoice)).count();
            let mut vals = rows.iter().map(|(h, currency, country)| -> Vec<Val> {
                vec![
                    creditor.into(),
                    (&h.invoice).into(),
                    (&h.customer).into(),
                    h.invoice_date.into(),
                    h.due_date.into(),
                    h.amount.into(),
                    currency.into(),
                    h.paid_date.into(),
                    h.disputed.into(),
                    h.channel.clone().into(),
                    country.clone().into(),
                    h.credit_score.map(|x| x.to_string()).into(),
                    serde_json::to_string(&h.extra).unwrap_or_else(|_| "[]".into()).into(),
                ]
            });
            s.db.exec_many(
                "INSERT INTO ar_history (creditor_id, invoice, customer, invoice_date, due_date, amount, currency, paid_date, disputed, channel, country, credit_score, extra) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (creditor_id, invoice) DO UPDATE SET customer = excluded.customer, invoice_date = excluded.invoice_date, due_date = excluded.due_date, amount = excluded.amount, currency = excluded.currency, \
                 paid_date = excluded.paid_date, disputed = excluded.disputed, channel = excluded.channel, country = excluded.country, credit_score = excluded.credit_score, extra = excluded.extra",
                &mut vals,
            )?;
            // Every customer's features may read these rows: the kept scores are computed afresh.
            s.forget_kept_scores(creditor)?;
            s.audit(creditor, &format!("import:{source}"), "history", &format!("{} rows, {} updated", rows.len(), updated))?;
            Ok((rows.len() - updated, updated))
        })
    }

    /// The imported AR-export rows of a creditor, as stored (the application merges them with
    /// the handled claims: `fordra_core::history::merge`).
    pub fn imported_history(&mut self, creditor: &str) -> Result<Vec<HistInvoice>> {
        self.imported_history_of(creditor, None)
    }

    /// As `imported_history`, only the rows of `customers` when given.
    pub fn imported_history_of(&mut self, creditor: &str, customers: Option<&[String]>) -> Result<Vec<HistInvoice>> {
        let sql = "SELECT customer, invoice, invoice_date, due_date, amount, paid_date, disputed, channel, credit_score, extra FROM ar_history WHERE creditor_id = $1";
        let mut out = Vec::new();
        let mut push = |r: &dyn RowRef| -> Result<()> {
            out.push(HistInvoice {
                customer: r.text("customer")?,
                invoice: r.text("invoice")?,
                invoice_date: r.date("invoice_date")?,
                due_date: r.date("due_date")?,
                amount: r.int("amount")?,
                paid_date: r.opt_date("paid_date")?,
                disputed: r.flag("disputed")?,
                channel: r.opt_text("channel")?,
                credit_score: r.opt("credit_score")?,
                extra: r.json("extra")?,
            });
            Ok(())
        };
        self.each_of(sql, &[creditor.into()], "customer", customers, &mut push)?;
        Ok(out)
    }

    /// Every claim of a creditor as history: settled date as paid date, disputed if it ever had
    /// a dispute pause, with the customer's current credit score and the date it was given.
    pub fn handled_claims(&mut self, creditor: &str) -> Result<Vec<HandledClaim>> {
        self.handled_claims_of(creditor, None)
    }

    /// As `handled_claims`, only the claims of `customers` when given.
    pub fn handled_claims_of(&mut self, creditor: &str, customers: Option<&[String]>) -> Result<Vec<HandledClaim>> {
        let head = [Val::from(creditor)];
        let mut disputed = std::collections::HashSet::new();
        let mut dispute = |r: &dyn RowRef| -> Result<()> {
            disputed.insert(r.text("claim_id")?);
            Ok(())
        };
        let sql = "SELECT claim_id FROM pauses WHERE creditor_id = $1 AND kind = 'dispute' AND claim_id IS NOT NULL";
        self.each_of(sql, &head, "customer_id", customers, &mut dispute)?;
        let sql = "SELECT c.customer_id, c.id, c.issue_date, c.due_date, c.principal, c.settled_date, u.credit_score, u.credit_score_date \
                   FROM claims c JOIN customers u ON u.creditor_id = c.creditor_id AND u.id = c.customer_id WHERE c.creditor_id = $1";
        let mut out = Vec::new();
        let mut push = |r: &dyn RowRef| -> Result<()> {
            out.push(HandledClaim {
                invoice: HistInvoice {
                    customer: r.text("customer_id")?,
                    invoice: r.text("id")?,
                    invoice_date: r.date("issue_date")?,
                    due_date: r.date("due_date")?,
                    amount: r.int("principal")?,
                    paid_date: r.opt_date("settled_date")?,
                    disputed: disputed.contains(r.str("id")?),
                    channel: None,
                    credit_score: r.opt_int("credit_score")?.map(|s| s as f64),
                    extra: vec![],
                },
                credit_score_date: r.opt_date("credit_score_date")?,
            });
            Ok(())
        };
        self.each_of(sql, &head, "c.customer_id", customers, &mut push)?;
        Ok(out)
    }

    /// Every step taken (not skipped, not reverted) up to `until`: (claim, date, kind), for the
    /// stages of the survival forecast.
    pub fn steps_taken(&mut self, creditor: &str, until: NaiveDate) -> Result<Vec<(String, NaiveDate, StepKind)>> {
        let mut out = Vec::new();
        self.db.query_each(
            "SELECT claim_id, date, kind FROM actions WHERE creditor_id = $1 AND skipped = 0 AND reverted IS NULL AND date <= $2",
            &[creditor.into(), until.into()],
            &mut |r| {
                out.push((r.text("claim_id")?, r.date("date")?, r.get::<StepKind>("kind")?));
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Every customer's current segment, where it has one.
    pub fn customer_segments(&mut self, creditor: &str) -> Result<std::collections::HashMap<String, String>> {
        self.db
            .query(
                "SELECT id, segment FROM customers WHERE creditor_id = $1 AND segment IS NOT NULL",
                &[creditor.into()],
            )?
            .iter()
            .map(|r| Ok((r.text("id")?, r.text("segment")?)))
            .collect::<Result<_>>()
    }

    /// Every customer's current credit score.
    pub fn customer_scores(&mut self, creditor: &str) -> Result<std::collections::HashMap<String, f64>> {
        self.db
            .query(
                "SELECT id, credit_score FROM customers WHERE creditor_id = $1 AND credit_score IS NOT NULL",
                &[creditor.into()],
            )?
            .iter()
            .map(|r| Ok((r.text("id")?, r.int("credit_score")? as f64)))
            .collect::<Result<_>>()
    }

    /// The next model version number of a creditor.
    pub fn next_model_version(&mut self, creditor: &str) -> Result<u32> {
        let rows =
            self.db.query("SELECT MAX(version) AS last FROM models WHERE creditor_id = $1", &[creditor.into()])?;
        let last = rows.first().map(|r| r.opt_int("last")).transpose()?.flatten().unwrap_or(0);
        u32::try_from(last + 1).map_err(|_| StoreError::Data(format!("model version {last} out of range")))
    }

    /// Stores a trained model as `version` and makes it the one the runs use.
    pub fn save_model(
        &mut self,
        creditor: &str,
        model: &Model,
        trained_on: NaiveDate,
        summary: &serde_json::Value,
    ) -> Result<()> {
        let json = serde_json::to_string(model).map_err(|e| bad(e.to_string()))?;
        self.tx(|s| {
            s.db.exec("UPDATE models SET active = 0 WHERE creditor_id = $1", &[creditor.into()])?;
            s.db.exec(
                "INSERT INTO models (creditor_id, version, trained_until, trained_on, training_invoices, summary, model, active) VALUES ($1, $2, $3, $4, $5, $6, $7, 1)",
                &[
                    creditor.into(),
                    i64::from(model.version).into(),
                    model.trained_until.into(),
                    trained_on.into(),
                    (model.training_invoices as i64).into(),
                    summary.to_string().into(),
                    json.into(),
                ],
            )?;
            s.audit(creditor, &format!("model:v{}", model.version), "trained", &format!("until {}, {} invoices", model.trained_until, model.training_invoices))
        })
    }

    /// The creditor's stored model versions, oldest first.
    pub fn models(&mut self, creditor: &str) -> Result<Vec<ModelRow>> {
        self
            .db
            .query(
                "SELECT version, trained_until, trained_on, training_invoices, active, summary FROM models WHERE creditor_id = $1 ORDER BY version",
                &[creditor.into()],
            )?
            .iter()
            .map(|r| {
                let version = r.int("version")?;
                Ok(ModelRow {
                    version: u32::try_from(version).map_err(|_| r.fail("version", format!("out of range: {version}")))?,
                    trained_until: r.date("trained_until")?,
                    trained_on: r.date("trained_on")?,
                    training_invoices: r.int("training_invoices")?,
                    active: r.flag("active")?,
                    summary: r.json("summary")?,
                })
            })
            .collect::<Result<_>>()
    }

    /// Makes a stored version the one the runs use.
    pub fn activate_model(&mut self, creditor: &str, version: u32) -> Result<()> {
        self.tx(|s| {
            if s.db
                .query(
                    "SELECT 1 FROM models WHERE creditor_id = $1 AND version = $2",
                    &[creditor.into(), i64::from(version).into()],
                )?
                .is_empty()
            {
                return Err(crate::StoreError::NotFound { entity: "model version", id: version.to_string() });
            }
            // (SQLite numbers `$n` parameters by first appearance, so they appear in order.)
            s.db.exec("UPDATE models SET active = 0 WHERE creditor_id = $1", &[creditor.into()])?;
            s.db.exec(
                "UPDATE models SET active = 1 WHERE creditor_id = $1 AND version = $2",
                &[creditor.into(), i64::from(version).into()],
            )?;
            s.audit(creditor, &format!("model:v{version}"), "activated", "")
        })
    }

    /// A stored model: the given version, or the active one. None when there is none.
    pub fn model(&mut self, creditor: &str, version: Option<u32>) -> Result<Option<Model>> {
        let rows = match version {
            Some(v) => self.db.query(
                "SELECT model FROM models WHERE creditor_id = $1 AND version = $2",
                &[creditor.into(), i64::from(v).into()],
            )?,
            None => {
                self.db.query("SELECT model FROM models WHERE creditor_id = $1 AND active = 1", &[creditor.into()])?
            }
        };
        rows.first().map(|r| Model::from_json(r.str("model")?).map_err(|e| r.fail("model", e.to_string()))).transpose()
    }
}

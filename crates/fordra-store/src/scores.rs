//! What the payment-behaviour model said about each customer at the last run, kept so that the
//! next run scores only the customers whose history changed since (the rest of a day with the
//! model in use then costs about what a day without it does).
//!
//! A customer's row of features changes only when one of their invoices is issued, paid or
//! changed, or when their credit score changes; never by the passing of days alone, except that
//! an invoice or payment dated between two runs enters the second. So a kept score stands until
//! the customer is marked here by a write (`history_changed`: new claims, a claim's paid date
//! set or moved, a changed credit score), or has an invoice or payment dated since the kept day.
//! A new history import, another model or a run on an earlier day forgets them all.

use crate::{ReadRow, Result, Store, Val};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

/// One customer's kept score. (Invoices in their nudge window keep their reasons too, under
/// their claim; a customer's own row has none.)
#[derive(Clone, Debug, PartialEq)]
pub struct KeptScore {
    /// P(late); `None` when the customer had no invoice to stand for them.
    pub p_late: Option<f64>,
    /// Its strongest reasons in words, once they were needed (they stay valid with the score).
    pub reasons: Option<Vec<String>>,
}

const TABLES: [&str; 3] = ["model_scores", "model_stale", "model_scored"];

impl Store {
    /// The model version and day of the creditor's kept scores, if any are kept.
    pub fn kept_scores_day(&mut self, creditor: &str) -> Result<Option<(u32, NaiveDate)>> {
        let rows = self
            .db
            .query("SELECT model_version, as_of FROM model_scored WHERE creditor_id = $1", &[creditor.into()])?;
        rows.first()
            .map(|r| {
                let v = r.int("model_version")?;
                Ok((
                    u32::try_from(v).map_err(|_| r.fail("model_version", format!("out of range: {v}")))?,
                    r.date("as_of")?,
                ))
            })
            .transpose()
    }

    /// Forgets every kept score of the creditor (the next run scores every customer).
    pub fn forget_kept_scores(&mut self, creditor: &str) -> Result<()> {
        for t in TABLES {
            self.db.exec(&format!("DELETE FROM {t} WHERE creditor_id = $1"), &[creditor.into()])?;
        }
        Ok(())
    }

    /// Marks customers whose history changed, where scores are kept for the creditor.
    pub(crate) fn history_changed<'a>(
        &mut self,
        creditor: &str,
        customers: impl IntoIterator<Item = &'a str>,
    ) -> Result<()> {
        if self.db.query("SELECT 1 AS x FROM model_scored WHERE creditor_id = $1", &[creditor.into()])?.is_empty() {
            return Ok(());
        }
        let unique: HashSet<&str> = customers.into_iter().collect();
        let rows: Vec<Vec<Val>> = unique.into_iter().map(|c| vec![creditor.into(), c.into()]).collect();
        self.db.insert_rows(
            &crate::Insert {
                table: "model_stale",
                columns: &["creditor_id", "customer_id"],
                conflict: Some("(creditor_id, customer_id)"),
            },
            rows,
        )?;
        Ok(())
    }

    /// The scores kept on `from` that still hold on `to`; those of customers whose history
    /// changed since, or has an invoice or payment dated from `from` to `to`, are forgotten.
    pub fn kept_scores(
        &mut self,
        creditor: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<HashMap<String, KeptScore>> {
        let head = [Val::from(creditor), from.into(), to.into()];
        let mut changed: HashSet<String> = HashSet::new();
        let marked = "SELECT customer_id AS c FROM model_stale WHERE creditor_id = $1";
        self.customers_of(&[marked], &[creditor.into()], &mut changed)?;
        let dated = [
            "SELECT customer_id AS c FROM claims WHERE creditor_id = $1 AND issue_date BETWEEN $2 AND $3",
            "SELECT customer_id AS c FROM claims WHERE creditor_id = $1 AND settled_date BETWEEN $2 AND $3",
            "SELECT customer AS c FROM ar_history WHERE creditor_id = $1 AND invoice_date BETWEEN $2 AND $3",
            "SELECT customer AS c FROM ar_history WHERE creditor_id = $1 AND paid_date BETWEEN $2 AND $3",
        ];
        self.customers_of(&dated, &head, &mut changed)?;
        self.db.exec("DELETE FROM model_stale WHERE creditor_id = $1", &[creditor.into()])?;
        let changed: Vec<String> = changed.into_iter().collect();
        self.exec_in(
            "DELETE FROM model_scores WHERE creditor_id = $1 AND customer_id IN ({ids})",
            &[creditor.into()],
            &changed,
        )?;
        let mut kept = HashMap::new();
        self.db.query_each(
            "SELECT customer_id, p_late, reasons FROM model_scores WHERE creditor_id = $1 AND claim_id = ''",
            &[creditor.into()],
            &mut |r| {
                let reasons: Option<String> = r.opt_text("reasons")?;
                let score = KeptScore {
                    p_late: r.opt("p_late")?,
                    reasons: reasons
                        .map(|j| serde_json::from_str(&j))
                        .transpose()
                        .map_err(|e| r.fail("reasons", e.to_string()))?,
                };
                kept.insert(r.text("customer_id")?, score);
                Ok(())
            },
        )?;
        Ok(kept)
    }

    /// Keeps these customers' scores of `model_version` on `as_of` (replacing theirs).
    pub fn keep_scores(
        &mut self,
        creditor: &str,
        model_version: u32,
        as_of: NaiveDate,
        scores: &[(String, KeptScore)],
    ) -> Result<()> {
        let ids: Vec<String> = scores.iter().map(|(c, _)| c.clone()).collect();
        self.exec_in(
            "DELETE FROM model_scores WHERE creditor_id = $1 AND claim_id = '' AND customer_id IN ({ids})",
            &[creditor.into()],
            &ids,
        )?;
        let rows: Vec<Vec<Val>> = scores
            .iter()
            .map(|(c, s)| {
                // Rust prints the shortest text that reads back as the same f64.
                let reasons = s.reasons.as_ref().map(|r| serde_json::Value::from(r.clone()).to_string());
                vec![creditor.into(), c.into(), "".into(), s.p_late.map(|p| p.to_string()).into(), reasons.into()]
            })
            .collect();
        self.db.insert_rows(
            &crate::Insert {
                table: "model_scores",
                columns: &["creditor_id", "customer_id", "claim_id", "p_late", "reasons"],
                conflict: None,
            },
            rows,
        )?;
        self.db.exec(
            "INSERT INTO model_scored (creditor_id, model_version, as_of) VALUES ($1, $2, $3) \
             ON CONFLICT (creditor_id) DO UPDATE SET model_version = excluded.model_version, as_of = excluded.as_of",
            &[creditor.into(), i64::from(model_version).into(), as_of.into()],
        )?;
        Ok(())
    }

    /// The kept reasons of invoices in their nudge window, by claim (their row is as known on
    /// the invoice date: it stands until their customer's history changes).
    pub fn kept_invoice_reasons(&mut self, creditor: &str) -> Result<HashMap<String, Vec<String>>> {
        let mut out = HashMap::new();
        self.db.query_each(
            "SELECT claim_id, reasons FROM model_scores WHERE creditor_id = $1 AND claim_id <> '' AND reasons IS NOT NULL",
            &[creditor.into()],
            &mut |r| {
                let reasons = serde_json::from_str(r.str("reasons")?).map_err(|e| r.fail("reasons", e.to_string()))?;
                out.insert(r.text("claim_id")?, reasons);
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Keeps invoices' reasons: (customer, claim, reasons).
    pub fn keep_invoice_reasons(&mut self, creditor: &str, reasons: &[(String, String, Vec<String>)]) -> Result<()> {
        let rows: Vec<Vec<Val>> = reasons
            .iter()
            .map(|(customer, claim, r)| {
                let text = serde_json::Value::from(r.clone()).to_string();
                vec![creditor.into(), customer.into(), claim.into(), Val::T(None), text.into()]
            })
            .collect();
        self.db.insert_rows(
            &crate::Insert {
                table: "model_scores",
                columns: &["creditor_id", "customer_id", "claim_id", "p_late", "reasons"],
                conflict: Some("(creditor_id, customer_id, claim_id)"),
            },
            rows,
        )?;
        Ok(())
    }

    /// Customers with an invoice, handled or imported, due from `from` to `to`.
    pub fn customers_due_between(&mut self, creditor: &str, from: NaiveDate, to: NaiveDate) -> Result<HashSet<String>> {
        let head = [Val::from(creditor), from.into(), to.into()];
        let mut out = HashSet::new();
        let due = [
            "SELECT customer_id AS c FROM claims WHERE creditor_id = $1 AND due_date BETWEEN $2 AND $3",
            "SELECT customer AS c FROM ar_history WHERE creditor_id = $1 AND due_date BETWEEN $2 AND $3",
        ];
        self.customers_of(&due, &head, &mut out)?;
        Ok(out)
    }

    /// How many extra feature columns the creditor's imported history carries.
    pub fn history_extra_width(&mut self, creditor: &str) -> Result<usize> {
        let rows = self.db.query("SELECT extra FROM ar_history WHERE creditor_id = $1 LIMIT 1", &[creditor.into()])?;
        Ok(rows.first().map(|r| r.json::<Vec<f64>>("extra")).transpose()?.map_or(0, |e| e.len()))
    }

    /// The customer ids (column `c`) the queries give, into `out`.
    fn customers_of(&mut self, queries: &[&str], params: &[Val], out: &mut HashSet<String>) -> Result<()> {
        for sql in queries {
            self.db.query_each(sql, params, &mut |r| {
                out.insert(r.text("c")?);
                Ok(())
            })?;
        }
        Ok(())
    }
}

//! Customers (debtors): contact data, credit score, VIP choice, segment and its history.

use crate::{ImportSummary, ReadRow, Result, Row, Store, StoreError, Val};
use chrono::NaiveDate;
use fordra_core::domain::{Channel, DebtorKind, Segment};
use rustc_hash::FxHashMap as HashMap;

/// A customer (debtor) as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerRow {
    /// The creditor's customer id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Consumer or business.
    pub kind: DebtorKind,
    /// Language of letters (ISO 639-1).
    pub language: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Mobile number.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Organisation or personal number.
    pub org_no: Option<String>,
    /// Credit score (1-100), if known.
    pub credit_score: Option<i32>,
    /// When the score was given.
    pub credit_score_date: Option<NaiveDate>,
    /// Chosen as VIP by the creditor.
    pub vip: bool,
    /// The segment of the latest run.
    pub segment: Option<Segment>,
    /// Why, as said when it changed.
    pub segment_reason: Option<String>,
    /// A reminder fee agreed with this debtor (None: the creditor's general terms) and the date
    /// of the agreement (a fee only on claims that arose on or after it).
    pub reminder_fee_agreed: Option<bool>,
    /// When the customer agreed to the reminder fee.
    pub reminder_fee_agreed_on: Option<NaiveDate>,
    /// The channel the debtor asked to be reminded by.
    pub channel: Option<Channel>,
    /// Consent to e-mail (None: not recorded; an address is then enough).
    pub email_consent: Option<bool>,
    /// Consent to texts (None: not recorded; a number is then enough).
    pub sms_consent: Option<bool>,
    /// The digital mailbox letters go to (kivra, omaposti, digipost, eboks), if the debtor has one.
    pub mailbox: Option<String>,
}

/// A customer's change of segment, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SegmentChangeRow {
    /// The customer.
    pub customer_id: String,
    /// The run that changed it.
    pub date: NaiveDate,
    /// Before (none at the first run).
    pub from: Option<Segment>,
    /// After.
    pub to: Segment,
    /// Why.
    pub reason: String,
}

const CUSTOMER_COLS: &str = "id, name, kind, language, email, phone, address, org_no, credit_score, credit_score_date, vip, segment, segment_reason, reminder_fee_agreed, reminder_fee_agreed_on, channel, email_consent, sms_consent, mailbox";

fn customer_row(r: &Row) -> Result<CustomerRow> {
    let score = r.opt_int("credit_score")?;
    Ok(CustomerRow {
        id: r.text("id")?,
        name: r.text("name")?,
        kind: r.get("kind")?,
        language: r.text("language")?,
        email: r.opt_text("email")?,
        phone: r.opt_text("phone")?,
        address: r.opt_text("address")?,
        org_no: r.opt_text("org_no")?,
        credit_score: score
            .map(|x| i32::try_from(x).map_err(|_| r.fail("credit_score", format!("out of range: {x}"))))
            .transpose()?,
        credit_score_date: r.opt_date("credit_score_date")?,
        vip: r.flag("vip")?,
        segment: r.opt("segment")?,
        segment_reason: r.opt_text("segment_reason")?,
        reminder_fee_agreed: r.opt_flag("reminder_fee_agreed")?,
        reminder_fee_agreed_on: r.opt_date("reminder_fee_agreed_on")?,
        channel: r.opt("channel")?,
        email_consent: r.opt_flag("email_consent")?,
        sms_consent: r.opt_flag("sms_consent")?,
        mailbox: r.opt_text("mailbox")?,
    })
}

impl Store {
    /// Inserts or updates customers (contact data, credit score, VIP flag); the segment is kept.
    /// The rows are checked by the caller (the application layer).
    pub fn upsert_customers(&mut self, creditor: &str, rows: &[CustomerRow]) -> Result<ImportSummary> {
        self.write_tx(creditor, |s| {
            let existing: HashMap<String, CustomerRow> = s
                .db
                .query(&format!("SELECT {CUSTOMER_COLS} FROM customers WHERE creditor_id = $1"), &[creditor.into()])?
                .iter()
                .map(|r| customer_row(r).map(|c| (c.id.clone(), c)))
                .collect::<Result<_>>()?;
            let mut sum = ImportSummary::default();
            let mut changed = Vec::new();
            // Customers whose credit score changed: the model's kept scores of them no longer hold.
            let mut rescored: Vec<&str> = Vec::new();
            for c in rows {
                let vals: Vec<Val> = vec![
                    creditor.into(),
                    (&c.id).into(),
                    (&c.name).into(),
                    c.kind.as_str().into(),
                    (&c.language).into(),
                    c.email.clone().into(),
                    c.phone.clone().into(),
                    c.address.clone().into(),
                    c.org_no.clone().into(),
                    c.credit_score.map(i64::from).into(),
                    c.credit_score_date.into(),
                    c.vip.into(),
                    c.reminder_fee_agreed.map(i64::from).into(),
                    c.reminder_fee_agreed_on.into(),
                    c.channel.map(|x| x.as_str()).into(),
                    c.email_consent.map(i64::from).into(),
                    c.sms_consent.map(i64::from).into(),
                    c.mailbox.clone().into(),
                ];
                // The segment is the run's; a file without the fee-agreement columns keeps what
                // is stored.
                let same = |old: &CustomerRow| {
                    let new = CustomerRow {
                        segment: old.segment,
                        segment_reason: old.segment_reason.clone(),
                        reminder_fee_agreed: c.reminder_fee_agreed.or(old.reminder_fee_agreed),
                        reminder_fee_agreed_on: c.reminder_fee_agreed_on.or(old.reminder_fee_agreed_on),
                        ..c.clone()
                    };
                    new == *old
                };
                match existing.get(&c.id) {
                    Some(old) if same(old) => sum.unchanged += 1,
                    Some(old) => {
                        sum.updated += 1;
                        if (old.credit_score, old.credit_score_date) != (c.credit_score, c.credit_score_date) {
                            rescored.push(c.id.as_str());
                        }
                        changed.push(vals)
                    }
                    None => {
                        sum.created += 1;
                        changed.push(vals)
                    }
                }
            }
            s.db.exec_many(
                "INSERT INTO customers (creditor_id, id, name, kind, language, email, phone, address, org_no, credit_score, credit_score_date, vip, reminder_fee_agreed, reminder_fee_agreed_on, channel, email_consent, sms_consent, mailbox) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                 ON CONFLICT (creditor_id, id) DO UPDATE SET name = excluded.name, kind = excluded.kind, language = excluded.language, email = excluded.email, phone = excluded.phone, \
                 address = excluded.address, org_no = excluded.org_no, credit_score = excluded.credit_score, credit_score_date = excluded.credit_score_date, vip = excluded.vip, \
                 reminder_fee_agreed = COALESCE(excluded.reminder_fee_agreed, customers.reminder_fee_agreed), \
                 reminder_fee_agreed_on = COALESCE(excluded.reminder_fee_agreed_on, customers.reminder_fee_agreed_on), \
                 channel = excluded.channel, email_consent = excluded.email_consent, sms_consent = excluded.sms_consent, mailbox = excluded.mailbox",
                &mut changed.into_iter(),
            )?;
            s.history_changed(creditor, rescored)?;
            Ok(sum)
        })
    }

    /// A customer by id.
    pub fn customer(&mut self, creditor: &str, id: &str) -> Result<CustomerRow> {
        let rows = self.db.query(
            &format!("SELECT {CUSTOMER_COLS} FROM customers WHERE creditor_id = $1 AND id = $2"),
            &[creditor.into(), id.into()],
        )?;
        customer_row(rows.first().ok_or_else(|| StoreError::NotFound { entity: "customer", id: id.to_string() })?)
    }

    /// Every customer's id, sorted.
    pub fn customer_ids(&mut self, creditor: &str) -> Result<Vec<String>> {
        self.db
            .query("SELECT id FROM customers WHERE creditor_id = $1", &[creditor.into()])?
            .iter()
            .map(|r| r.text("id"))
            .collect::<Result<_>>()
    }

    /// Sets the channel a debtor asked to be reached by and the language of its messages.
    pub fn set_contact(
        &mut self,
        creditor: &str,
        customer: &str,
        channel: Option<fordra_core::domain::Channel>,
        language: &str,
    ) -> Result<()> {
        self.tx(|s| {
            if s.db.exec(
                "UPDATE customers SET channel = $1, language = $2 WHERE creditor_id = $3 AND id = $4",
                &[channel.map(|c| c.as_str()).into(), language.into(), creditor.into(), customer.into()],
            )? == 0
            {
                return Err(StoreError::NotFound { entity: "customer", id: customer.to_string() });
            }
            let how = channel.map_or("as the creditor chooses", |c| c.as_str());
            s.audit(
                creditor,
                &format!("customer:{customer}"),
                "contact",
                &format!("channel {how}, language {language}"),
            )
        })
    }

    /// Chooses or unchooses a customer as VIP (the next run moves the segment).
    pub fn set_vip(&mut self, creditor: &str, customer: &str, vip: bool) -> Result<()> {
        self.tx(|s| {
            if s.db.exec(
                "UPDATE customers SET vip = $1 WHERE creditor_id = $2 AND id = $3",
                &[vip.into(), creditor.into(), customer.into()],
            )? == 0
            {
                return Err(StoreError::NotFound { entity: "customer", id: customer.to_string() });
            }
            s.audit(
                creditor,
                &format!("customer:{customer}"),
                "vip",
                if vip { "chosen as VIP by the creditor" } else { "VIP choice removed by the creditor" },
            )
        })
    }

    /// A customer's segment changes, oldest first.
    pub fn segment_changes(&mut self, creditor: &str, customer: &str) -> Result<Vec<SegmentChangeRow>> {
        self
            .db
            .query(
                "SELECT customer_id, date, from_segment, to_segment, reason FROM segment_changes WHERE creditor_id = $1 AND customer_id = $2 AND reverted IS NULL ORDER BY id",
                &[creditor.into(), customer.into()],
            )?
            .iter()
            .map(|r| -> Result<SegmentChangeRow> {
                Ok(SegmentChangeRow {
                    customer_id: r.text("customer_id")?,
                    date: r.date("date")?,
                    from: r.opt("from_segment")?,
                    to: r.get("to_segment")?,
                    reason: r.text("reason")?,
                })
            })
            .collect::<Result<Vec<_>>>()
    }

    /// How many customers moved between segments from `from` through `to`: (from, to, count).
    pub fn segment_moves(
        &mut self,
        creditor: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(Option<Segment>, Segment, i64)>> {
        self.db
            .query(
                "SELECT from_segment, to_segment, COUNT(*) AS n FROM segment_changes WHERE creditor_id = $1 \
                 AND reverted IS NULL AND date >= $2 AND date <= $3 GROUP BY from_segment, to_segment \
                 ORDER BY from_segment, to_segment",
                &[creditor.into(), from.into(), to.into()],
            )?
            .iter()
            .map(|r| Ok((r.opt("from_segment")?, r.get("to_segment")?, r.int("n")?)))
            .collect()
    }
}

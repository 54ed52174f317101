//! The storage contract: every test runs against SQLite, PostgreSQL and PostgreSQL with its
//! large tables partitioned by the hash of the creditor, each on a fresh database. PostgreSQL tests need FORDRA_TEST_POSTGRES_URL (e.g.
//! postgres://postgres@127.0.0.1:5432/test); without it they are skipped with a message.

use chrono::NaiveDate;
use fordra_app::booking::{BankImport, BankPaymentResult, FileItem};
use fordra_core::domain::{DebtorKind, JurisdictionCode, PauseKind};
use fordra_core::law::LawBook;
use fordra_core::model::Policy;
use fordra_core::money::Currency;
use fordra_core::run::{Creditor, RunResult, SegmentDecision};
use fordra_store::{CustomerRow, InvoiceRow, PaymentRow, Store};

#[path = "support/testdb.rs"]
mod testdb;
use testdb::TestDb;

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                let db = crate::TestDb::sqlite();
                super::$name(&db.url);
            }
            #[test]
            fn postgres() {
                if let Some(db) = crate::TestDb::postgres() {
                    super::$name(&db.url);
                }
            }
            #[test]
            fn postgres_partitioned() {
                if let Some(db) = crate::TestDb::postgres_partitioned() {
                    super::$name(&db.url);
                }
            }
        }
    };
}

/// The use cases that moved from the store to the application layer (issue #10), called as the
/// suite called them before: through `fordra_app::App` over the same store.
pub trait UseCases {
    fn app<'a>(&'a mut self, law: &'a LawBook) -> fordra_app::App<'a>;
    fn import_customers(&mut self, c: &str, rows: &[CustomerRow]) -> AppResult<fordra_store::ImportSummary>;
    fn import_invoices(
        &mut self,
        c: &str,
        law: &LawBook,
        rows: &[InvoiceRow],
        source: &str,
    ) -> AppResult<fordra_store::ImportSummary>;
    fn book_payments(
        &mut self,
        c: &str,
        law: &LawBook,
        rows: &[PaymentRow],
        source: &str,
    ) -> AppResult<Vec<fordra_store::PaymentResult>>;
    #[allow(clippy::too_many_arguments)]
    fn add_pause(
        &mut self,
        c: &str,
        law: &LawBook,
        claim: Option<&str>,
        customer: Option<&str>,
        kind: PauseKind,
        from: NaiveDate,
        until: Option<NaiveDate>,
        reason: &str,
        plan_fee: bool,
        instalments: Option<u32>,
    ) -> AppResult<(i64, i64)>;
    #[allow(clippy::too_many_arguments)]
    fn refund(
        &mut self,
        c: &str,
        law: &LawBook,
        customer: &str,
        amount: i64,
        currency: Option<Currency>,
        date: NaiveDate,
        note: &str,
    ) -> AppResult<(String, i64)>;
    fn amount_due(&mut self, c: &Creditor, law: &LawBook, claim: &str, date: NaiveDate) -> AppResult<i64>;
    fn run_day(&mut self, c: &str, law: &LawBook, date: NaiveDate, dry_run: bool) -> AppResult<RunResult>;
    fn run_day_with(
        &mut self,
        c: &str,
        law: &LawBook,
        date: NaiveDate,
        dry_run: bool,
        allow_future: bool,
    ) -> AppResult<RunResult>;
    fn revert_latest_run(
        &mut self,
        c: &str,
        law: &LawBook,
        date: NaiveDate,
        reason: &str,
    ) -> AppResult<fordra_store::RunRecord>;
    fn explain_segment(&mut self, c: &Creditor, customer: &str, as_of: NaiveDate) -> AppResult<SegmentDecision>;
    fn history(&mut self, c: &str) -> AppResult<Vec<fordra_core::history::HistInvoice>>;
    #[allow(clippy::too_many_arguments)]
    fn import_bank_payments(
        &mut self,
        c: &str,
        law: &LawBook,
        format: &str,
        source: &str,
        checksum: &str,
        items: &mut dyn Iterator<Item = Result<FileItem, fordra_core::domain::ParseError>>,
        dry_run: bool,
    ) -> AppResult<BankImport>;
    fn unmatched_payments(&mut self, c: &str) -> AppResult<Vec<BankPaymentResult>>;
    fn assign_payment(&mut self, c: &str, law: &LawBook, key: &str, claim: &str) -> AppResult<BankPaymentResult>;
}

pub type AppResult<T> = Result<T, fordra_app::AppError>;

fn cid(c: &str) -> fordra_app::CreditorId {
    fordra_app::CreditorId(c.into())
}

impl UseCases for Store {
    fn app<'a>(&'a mut self, law: &'a LawBook) -> fordra_app::App<'a> {
        let today = self.today();
        fordra_app::App::new(self, law, today)
    }
    fn import_customers(&mut self, c: &str, rows: &[CustomerRow]) -> AppResult<fordra_store::ImportSummary> {
        let law = LawBook::embedded();
        self.app(&law).import_customer_rows(&cid(c), rows, "customers.csv")
    }
    fn import_invoices(
        &mut self,
        c: &str,
        law: &LawBook,
        rows: &[InvoiceRow],
        source: &str,
    ) -> AppResult<fordra_store::ImportSummary> {
        self.app(law).import_invoice_rows(&cid(c), rows, source)
    }
    fn book_payments(
        &mut self,
        c: &str,
        law: &LawBook,
        rows: &[PaymentRow],
        source: &str,
    ) -> AppResult<Vec<fordra_store::PaymentResult>> {
        self.app(law).book_payment_rows(&cid(c), rows, source)
    }
    fn add_pause(
        &mut self,
        c: &str,
        law: &LawBook,
        claim: Option<&str>,
        customer: Option<&str>,
        kind: PauseKind,
        from: NaiveDate,
        until: Option<NaiveDate>,
        reason: &str,
        plan_fee: bool,
        instalments: Option<u32>,
    ) -> AppResult<(i64, i64)> {
        let p = fordra_app::pauses::NewPause {
            claim: claim.map(|x| fordra_app::ClaimId(x.into())),
            customer: customer.map(|x| fordra_app::CustomerId(x.into())),
            kind,
            from,
            until,
            reason: reason.into(),
            plan_fee,
            instalments,
        };
        self.app(law).add_pause(&cid(c), &p).map(|a| (a.pause, a.fee.0))
    }
    fn refund(
        &mut self,
        c: &str,
        law: &LawBook,
        customer: &str,
        amount: i64,
        currency: Option<Currency>,
        date: NaiveDate,
        note: &str,
    ) -> AppResult<(String, i64)> {
        let r = fordra_app::customers::RefundInput {
            customer: fordra_app::CustomerId(customer.into()),
            amount: fordra_app::Minor(amount),
            currency,
            date,
            note: note.into(),
        };
        self.app(law).refund(&cid(c), &r).map(|x| (x.refund, x.credit_left.0))
    }
    fn amount_due(&mut self, c: &Creditor, law: &LawBook, claim: &str, date: NaiveDate) -> AppResult<i64> {
        fordra_app::claims::amount_due(self, c, law, claim, date)
    }
    fn run_day(&mut self, c: &str, law: &LawBook, date: NaiveDate, dry_run: bool) -> AppResult<RunResult> {
        self.run_day_with(c, law, date, dry_run, false)
    }
    fn run_day_with(
        &mut self,
        c: &str,
        law: &LawBook,
        date: NaiveDate,
        dry_run: bool,
        allow_future: bool,
    ) -> AppResult<RunResult> {
        self.app(law).decide_day(&cid(c), fordra_app::run::RunInput { date, dry_run, allow_future })
    }
    fn revert_latest_run(
        &mut self,
        c: &str,
        law: &LawBook,
        date: NaiveDate,
        reason: &str,
    ) -> AppResult<fordra_store::RunRecord> {
        let r = self.app(law).revert_run(&cid(c), date, reason)?;
        Ok(fordra_store::RunRecord { date: r.reverted, actions: r.actions, segment_changes: r.segment_changes })
    }
    fn explain_segment(&mut self, c: &Creditor, customer: &str, as_of: NaiveDate) -> AppResult<SegmentDecision> {
        let law = LawBook::embedded();
        self.app(&law).segment_now(c, &fordra_app::CustomerId(customer.into()), as_of)
    }
    fn history(&mut self, c: &str) -> AppResult<Vec<fordra_core::history::HistInvoice>> {
        fordra_app::predict::history(self, c)
    }
    fn import_bank_payments(
        &mut self,
        c: &str,
        law: &LawBook,
        format: &str,
        source: &str,
        checksum: &str,
        items: &mut dyn Iterator<Item = Result<FileItem, fordra_core::domain::ParseError>>,
        dry_run: bool,
    ) -> AppResult<BankImport> {
        let file = fordra_app::booking::ItemsOf { format, source, checksum, dry_run };
        self.app(law).import_bank_items_kept(&cid(c), file, items)
    }
    fn unmatched_payments(&mut self, c: &str) -> AppResult<Vec<BankPaymentResult>> {
        let law = LawBook::embedded();
        self.app(&law).queued_payments(&cid(c))
    }
    fn assign_payment(&mut self, c: &str, law: &LawBook, key: &str, claim: &str) -> AppResult<BankPaymentResult> {
        self.app(law).assign_queued_payment(&cid(c), key, &fordra_app::ClaimId(claim.into()))
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn creditor() -> Creditor {
    Creditor {
        id: "acme".into(),
        name: "Acme AB".into(),
        jurisdiction: JurisdictionCode::SE,
        currency: Currency::SEK,
        reminder_fee_agreed: true,
        charge_interest: true,
        contract_rate: None,
        bankgiro: Some("5050-1055".into()),
        iban: None,
        reference_scheme: None,
        policy: Policy::default_for(JurisdictionCode::SE),
    }
}

fn cust(id: &str, kind: DebtorKind, vip: bool, score: Option<i32>) -> CustomerRow {
    CustomerRow {
        channel: None,
        email_consent: None,
        sms_consent: None,
        mailbox: None,
        reminder_fee_agreed: None,
        reminder_fee_agreed_on: None,
        id: id.into(),
        name: format!("Name {id}"),
        kind,
        language: "sv".into(),
        email: Some(format!("{id}@example.se")),
        phone: None,
        address: None,
        org_no: None,
        credit_score: score,
        credit_score_date: score.map(|_| d("2024-01-15")),
        vip,
        segment: None,
        segment_reason: None,
    }
}

fn inv(line: usize, id: &str, customer: &str, due: &str, amount: i64, paid: Option<&str>) -> InvoiceRow {
    let due = d(due);
    InvoiceRow {
        due_date_agreed: true,
        demand_date: None,
        line,
        id: id.into(),
        customer_id: customer.into(),
        invoice_number: id.into(),
        issue_date: due - chrono::Duration::days(30),
        due_date: due,
        currency: Currency::SEK,
        amount,
        paid_date: paid.map(d),
        reference: None,
    }
}

fn pay(line: usize, id: &str, claim: &str, date: &str, amount: i64) -> PaymentRow {
    PaymentRow {
        line,
        id: id.into(),
        claim_id: claim.into(),
        date: d(date),
        amount,
        currency: Currency::SEK,
        reference: None,
        payer: None,
    }
}

fn setup(url: &str) -> (Store, LawBook) {
    let mut s = Store::create(url).unwrap();
    s.set_today(d("2024-06-30"));
    s.save_creditor(&creditor()).unwrap();
    s.upsert_customers(
        "acme",
        &[
            cust("normal", DebtorKind::Consumer, false, Some(70)),
            cust("risky", DebtorKind::Consumer, false, Some(12)),
            cust("firm", DebtorKind::Business, false, None),
            cust("vip", DebtorKind::Business, true, None),
            cust("late", DebtorKind::Consumer, false, None),
        ],
    )
    .unwrap();
    (s, LawBook::embedded())
}

/// A month of a small portfolio: history, runs, partial/over/duplicate payments and a pause.
/// Returns a fingerprint of everything stored, for comparing backends.
fn scenario(url: &str) -> String {
    let (mut s, law) = setup(url);
    let history = [
        inv(2, "h1", "late", "2024-01-10", 100_000, Some("2024-02-01")),
        inv(3, "h2", "late", "2024-02-10", 100_000, Some("2024-03-01")),
        inv(4, "h3", "late", "2024-03-10", 100_000, Some("2024-03-12")),
    ];
    let open = [
        inv(5, "n1", "normal", "2024-04-01", 1_000_000, None),
        inv(6, "r1", "risky", "2024-04-05", 250_000, None),
        inv(7, "f1", "firm", "2024-04-01", 5_000_000, None),
        inv(8, "v1", "vip", "2024-04-01", 800_000, None),
        inv(9, "l1", "late", "2024-04-01", 120_000, None),
        inv(10, "l2", "late", "2024-04-01", 80_000, None),
    ];
    let all: Vec<InvoiceRow> = history.iter().chain(open.iter()).cloned().collect();
    let sum = s.import_invoices("acme", &law, &all, "invoices.csv").unwrap();
    assert_eq!((sum.created, sum.unchanged), (9, 0));
    let again = s.import_invoices("acme", &law, &all, "invoices.csv").unwrap();
    assert_eq!((again.created, again.unchanged), (0, 9), "re-import changes nothing");
    s.add_pause(
        "acme",
        &law,
        Some("r1"),
        None,
        PauseKind::Dispute,
        d("2024-04-20"),
        None,
        "says the goods were broken",
        false,
        None,
    )
    .unwrap();
    let mut day = d("2024-04-01");
    while day <= d("2024-05-31") {
        if day == d("2024-04-15") {
            let r = s
                .book_payments(
                    "acme",
                    &law,
                    &[pay(2, "p1", "n1", "2024-04-15", 400_000), pay(3, "p2", "l2", "2024-04-15", 100_000)],
                    "bank.csv",
                )
                .unwrap();
            assert_eq!(r[0].status, "partly paid");
            assert_eq!(r[1].status, "overpaid");
            let dup = s.book_payments("acme", &law, &[pay(2, "p1", "n1", "2024-04-15", 400_000)], "bank.csv").unwrap();
            assert_eq!(dup[0].status, "duplicate");
        }
        s.run_day("acme", &law, day, false).unwrap();
        let rerun = s.run_day("acme", &law, day, false).unwrap();
        assert!(
            rerun.actions.is_empty() && rerun.segment_changes().next().is_none(),
            "same day twice: nothing new on {day}"
        );
        day += chrono::Duration::days(1);
    }
    fingerprint(&mut s)
}

/// Everything the scenario stored, in a canonical text.
fn fingerprint(s: &mut Store) -> String {
    let mut fp = String::new();
    for c in ["normal", "risky", "firm", "vip", "late"] {
        let row = s.customer("acme", c).unwrap();
        fp.push_str(&format!("customer {c}: {:?} {}\n", row.segment, row.segment_reason.unwrap_or_default()));
        let live = s.explain_segment(&creditor(), c, d("2024-05-31")).unwrap();
        fp.push_str(&format!("live {c}: {} {}\n", live.segment, live.reason));
        for ch in s.segment_changes("acme", c).unwrap() {
            fp.push_str(&format!("  change {} {:?}->{} {}\n", ch.date, ch.from, ch.to, ch.reason));
        }
        fp.push_str(&format!("  credit {}\n", s.customer_credit("acme", c).unwrap()));
        for a in s.actions_of_customer("acme", c).unwrap() {
            fp.push_str(&format!(
                "  action {} {} #{} {} {} fee {} int {} open {} deadline {} skipped {} | {}\n",
                a.date,
                a.claim_id,
                a.seq,
                a.kind,
                a.channel,
                a.fee,
                a.interest,
                a.open_after,
                a.deadline,
                a.skipped,
                a.reason
            ));
        }
        for cl in s.claims_of_customer("acme", c).unwrap() {
            let b = s.balances("acme", &cl.id, NaiveDate::MAX).unwrap();
            let entries = s.ledger("acme", &cl.id).unwrap();
            let sum: i64 = entries.iter().filter(|e| e.component.is_some()).map(|e| e.amount).sum();
            assert_eq!(sum, b.total(), "balance = sum of entries for {}", cl.id);
            fp.push_str(&format!("  claim {} {} {:?} {:?}\n", cl.id, cl.status, cl.settled_date, b));
            for e in entries {
                fp.push_str(&format!("    {} {} {:?} {} {}\n", e.date, e.kind, e.component, e.amount, e.memo));
            }
        }
    }
    for t in s.ledger_totals("acme").unwrap() {
        fp.push_str(&format!("total {t:?}\n"));
    }
    for r in s.runs("acme").unwrap() {
        fp.push_str(&format!("run {} {} {}\n", r.date, r.actions, r.segment_changes));
    }
    fp
}

fn full_scenario(url: &str) {
    let fp = scenario(url);
    let line = |needle: &str| {
        fp.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in\n{fp}"))
            .to_string()
    };
    // Segments with reasons.
    assert!(
        line("customer risky:").contains("Some(Risk) Risk:")
            && line("customer risky:").contains("credit score 12 from 2024-01-15 is below 30")
    );
    // The stored reason is the one given when the segment changed...
    assert!(line("customer late:").contains("Some(Risk) Risk: 2 of the last 3 invoices paid more than 10 days late"));
    // ...and the live explanation counts what happened since.
    assert!(line("live late:").contains(
        "Risk: 3 of the last 4 invoices paid more than 10 days late; 2 collection cases in the last 365 days"
    ));
    assert!(line("customer vip:").contains("Some(Vip) VIP: chosen by the creditor"));
    assert!(line("change 2024-04-01 None->normal")
        .contains("Normal: no risk rule matched (0 of 0 invoices paid more than 10 days late; credit score 70)"));
    // The business claim carries the 450 SEK late compensation and no other fee.
    assert!(line("f1 #1 reminder").contains("fee 45000"));
    assert!(
        line("f1 #2 collection").contains("fee 0 ")
            && line("f1 #2 collection").contains("covered by the late compensation")
    );
    // The consumer claim: reminder 60, collection 180.
    assert!(line("n1 #1 reminder").contains("fee 6000"));
    assert!(line("n1 #2 collection").contains("fee 18000"));
    // Risk: a pre-due notice (no phone: by e-mail), then a reminder shortly after due.
    assert!(line("r1 #1 pre_due email").contains("no mobile number: sent by e-mail"));
    // The disputed claim got nothing from the dispute's start on 2024-04-20.
    for l in fp.lines().filter(|l| l.contains(" r1 #")) {
        let date = l.trim_start().trim_start_matches("action ").get(..10).unwrap();
        assert!(date < "2024-04-20", "step during the dispute: {l}");
    }
    // l2 (800 SEK, risk customer) had a collection demand (fee 180) and 3.68 interest when
    // 1 000 SEK came in: 1000 − 180 − 3.68 − 800 = 16.32 is the customer's credit, and it pays
    // their other open claim l1 the same day instead of lying idle.
    assert!(fp.contains("claim l2 paid Some(2024-04-15)"));
    assert!(line("l2 #2 collection").contains("fee 18000"));
    assert!(fp.contains("customer_credit None -1632 overpayment of 16.32 kept as a credit for the customer"));
    assert!(fp.contains("2024-04-15 customer_credit None 1632 credit of 16.32 used for claim l1"), "{fp}");
    let l1 = fp.split("  claim l1").nth(1).unwrap();
    assert!(l1.contains("credit_applied Some(\"fees\") -1632 credit from overpayment p2 applied to fees"), "{l1}");
    let late = fp.split("customer late:").nth(1).unwrap();
    assert!(late.contains("  credit 0"), "{late}");
    // VIP: two reminders, then a phone call, before collection.
    let vip: Vec<&str> = fp.lines().filter(|l| l.contains(" v1 #")).collect();
    assert!(
        vip.len() >= 4
            && vip[0].contains("reminder email")
            && vip[1].contains("reminder letter")
            && vip[2].contains("phone_call")
            && vip[3].contains("collection"),
        "{vip:?}"
    );
}
both!(full_scenario);

/// The same text, line by line, naming where the first difference is.
fn assert_same(a: &str, b: &str, what: &str) {
    for (x, y) in a.lines().zip(b.lines()) {
        assert_eq!(x, y, "first difference between {what}");
    }
    assert_eq!(a.lines().count(), b.lines().count(), "{what}");
}

#[test]
fn sqlite_and_postgres_agree() {
    let Some(pg) = TestDb::postgres() else { return };
    let lite = TestDb::sqlite();
    let a = scenario(&lite.url);
    assert_same(&a, &scenario(&pg.url), "SQLite and PostgreSQL");
    let Some(parts) = TestDb::postgres_partitioned() else { return };
    assert_same(&a, &scenario(&parts.url), "SQLite and PostgreSQL partitioned by creditor");
}

/// Partitioning a database that holds a month of work keeps every row, key, sequence and
/// index: the same fingerprint after, the serial ids go on from where they were, and the same
/// call again changes nothing.
#[test]
fn partitioning_keeps_everything() {
    let Some(pg) = TestDb::postgres() else { return };
    let before = scenario(&pg.url);
    let mut s = Store::open(&pg.url).unwrap();
    let claims = ["h1", "h2", "h3", "n1", "r1", "f1", "v1", "l1", "l2"];
    let max_id =
        |s: &mut Store| claims.iter().flat_map(|c| s.ledger("acme", c).unwrap()).map(|e| e.id).max().unwrap_or(0);
    let last = max_id(&mut s);
    let done = s.partition_by_creditor(3).unwrap();
    assert_eq!(done.split.len(), fordra_store::PARTITIONED_TABLES.len(), "{done:?}");
    assert_eq!(s.partitioned_tables().unwrap().len(), fordra_store::PARTITIONED_TABLES.len());
    assert_same(&before, &fingerprint(&mut s), "before and after partitioning");
    let again = s.partition_by_creditor(3).unwrap();
    assert!(again.split.is_empty() && again.already.len() == fordra_store::PARTITIONED_TABLES.len(), "{again:?}");
    // New rows take ids after the old ones (the sequences moved with their tables).
    let law = LawBook::embedded();
    s.set_today(d("2024-07-31"));
    s.book_payments("acme", &law, &[pay(2, "p-after", "f1", "2024-07-31", 1_000)], "after.csv").unwrap();
    assert!(max_id(&mut s) > last, "a new ledger entry after partitioning has a later id");
    let lite = TestDb::sqlite();
    let (mut l, _) = setup(&lite.url);
    let e = l.partition_by_creditor(4).unwrap_err().to_string();
    assert!(e.contains("PostgreSQL"), "{e}");
    assert!(l.partitioned_tables().unwrap().is_empty());
}

fn failed_import_stores_nothing(url: &str) {
    let (mut s, law) = setup(url);
    let rows = [inv(2, "a", "normal", "2024-04-01", 1000, None), inv(3, "b", "nobody", "2024-04-01", 1000, None)];
    let e = s.import_invoices("acme", &law, &rows, "bad.csv").unwrap_err().to_string();
    assert_eq!(e, "bad.csv: line 3: column customer_id: unknown customer 'nobody' (import customers first)");
    assert!(s.claims_of_customer("acme", "normal").unwrap().is_empty(), "nothing from a failing file is stored");
    assert!(s.ledger_totals("acme").unwrap().is_empty());
    // A changed invoice is refused, the file's other rows too.
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 1000, None)], "ok.csv").unwrap();
    let e = s
        .import_invoices(
            "acme",
            &law,
            &[inv(2, "c", "normal", "2024-04-01", 5, None), inv(3, "a", "normal", "2024-04-01", 2000, None)],
            "changed.csv",
        )
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("changed.csv: line 3: invoice 'a' already exists with other data"), "{e}");
    assert!(s.claim("acme", "c").is_err());
    // A payment file with an unknown invoice books nothing.
    let e = s
        .book_payments(
            "acme",
            &law,
            &[pay(2, "p1", "a", "2024-04-02", 500), pay(3, "p2", "zzz", "2024-04-02", 500)],
            "pay.csv",
        )
        .unwrap_err()
        .to_string();
    assert_eq!(e, "pay.csv: line 3: column invoice_id: unknown invoice 'zzz'");
    assert_eq!(s.balances("acme", "a", NaiveDate::MAX).unwrap().total(), 1000);
}
both!(failed_import_stores_nothing);

fn runs_move_forward_and_dry_runs_write_nothing(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, None)], "i.csv").unwrap();
    let dry = s.run_day("acme", &law, d("2024-04-08"), true).unwrap();
    assert_eq!(dry.actions.len(), 1);
    assert!(s.actions_of_claim("acme", "a").unwrap().is_empty(), "dry run writes nothing");
    s.run_day("acme", &law, d("2024-04-08"), false).unwrap();
    let e = s.run_day("acme", &law, d("2024-04-07"), false).unwrap_err().to_string();
    assert!(e.contains("a run for 2024-04-08 is already recorded"), "{e}");
    assert!(s.run_day("acme", &law, d("2024-04-07"), true).is_ok());
}
both!(runs_move_forward_and_dry_runs_write_nothing);

fn reimport_with_paid_date_settles(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, None)], "i.csv").unwrap();
    s.run_day("acme", &law, d("2024-04-08"), false).unwrap();
    let r = s
        .import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, Some("2024-04-10"))], "i2.csv")
        .unwrap();
    assert_eq!(r.settled, 1);
    let c = s.claim("acme", "a").unwrap();
    assert_eq!((c.status.as_str(), c.settled_date), ("paid", Some(d("2024-04-10"))));
    assert_eq!(s.balances("acme", "a", NaiveDate::MAX).unwrap().total(), 0);
    assert!(s.run_day("acme", &law, d("2024-05-01"), false).unwrap().actions.is_empty());
}
both!(reimport_with_paid_date_settles);

fn payment_plan_fee_and_pause_end(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, None)], "i.csv").unwrap();
    let (id, fee) = s
        .add_pause(
            "acme",
            &law,
            Some("a"),
            None,
            PauseKind::PaymentPlan,
            d("2024-04-05"),
            Some(d("2024-06-30")),
            "three instalments",
            true,
            None,
        )
        .unwrap();
    assert_eq!(fee, 17000, "SE payment plan fee cap");
    assert!(s.run_day("acme", &law, d("2024-05-01"), false).unwrap().actions.is_empty());
    s.end_pause("acme", id, d("2024-05-02"), "plan broken: first instalment missed").unwrap();
    let r = s.run_day("acme", &law, d("2024-05-02"), false).unwrap();
    assert_eq!(r.actions.len(), 1);
    assert!(r.actions[0].reason.contains("resumed after payment_plan"), "{}", r.actions[0].reason);
    assert!(
        s.add_pause("acme", &law, Some("a"), None, PauseKind::Hold, d("2024-05-03"), None, "x", false, None).is_err(),
        "a hold needs an end date"
    );
}
both!(payment_plan_fee_and_pause_end);

fn reopening_applies_no_migration_twice(url: &str) {
    drop(setup(url));
    let mut s = Store::open(url).unwrap();
    assert_eq!(s.creditor("acme").unwrap().name, "Acme AB");
    assert_eq!(s.customer_ids("acme").unwrap().len(), 5);
}
both!(reopening_applies_no_migration_twice);

/// Runs SQL on the database behind `url` directly (to put a database back to an older schema).
fn raw(url: &str, sql: &str) {
    if url.starts_with("postgres") {
        postgres::Client::connect(url, postgres::NoTls).unwrap().batch_execute(sql).unwrap();
    } else {
        rusqlite::Connection::open(url.trim_start_matches("sqlite://")).unwrap().execute_batch(sql).unwrap();
    }
}

/// Issue #9: migration 6 brings a database of the previous version forward: existing creditors
/// collect their own claims (their stored policies name no collector), existing customers inherit
/// the creditor's reminder-fee agreement, existing invoices keep their agreed due dates.
fn migration_brings_databases_forward(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, None)], "i.csv").unwrap();
    let policy = s.creditor("acme").unwrap().policy.to_toml();
    assert!(policy.contains("collector = \"own\""), "{policy}");
    drop(s);
    let old_policy = policy.replace("collector = \"own\"\n", "").replace('\'', "''");
    raw(
        url,
        &format!(
            "ALTER TABLE customers DROP COLUMN reminder_fee_agreed; ALTER TABLE customers DROP COLUMN reminder_fee_agreed_on; \
             DROP INDEX claims_open; ALTER TABLE claims DROP COLUMN due_date_agreed; ALTER TABLE claims DROP COLUMN demand_date; \
             DELETE FROM schema_migrations WHERE version = 6; UPDATE creditors SET policy = '{old_policy}'"
        ),
    );
    let mut s = Store::open(url).unwrap();
    let c = s.creditor("acme").unwrap();
    assert_eq!(c.policy.collector, fordra_core::domain::Collector::Own);
    assert!(c.reminder_fee_agreed);
    for id in ["normal", "firm"] {
        assert_eq!(
            s.customer("acme", id).unwrap().reminder_fee_agreed,
            Some(true),
            "{id} inherits the creditor's agreement"
        );
    }
    let r = s.run_day("acme", &law, d("2024-04-08"), false).unwrap();
    assert_eq!(r.actions[0].fee_total(), 6000, "the agreed 60 SEK reminder fee");
}
both!(migration_brings_databases_forward);

/// Issue #10: a stored value this version cannot read is an error naming the table and column,
/// never a default (a bad date used to become 1970-01-01, a bad integer 0).
fn malformed_rows_are_loud(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, None)], "i.csv").unwrap();
    drop(s);
    raw(url, "UPDATE claims SET due_date = '2024-13-45' WHERE id = 'a'");
    let mut s = Store::open(url).unwrap();
    let e = s.claim("acme", "a").unwrap_err().to_string();
    assert_eq!(e, "stored data: table claims, column due_date: not a date: '2024-13-45'");
    let e = s.run_day("acme", &law, d("2024-04-20"), true).unwrap_err().to_string();
    assert!(e.contains("table claims, column due_date"), "{e}");
    drop(s);
    raw(url, "UPDATE claims SET due_date = '2024-04-01', status = 'lost' WHERE id = 'a'");
    let mut s = Store::open(url).unwrap();
    let e = s.claim("acme", "a").unwrap_err().to_string();
    assert!(e.starts_with("stored data: table claims, column status: 'lost'"), "{e}");
    drop(s);
    raw(url, "UPDATE claims SET status = 'open'; UPDATE customers SET vip = 7 WHERE id = 'normal'");
    let mut s = Store::open(url).unwrap();
    let e = s.customer("acme", "normal").unwrap_err().to_string();
    assert_eq!(e, "stored data: table customers, column vip: not 0 or 1: 7");
}
both!(malformed_rows_are_loud);

fn incoming(
    key: &str,
    date: &str,
    amount: i64,
    refs: &[&str],
    text: &[&str],
    payer: Option<&str>,
) -> fordra_core::matching::Incoming {
    fordra_core::matching::Incoming {
        key: key.into(),
        date: d(date),
        amount,
        currency: "SEK".into(),
        references: refs.iter().map(|s| s.to_string()).collect(),
        text: text.iter().map(|s| s.to_string()).collect(),
        payer: payer.map(str::to_string),
        claim: None,
        line: 1,
        account: None,
    }
}

fn bank_file(items: Vec<FileItem>) -> impl Iterator<Item = Result<FileItem, fordra_core::domain::ParseError>> {
    items.into_iter().map(Ok)
}

/// Bank payments: matched by reference, text and name; queued; duplicates; a reversal; the
/// results must be the same on both databases.
fn bank_scenario(url: &str) -> String {
    use fordra_app::booking::{Reversal, ReversalTarget};
    let (mut s, law) = setup(url);
    let mut rows = vec![
        inv(2, "a", "normal", "2024-04-01", 100_000, None),
        inv(3, "b", "firm", "2024-04-01", 250_000, None),
        inv(4, "c", "firm", "2024-04-01", 80_000, None),
        inv(5, "e", "risky", "2024-04-01", 30_000, None),
    ];
    rows[0].reference = Some("10013".into());
    rows[1].reference = Some("10021".into());
    s.import_invoices("acme", &law, &rows, "i.csv").unwrap();
    let file = [
        incoming("k1", "2024-04-03", 100_000, &["10013"], &[], None),
        incoming("k2", "2024-04-03", 330_000, &["10021"], &["Faktura c"], Some("Name firm")),
        incoming("k3", "2024-04-03", 29_000, &[], &[], Some("Name risky")),
        incoming("k4", "2024-04-03", 5_000, &["99999"], &[], Some("Unknown")),
    ];
    let items = || bank_file(file.iter().cloned().map(FileItem::Payment).collect());
    let r = s.import_bank_payments("acme", &law, "test", "f1", "sum1", &mut items(), false).unwrap();
    let again = s.import_bank_payments("acme", &law, "test", "f1", "sum1", &mut items(), false).unwrap();
    assert!(again.file_seen_before);
    assert!(again.payments.iter().all(|p| p.status == "duplicate"));
    let rev = Reversal { key: "r1".into(), line: 9, date: d("2024-04-04"), target: ReversalTarget::Key("k1".into()) };
    let r2 = s
        .import_bank_payments("acme", &law, "test", "f2", "sum2", &mut bank_file(vec![FileItem::Reversal(rev)]), false)
        .unwrap();
    let q = s.unmatched_payments("acme").unwrap();
    let mut fp = format!("{:?}\n{:?}\n{:?}\n", r.payments, r2.payments, q);
    for c in ["a", "b", "c", "e"] {
        let cl = s.claim("acme", c).unwrap();
        let sum: i64 = s.ledger("acme", c).unwrap().iter().filter(|e| e.component.is_some()).map(|e| e.amount).sum();
        assert_eq!(sum, s.balances("acme", c, NaiveDate::MAX).unwrap().total(), "balance = sum of entries for {c}");
        fp.push_str(&format!("{} {} {:?}\n", c, cl.status, s.balances("acme", c, NaiveDate::MAX).unwrap()));
    }
    fp
}

fn bank_payments_match_queue_and_reverse(url: &str) {
    let fp = bank_scenario(url);
    let lines: Vec<&str> = fp.lines().collect();
    // k1: exactly the invoice amount, two days late: interest through the payment day (2 days ×
    // 12 % on 1 000 = 0.66) is settled first, so 0.66 of principal is left — below the 1 SEK
    // write-off tolerance, so it is written off and the claim is settled.
    assert!(
        lines[0].contains("key: \"k1\"") && lines[0].contains("status: Matched, claims: [(\"a\", 100000)]"),
        "{fp}"
    );
    // k2: reference 10021 (250) — the text is not consulted once a reference matched; 80 excess → credit.
    assert!(lines[0].contains("claims: [(\"b\", 330000)]") && lines[0].contains("status: Overpaid"), "{fp}");
    // k3: no reference, amount differs, name matches 'Name risky' → suggestions, queued.
    assert!(lines[2].contains("k3") && lines[2].contains("k4"), "{fp}");
    assert!(lines[1].contains("status: Reversal") && lines[1].contains("reverses payment k1"), "{fp}");
    // The reversal undid the payment and the write-off that followed it; the interest accrued to
    // the payment day stays owed.
    assert!(
        fp.contains("a open Balances { fees: 0, interest: 66, principal: 100000 }"),
        "the reversal reopened a: {fp}"
    );
    assert!(fp.contains("b paid"), "{fp}");
}
both!(bank_payments_match_queue_and_reverse);

#[test]
fn bank_payments_agree_across_databases() {
    let Some(pg) = TestDb::postgres() else { return };
    let lite = TestDb::sqlite();
    assert_eq!(bank_scenario(&lite.url), bank_scenario(&pg.url));
}

/// The payment-behaviour model and the strategy lab: history from claims and an export, a
/// model stored in versions, predictions in the run (segment rule and nudges), an experiment
/// with recorded arms and its claims. Returns a fingerprint for comparing backends.
fn lab_scenario(url: &str) -> String {
    use fordra_core::domain::{Channel, Segment};
    use fordra_core::history::HistInvoice;
    let (mut s, law) = setup(url);
    // 30 customers, a year of monthly invoices; every third pays 25 days late, the rest on time.
    // c00, a late payer, is a VIP: VIPs stay VIP, and their model has no pre-due step of its own.
    let custs: Vec<CustomerRow> =
        (0..30).map(|i| cust(&format!("c{i:02}"), DebtorKind::Consumer, i == 0, None)).collect();
    s.upsert_customers("acme", &custs).unwrap();
    let mut rows = Vec::new();
    for i in 0..30 {
        for m in 0..12i64 {
            let due = d("2023-01-20") + chrono::Duration::days(30 * m + i % 7);
            let late = if i % 3 == 0 { 25 } else { -2 };
            let mut r = inv(
                rows.len() + 2,
                &format!("c{i:02}-{m:02}"),
                &format!("c{i:02}"),
                &due.to_string(),
                50_000 + 1_000 * i,
                None,
            );
            r.paid_date = Some(due + chrono::Duration::days(late));
            rows.push(r);
        }
        // The next monthly invoice is open, due in mid-January 2024.
        let due = d("2024-01-15") + chrono::Duration::days(i % 7);
        rows.push(inv(
            rows.len() + 2,
            &format!("c{i:02}-open"),
            &format!("c{i:02}"),
            &due.to_string(),
            50_000 + 1_000 * i,
            None,
        ));
    }
    s.import_invoices("acme", &law, &rows, "invoices.csv").unwrap();
    // An export row for a claim Fordra knows (its paid date wins) and one it does not.
    let export = |id: &str, paid: Option<&str>| HistInvoice {
        customer: "c01".into(),
        invoice: id.into(),
        invoice_date: d("2022-11-01"),
        due_date: d("2022-12-01"),
        amount: 30_000,
        paid_date: paid.map(d),
        disputed: id == "old-2",
        channel: Some("paper".into()),
        credit_score: None,
        extra: vec![],
    };
    let (created, updated) = s
        .import_history(
            "acme",
            &[
                (export("c01-00", None), "SEK".into(), None),
                (export("old-1", Some("2022-12-01")), "SEK".into(), Some("SE".into())),
                (export("old-2", Some("2023-02-01")), "SEK".into(), None),
            ],
            "ar.csv",
        )
        .unwrap();
    assert_eq!((created, updated), (3, 0));
    let h = s.history("acme").unwrap();
    assert_eq!(h.len(), 30 * 13 + 2, "claims and export rows, the shared invoice once");
    let shared = h.iter().find(|x| x.invoice == "c01-00").unwrap();
    assert!(shared.paid_date.is_some() && shared.channel.as_deref() == Some("paper"), "{shared:?}");
    assert!(h.iter().find(|x| x.invoice == "old-2").unwrap().disputed);
    assert!(h.windows(2).all(|w| (w[0].invoice_date, &w[0].invoice) <= (w[1].invoice_date, &w[1].invoice)));

    // Two versions; the latest is in use, an earlier one can be put back.
    let mut m1 = fordra_ml::model::Model::train(&h, d("2023-09-01"), 10, 30).unwrap();
    m1.version = s.next_model_version("acme").unwrap();
    s.save_model("acme", &m1, d("2023-09-01"), &serde_json::json!({"late_rate": m1.late_rate})).unwrap();
    let mut m2 = fordra_ml::model::Model::train(&h, d("2024-01-01"), 10, 30).unwrap();
    m2.version = s.next_model_version("acme").unwrap();
    s.save_model("acme", &m2, d("2024-01-01"), &serde_json::json!({"late_rate": m2.late_rate})).unwrap();
    let versions: Vec<(u32, bool)> = s.models("acme").unwrap().iter().map(|m| (m.version, m.active)).collect();
    assert_eq!(versions, vec![(1, false), (2, true)]);
    s.activate_model("acme", 1).unwrap();
    assert_eq!(s.model("acme", None).unwrap().unwrap().version, 1);
    assert!(s.activate_model("acme", 9).is_err());
    s.activate_model("acme", 2).unwrap();

    // The policy uses the model; half of the Normal segment tries a text at due + 2.
    let mut c = s.creditor("acme").unwrap();
    c.policy.segmentation.predicted_late = Some(rust_decimal::Decimal::new(6, 1));
    c.policy.nudge = Some(fordra_core::model::Nudge {
        min_p_late: rust_decimal::Decimal::new(5, 1),
        days_before_due: 3,
        channel: Channel::Email,
    });
    let mut steps = c.policy.model(Segment::Normal).steps.clone();
    steps[0].days = 2;
    steps[0].channel = Channel::Sms;
    let ch = fordra_core::model::Challenger {
        name: "early".into(),
        segment: Segment::Normal,
        share: rust_decimal::Decimal::new(5, 1),
        from: d("2024-01-01"),
        steps,
    };
    c.policy.challengers.push(ch.clone());
    s.save_creditor(&c).unwrap();
    s.start_experiment("acme", &ch).unwrap();
    assert!(s.start_experiment("acme", &ch).is_err(), "one experiment per name");
    let mut day = d("2024-01-10");
    while day <= d("2024-01-31") {
        s.run_day("acme", &law, day, false).unwrap();
        day += chrono::Duration::days(1);
    }
    let mut fp = String::new();
    for i in 0..30 {
        let id = format!("c{i:02}");
        let row = s.customer("acme", &id).unwrap();
        fp.push_str(&format!("{id}: {:?} {}\n", row.segment, row.segment_reason.unwrap_or_default()));
        for a in s.actions_of_customer("acme", &id).unwrap() {
            fp.push_str(&format!(
                "  {} {} #{} step {} {} {} {:?} | {}\n",
                a.date, a.claim_id, a.seq, a.step_no, a.kind, a.channel, a.arm, a.reason
            ));
        }
    }
    let e = s.experiments("acme").unwrap();
    fp.push_str(&format!("experiments {e:?}\n"));
    let claims = s.experiment_claims("acme", &e[0], d("2024-01-31")).unwrap();
    fp.push_str(&format!("experiment claims {claims:?}\n"));
    s.end_experiment("acme", "early", d("2024-02-01"), "stopped").unwrap();
    assert!(s.end_experiment("acme", "early", d("2024-02-02"), "stopped").is_err());
    fp.push_str(&format!("past {:?}\n", s.past_claims("acme", d("2023-12-01"), d("2024-01-31")).unwrap()));
    fp
}

fn lab_in_the_store(url: &str) {
    let fp = lab_scenario(url);
    // The late third became Risk, the model among the reasons, in words...
    let c03 = fp.lines().find(|l| l.starts_with("c03:")).unwrap();
    assert!(
        c03.contains("Some(Risk) Risk: 11 of the last 11 invoices paid more than 10 days late")
            && c03.contains("; model v2 (")
            && c03.contains("likely to pay more than 10 days late (threshold 60 %), mainly: "),
        "{c03}"
    );
    // ...the late VIP stays VIP and gets a nudge before due, outside the handling model.
    assert!(
        fp.lines()
            .find(|l| l.starts_with("c00:"))
            .unwrap()
            .contains("Some(Vip) VIP: chosen by the creditor (Risk rules would apply: "),
        "{fp}"
    );
    assert!(fp.contains("c00-open #1 step 0 pre_due email None | pre-due nudge: model v2 ("), "{fp}");
    // The on-time customers stay Normal, no nudge, in two recorded arms handled differently.
    let c01 = fp.lines().find(|l| l.starts_with("c01:")).unwrap();
    assert!(c01.contains("Some(Normal) Normal: no risk rule matched") && c01.contains("model v2 ("), "{c01}");
    assert!(!fp.contains("c01-open #1 step 0"), "{fp}");
    assert!(fp.contains("Some(\"early:challenger\")") && fp.contains("Some(\"early:champion\")"), "{fp}");
    let text = fp.lines().find(|l| l.contains("early:challenger")).unwrap();
    assert!(
        text.contains("reminder email")
            && text.contains("no mobile number: sent by e-mail")
            && text.contains("normal challenger 'early' step 1/3 (reminder): due 2024-01-"),
        "{text}"
    );
    let e = fp.lines().find(|l| l.starts_with("experiments")).unwrap();
    assert!(
        e.contains("customers: (") && !e.contains("customers: (0, 0)") && e.contains("outcome: \"running\""),
        "{e}"
    );
}
both!(lab_in_the_store);

#[test]
fn lab_agrees_across_databases() {
    let Some(pg) = TestDb::postgres() else { return };
    let lite = TestDb::sqlite();
    let (a, b) = (lab_scenario(&lite.url), lab_scenario(&pg.url));
    for (x, y) in a.lines().zip(b.lines()) {
        assert_eq!(x, y, "first difference between SQLite and PostgreSQL");
    }
    assert_eq!(a.lines().count(), b.lines().count());
}

#[path = "contract/money.rs"]
mod money;
#[path = "contract/simulation.rs"]
mod simulation;

/// The outbox on both databases: the run queues its messages, two workers never take the same
/// delivery, a worker's outcome is recorded only while it holds the delivery, and a lease that
/// ran out lets another worker take it over.
fn outbox_leases_and_outcomes(url: &str) {
    use fordra_core::domain::DeliveryStatus;
    use fordra_store::Finish;
    let (mut s, law) = setup(url);
    let customers = ["normal", "risky", "firm", "late"];
    let invoices: Vec<_> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| inv(i + 2, &format!("c{i}"), c, "2024-04-01", 100_000, None))
        .collect();
    s.import_invoices("acme", &law, &invoices, "i.csv").unwrap();
    s.run_day("acme", &law, d("2024-04-08"), false).unwrap();
    let queued = s.deliveries("acme", Some(DeliveryStatus::Queued), None).unwrap();
    // Unix seconds from the run day's start (deliveries are due from then).
    let t0 = d("2024-04-08").and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    assert!(!queued.is_empty());
    // A second store on the same database is a second worker.
    let mut other = Store::open(url).unwrap();
    assert!(queued.len() >= 3, "{queued:?}");
    let a = s.take_deliveries(Some("acme"), t0 + 1_000, t0 + 1_300, 2).unwrap();
    let b = other.take_deliveries(None, t0 + 1_000, t0 + 1_300, 100).unwrap();
    let mut ids: Vec<_> = a.iter().chain(&b).map(|x| x.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), a.len() + b.len(), "no delivery taken twice");
    assert_eq!(ids.len(), queued.len());
    assert!(other.take_deliveries(None, t0 + 1_200, t0 + 1_500, 100).unwrap().is_empty(), "all held");
    let first = &a[0];
    let done = Finish {
        status: DeliveryStatus::Sent,
        detail: "ok",
        provider_ref: Some("m1"),
        not_before: t0 + 1_000,
        at: "t",
        sent_at: t0 + 1_000,
    };
    s.finish_delivery("acme", &first.id, first.attempts + 1, &done).unwrap();
    // The same outcome again (or from a worker that lost the delivery) is refused.
    assert!(s.finish_delivery("acme", &first.id, first.attempts + 1, &done).is_err());
    // After the lease, the rest are taken over, with their earlier status (sending) to tell.
    let again = other.take_deliveries(None, t0 + 1_301, t0 + 1_600, 100).unwrap();
    assert_eq!(again.len(), queued.len() - 1);
    assert!(again.iter().all(|x| x.status == DeliveryStatus::Sending && x.attempts == 1));
    let stale = &b[0];
    assert!(s.finish_delivery("acme", &stale.id, stale.attempts + 1, &done).is_err(), "the first holder lost it");
    let attempts = s.delivery_attempts("acme", &first.id).unwrap();
    assert_eq!((attempts.len(), attempts[0].status), (1, DeliveryStatus::Sent));
    let sent = s.delivery("acme", &first.id).unwrap();
    assert_eq!((sent.provider_ref.as_deref(), sent.sent_at, sent.opened_at), (Some("m1"), Some(t0 + 1_000), None));
    // Opening is recorded for a sent e-mail only (this one is a letter or text: nothing changes).
    if sent.channel == fordra_core::domain::Channel::Email {
        assert!(s.mark_opened("acme", &first.id, t0 + 2_000).unwrap());
    } else {
        assert!(!s.mark_opened("acme", &first.id, t0 + 2_000).unwrap());
    }
}
both!(outbox_leases_and_outcomes);

/// Idempotency records: the first answer is kept and told again; a record past its keeping time
/// is replaced by the next request with its key; the sweep forgets old ones.
fn idempotency_records(url: &str) {
    use fordra_store::Idempotent;
    let mut s = Store::create(url).unwrap();
    assert_eq!(s.idempotency_begin("k1", "a", "h1", 100, 0).unwrap(), Idempotent::New);
    assert_eq!(
        s.idempotency_begin("k1", "a", "h1", 101, 0).unwrap(),
        Idempotent::InProgress { request_hash: "h1".into() }
    );
    s.idempotency_finish("k1", "a", 201, "{}").unwrap();
    let done = Idempotent::Done { request_hash: "h1".into(), status: 201, body: "{}".into() };
    assert_eq!(s.idempotency_begin("k1", "a", "h2", 102, 0).unwrap(), done);
    // Another API key has its own records.
    assert_eq!(s.idempotency_begin("k2", "a", "h2", 102, 0).unwrap(), Idempotent::New);
    // Kept from 101 on: the record of 100 has expired, the key is new again.
    assert_eq!(s.idempotency_begin("k1", "a", "h3", 200, 101).unwrap(), Idempotent::New);
    assert_eq!(s.idempotency_expire(150).unwrap(), 1, "k2's record of 102 is swept, k1's of 200 kept");
}
both!(idempotency_records);

/// The audit log names who made each change; prefixes match literally (an id with `_` or `%`
/// is no wildcard). Users and sessions: a session ends with its user's disabling.
fn audit_actors_users_and_sessions(url: &str) {
    let mut s = Store::create(url).unwrap();
    s.set_actor("user:ana@acme.test");
    s.audit("acme", "claim:A_1", "pause:hold", "x").unwrap();
    s.audit("acme", "claim:AB1", "pause:hold", "y").unwrap();
    s.set_actor("debtor:C%1");
    s.audit("acme", "claim:A_1", "pause:dispute", "z").unwrap();
    let by_ana = s.audit_recent("acme", "user:", "claim:A_1", 10).unwrap();
    assert_eq!(by_ana.len(), 1, "{by_ana:?}");
    assert_eq!((by_ana[0].actor.as_str(), by_ana[0].detail.as_str()), ("user:ana@acme.test", "x"));
    assert!(by_ana[0].at > 0);
    let debtors = s.audit_recent("acme", "debtor:C%", "", 10).unwrap();
    assert_eq!(debtors.len(), 1);
    assert!(s.audit_recent("acme", "debtor:C_", "", 10).unwrap().is_empty(), "`_` is no wildcard");
    let u = fordra_store::UserRow {
        id: "ana@acme.test".into(),
        creditor_id: Some("acme".into()),
        name: "Ana".into(),
        role: "advisor".into(),
        language: "sv".into(),
        created: 1,
        disabled: None,
    };
    s.upsert_user(&u, "$argon2id$hash").unwrap();
    s.insert_session("h1", "ana@acme.test", "csrf1", 100, 200).unwrap();
    let found = s.session("h1", 150).unwrap().unwrap();
    assert_eq!((found.user, found.csrf.as_str()), (u.clone(), "csrf1"));
    assert!(s.session("h1", 200).unwrap().is_none(), "expired");
    assert!(s.disable_user("ana@acme.test", 160).unwrap());
    assert!(s.session("h1", 150).unwrap().is_none(), "ended with its user");
    assert_eq!(s.user_with_hash("ana@acme.test").unwrap().unwrap().0.disabled, Some(160));
}
both!(audit_actors_users_and_sessions);

/// Issue #14: a day large enough to be written in bulk (multi-row INSERT on SQLite, COPY on
/// PostgreSQL, staged where repeated rows are skipped) writes every step, ledger entry and
/// delivery once, the same on both databases; a second write of the same decisions is refused
/// as a concurrent run and writes nothing.
fn large_day_is_written_in_bulk(url: &str) -> (usize, i64, usize) {
    let (mut s, law) = setup(url);
    let customers = ["normal", "risky", "firm", "vip", "late"];
    let rows: Vec<InvoiceRow> = (0..150)
        .map(|i| {
            let due = d("2024-04-01") + chrono::Duration::days(i as i64 % 20);
            inv(i + 2, &format!("b{i:03}"), customers[i % 5], &due.to_string(), 50_000 + i as i64 * 100, None)
        })
        .collect();
    s.import_invoices("acme", &law, &rows, "big.csv").unwrap();
    let day = d("2024-05-02");
    let r = s.run_day("acme", &law, day, false).unwrap();
    assert!(r.actions.len() >= 100, "a day of bulk size: {} steps", r.actions.len());
    let stored = s.actions_on("acme", day).unwrap();
    assert_eq!(stored.len(), r.actions.len(), "every step written once");
    let fees: i64 = r.actions.iter().map(|a| a.fee_total() + a.interest).sum();
    let mut posted = 0;
    for a in &r.actions {
        posted +=
            s.ledger("acme", &a.claim_id).unwrap().iter().filter(|e| e.date == day).map(|e| e.amount).sum::<i64>();
    }
    assert_eq!(posted, fees, "the day's fees and interest posted once");
    // The same decisions written again (as a second process would): refused, nothing written.
    let creditor = s.creditor("acme").unwrap();
    let j = law.jurisdiction(creditor.jurisdiction).unwrap();
    let again = r.clone();
    let e = s
        .write_tx("acme", |st| -> Result<(), fordra_store::StoreError> {
            st.apply_run(&creditor, j, day, &again, &vec![true; again.segments.len()])
        })
        .unwrap_err();
    assert!(e.to_string().contains("another run wrote the same steps"), "{e}");
    assert_eq!(s.actions_on("acme", day).unwrap().len(), r.actions.len(), "nothing more written");
    let deliveries = s.deliveries("acme", None, None).unwrap().len();
    assert!(deliveries > 0);
    (r.actions.len(), posted, deliveries)
}

#[test]
fn large_day_is_written_in_bulk_alike() {
    let sqlite = TestDb::sqlite();
    let a = large_day_is_written_in_bulk(&sqlite.url);
    if let Some(pg) = TestDb::postgres() {
        assert_eq!(large_day_is_written_in_bulk(&pg.url), a, "SQLite and PostgreSQL wrote the same");
    }
}

/// The model's kept scores stand until the customer's history changes: a new invoice, an
/// invoice settled (even with a paid date long before the day the scores were kept), a changed
/// credit score, or an invoice or payment dated since; a history import forgets them all.
fn kept_scores_are_forgotten_when_history_changes(url: &str) {
    let (mut s, law) = setup(url);
    let kept = |p: f64| fordra_store::KeptScore { p_late: Some(p), reasons: Some(vec!["late before".into()]) };
    let everyone = ["normal", "risky", "firm", "vip", "late"];
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, None)], "i.csv").unwrap();
    s.import_invoices("acme", &law, &[inv(2, "b", "risky", "2024-04-01", 100_000, None)], "j.csv").unwrap();
    // Nothing is marked while no scores are kept.
    assert_eq!(s.kept_scores_day("acme").unwrap(), None);
    let keep_all = |s: &mut Store, day: &str| {
        let all: Vec<_> = everyone.iter().map(|c| (c.to_string(), kept(0.25))).collect();
        s.keep_scores("acme", 3, d(day), &all).unwrap();
    };
    keep_all(&mut s, "2024-05-01");
    assert_eq!(s.kept_scores_day("acme").unwrap(), Some((3, d("2024-05-01"))));
    let left = |s: &mut Store, from: &str, to: &str| {
        let mut k: Vec<String> = s.kept_scores("acme", d(from), d(to)).unwrap().into_keys().collect();
        k.sort();
        k
    };
    let kept_now = s.kept_scores("acme", d("2024-05-01"), d("2024-05-02")).unwrap();
    assert_eq!(kept_now.get("vip"), Some(&kept(0.25)), "a score and its reasons read back exactly");
    // A new invoice (issued 2024-04-05, before the kept day), a claim reported paid on a day
    // before the kept day, a changed credit score: those customers' scores are forgotten.
    s.import_invoices("acme", &law, &[inv(2, "c", "firm", "2024-05-05", 100_000, None)], "k.csv").unwrap();
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, Some("2024-04-20"))], "l.csv")
        .unwrap();
    s.upsert_customers("acme", &[cust("risky", DebtorKind::Consumer, false, Some(55))]).unwrap();
    s.upsert_customers("acme", &[cust("vip", DebtorKind::Business, true, None)]).unwrap(); // unchanged
    assert_eq!(left(&mut s, "2024-05-01", "2024-05-02"), ["late", "vip"]);
    // Marks are taken once: kept again, the same customers stand.
    keep_all(&mut s, "2024-05-02");
    assert_eq!(left(&mut s, "2024-05-02", "2024-05-02").len(), 5);
    // Days passing over an invoice's date: `a` and `b` issued 2024-03-02, `c` 2024-04-05.
    keep_all(&mut s, "2024-03-01");
    assert_eq!(left(&mut s, "2024-03-01", "2024-03-10"), ["firm", "late", "vip"]);
    keep_all(&mut s, "2024-04-19");
    assert_eq!(left(&mut s, "2024-04-19", "2024-04-25"), ["firm", "late", "risky", "vip"], "paid on 2024-04-20");
    // A history import forgets every kept score.
    let h = fordra_core::history::HistInvoice {
        customer: "late".into(),
        invoice: "x1".into(),
        invoice_date: d("2023-01-01"),
        due_date: d("2023-01-31"),
        amount: 1000,
        paid_date: None,
        disputed: false,
        channel: None,
        credit_score: None,
        extra: vec![],
    };
    s.import_history("acme", &[(h, "SEK".into(), None)], "ar.csv").unwrap();
    assert_eq!(s.kept_scores_day("acme").unwrap(), None);
    assert!(s.kept_scores("acme", d("2024-04-19"), d("2024-04-19")).unwrap().is_empty());
}
both!(kept_scores_are_forgotten_when_history_changes);

/// Bulk imports leave PostgreSQL's planner with statistics of the rows they wrote, not of
/// the empty tables they found (without them the day's ledger is read by a nested loop per
/// claim): one large import analyzes as it copies; smaller ones, each below that, are analyzed
/// when the next run loads.
#[test]
fn bulk_imports_leave_statistics_for_the_planner() {
    let Some(pg) = TestDb::postgres() else { return };
    let counted = |table: &str| -> f64 {
        let mut c = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
        c.query_one("SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass($1)", &[&table]).unwrap().get(0)
    };
    let customers = ["normal", "risky", "firm", "vip", "late"];
    let rows = |from: usize, n: usize| -> Vec<InvoiceRow> {
        (from..from + n)
            .map(|i| inv(i + 2, &format!("b{i}"), customers[i % 5], "2024-06-01", 10_000 + i as i64, None))
            .collect()
    };
    // One import of 12 000: analyzed as it copies.
    let (mut s, law) = setup(&pg.url);
    s.import_invoices("acme", &law, &rows(0, 12_000), "big.csv").unwrap();
    assert!(counted("claims") >= 12_000.0, "claims after one large import: {}", counted("claims"));
    // Then 3 × 5 000 more: none large enough alone; the run's load finds the claims table
    // changed more than it was counted and analyzes it.
    for k in 0..3 {
        s.import_invoices("acme", &law, &rows(12_000 + k * 5_000, 5_000), &format!("part{k}.csv")).unwrap();
    }
    drop(s);
    let mut c = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
    let changed = |c: &mut postgres::Client| -> i64 {
        c.query_one("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'claims'", &[]).unwrap().get(0)
    };
    // The server counts a connection's changes when it goes idle or ends: wait for that.
    for _ in 0..100 {
        if changed(&mut c) >= 15_000 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if changed(&mut c) < 15_000 {
        eprintln!("skipping the run's half: the claims were analyzed (by autovacuum) before the run");
        return;
    }
    assert!(counted("claims") < 27_000.0);
    let mut s = Store::open(&pg.url).unwrap();
    s.set_today(d("2024-06-30"));
    s.run_day("acme", &law, d("2024-06-30"), false).unwrap();
    assert!(counted("claims") >= 27_000.0, "claims after the run: the planner counts {}", counted("claims"));
}

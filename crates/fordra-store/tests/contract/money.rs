//! Issue #8, "money stays right": one test per defect found, on both databases. Each failed
//! before the ledger of record and the locked write transactions.

use super::{cust, d, inv, pay, setup, UseCases};
use chrono::NaiveDate;
use fordra_app::booking::{FileItem, Reversal, ReversalTarget};
use fordra_core::domain::{DebtorKind, JurisdictionCode, PauseKind};
use fordra_core::law::LawBook;
use fordra_core::matching::Incoming;
use fordra_store::{Store, StoreError};

fn total(s: &mut Store, claim: &str) -> i64 {
    s.balances("acme", claim, NaiveDate::MAX).unwrap().total()
}

/// Ledger sums per claim, kind and component: what two orders of the same facts must agree on.
fn ledger_of(s: &mut Store, claims: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for c in claims {
        let mut sums: std::collections::BTreeMap<(String, Option<String>), i64> = Default::default();
        for e in s.ledger("acme", c).unwrap() {
            *sums.entry((e.kind, e.component)).or_default() += e.amount;
        }
        out.push(format!(
            "{c}: {:?} {:?}",
            sums.into_iter().filter(|(_, v)| *v != 0).collect::<Vec<_>>(),
            s.claim("acme", c).unwrap().status
        ));
    }
    out
}

fn bank(key: &str, date: &str, amount: i64, refs: &[&str]) -> Incoming {
    Incoming {
        key: key.into(),
        date: d(date),
        amount,
        currency: "SEK".into(),
        references: refs.iter().map(|s| s.to_string()).collect(),
        text: vec![],
        payer: None,
        claim: None,
        line: 1,
        account: None,
    }
}

fn import(
    s: &mut Store,
    law: &LawBook,
    name: &str,
    items: Vec<FileItem>,
) -> Result<fordra_app::booking::BankImport, fordra_app::AppError> {
    s.import_bank_payments("acme", law, "test", name, name, &mut items.into_iter().map(Ok), false)
}

/// Case 2: a payment dated before an earlier run charged interest twice and left a fee and a
/// credit behind; the two orders of the same run and payment gave different balances. Now both
/// orders give the same ledger: the late payment corrects the interest posted past its date and
/// reverses the fees of steps it would have prevented, with correcting entries.
fn late_payment_gives_the_in_time_ledger(url: &str) {
    // Each order on a fresh database of the same kind.
    let fresh = || if url.starts_with("postgres") { crate::TestDb::postgres() } else { Some(crate::TestDb::sqlite()) };
    let scenario = |payment_first: bool, amount: i64| {
        let db = fresh().expect("a database of the kind this test runs on");
        let (mut s, law) = setup(&db.url);
        s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-03-15", 2_500_000, None)], "i.csv").unwrap();
        let payment = [pay(2, "p1", "a", "2024-03-20", amount)];
        if payment_first {
            s.book_payments("acme", &law, &payment, "bank.csv").unwrap();
        }
        s.run_day("acme", &law, d("2024-03-22"), false).unwrap();
        s.run_day("acme", &law, d("2024-04-04"), false).unwrap();
        if !payment_first {
            s.book_payments("acme", &law, &payment, "bank.csv").unwrap();
        }
        let before = s.ledger("acme", "a").unwrap().len();
        // Nothing left to correct: the ledger is the ledger of record.
        let c = s.creditor("acme").unwrap();
        let j = law.jurisdiction(JurisdictionCode::SE).unwrap();
        assert!(s.pending_corrections(&c, j, &["normal".to_string()]).unwrap().is_empty());
        assert_eq!(s.ledger("acme", "a").unwrap().len(), before);
        (ledger_of(&mut s, &["a"]), total(&mut s, "a"))
    };
    // 25 000 SEK due 2024-03-15, 12 %: interest 03-16..03-20 = 25 000 × 0.12 × 5 / 365 = 41.10.
    for amount in [1_000_000, 2_504_110] {
        let in_time = scenario(true, amount);
        let late = scenario(false, amount);
        assert_eq!(in_time, late, "payment of {amount} in time and late");
    }
    // Paid in full before the reminder: nothing is owed in either order, no fee stands.
    let (ledger, open) = scenario(false, 2_504_110);
    assert_eq!(open, 0, "{ledger:?}");
    assert!(!ledger[0].contains("fee:"), "{ledger:?}");
}
both!(late_payment_gives_the_in_time_ledger);

/// Case 1: a run racing a payment import acted on claims paid meanwhile. The run now holds the
/// creditor's lock from its first read: an import started during the run waits for it, and the
/// result is the serial one (the run, then the payment).
fn a_payment_import_during_a_run_waits_for_it(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-03-15", 1_000_000, None)], "i.csv").unwrap();
    let url2 = url.to_string();
    let law2 = law.clone();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let importer = std::thread::spawn(move || {
        let mut s2 = Store::open(&url2).unwrap();
        s2.set_today(d("2024-06-30"));
        started_rx.recv().unwrap();
        let t = std::time::Instant::now();
        // 10 000 + 6 days at 12 % (10 000 × 0.12 × 6 / 365 = 19.73): exactly what was due on 03-21.
        let r = s2.book_payments("acme", &law2, &[pay(2, "p1", "a", "2024-03-21", 1_001_973)], "bank.csv").unwrap();
        (r[0].status, t.elapsed())
    });
    let r = s
        .write_tx("acme", |s| {
            started_tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(400));
            s.run_day("acme", &law, d("2024-03-22"), false)
        })
        .unwrap();
    let (status, waited) = importer.join().unwrap();
    assert_eq!(r.actions.len(), 1, "the run saw the claim unpaid: the import had to wait");
    assert!(waited >= std::time::Duration::from_millis(300), "the import waited for the run ({waited:?})");
    assert_eq!(status, "settled");
    // The serial result: the reminder was sent, the payment dated before it settled the claim,
    // so the reminder's fee and interest after the payment day are reversed.
    assert_eq!(total(&mut s, "a"), 0);
    let c = s.claim("acme", "a").unwrap();
    assert_eq!((c.status.as_str(), c.settled_date), ("paid", Some(d("2024-03-21"))));
    let aging = fordra_core::report::aging(&s.report_data("acme", d("2024-03-25")).unwrap().1, d("2024-03-25"));
    assert!(aging.iter().all(|b| b.claims == 0), "a paid claim is not in aging: {aging:?}");
}
both!(a_payment_import_during_a_run_waits_for_it);

/// Case 3: the same date run twice created actions, fees and segment changes the second time.
fn the_same_run_twice_changes_nothing(url: &str) {
    let (mut s, law) = setup(url);
    let rows = [inv(2, "a", "late", "2024-03-15", 100_000, None), inv(3, "b", "late", "2024-04-10", 100_000, None)];
    s.import_invoices("acme", &law, &rows, "i.csv").unwrap();
    s.run_day("acme", &law, d("2024-03-22"), false).unwrap();
    // The reminder's deadline (2024-04-02, after Easter Monday) passed: collection today, which
    // must not make the customer Risk today (collection_cases = 1).
    let first = s.run_day("acme", &law, d("2024-04-04"), false).unwrap();
    assert!(first.actions.iter().any(|a| a.kind == fordra_core::domain::StepKind::Collection), "{:?}", first.actions);
    let entries = s.ledger_totals("acme").unwrap();
    let again = s.run_day("acme", &law, d("2024-04-04"), false).unwrap();
    assert!(again.actions.is_empty(), "{:?}", again.actions);
    assert_eq!(again.segment_changes().count(), 0);
    assert_eq!(s.ledger_totals("acme").unwrap(), entries);
}
both!(the_same_run_twice_changes_nothing);

/// Case 4: a payment id reused with another amount, date or invoice was dropped as a duplicate,
/// also inside one file. Now it is refused, naming the line; the same payment again is a duplicate.
fn a_reused_payment_id_with_other_data_is_refused(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices(
        "acme",
        &law,
        &[inv(2, "a", "normal", "2024-04-01", 100_000, None), inv(3, "b", "normal", "2024-04-01", 100_000, None)],
        "i.csv",
    )
    .unwrap();
    let e = s
        .book_payments(
            "acme",
            &law,
            &[pay(2, "p1", "a", "2024-04-02", 500), pay(3, "p1", "a", "2024-04-02", 700)],
            "in.csv",
        )
        .unwrap_err()
        .to_string();
    assert_eq!(e, "in.csv: line 3: column id: payment 'p1' is already on line 2 of this file with other data (invoice a, amount 5.00, date 2024-04-02)");
    s.book_payments("acme", &law, &[pay(2, "p1", "a", "2024-04-02", 500)], "one.csv").unwrap();
    let e = s.book_payments("acme", &law, &[pay(2, "p1", "b", "2024-04-02", 500)], "two.csv").unwrap_err().to_string();
    assert!(
        e.starts_with("two.csv: line 2: column id: payment 'p1' was already booked with other data (invoice a,"),
        "{e}"
    );
    let dup = s.book_payments("acme", &law, &[pay(2, "p1", "a", "2024-04-02", 500)], "three.csv").unwrap();
    assert_eq!(dup[0].status, "duplicate");
    // The same through a bank file: a key seen with another fingerprint is refused.
    let mut p = bank("csv:x1", "2024-04-02", 500, &[]);
    p.claim = Some("b".into());
    import(&mut s, &law, "f1.csv", vec![FileItem::Payment(p.clone())]).unwrap();
    p.amount = 900;
    let e = import(&mut s, &law, "f2.csv", vec![FileItem::Payment(p)]).unwrap_err().to_string();
    assert!(e.contains("payment id csv:x1 was imported before from f1.csv with other data"), "{e}");
}
both!(a_reused_payment_id_with_other_data_is_refused);

/// Case 5: two invoices of one creditor could share a reference, and one debtor's payment then
/// settled another's claim. A reference already used is refused at import.
fn a_reference_is_never_shared(url: &str) {
    let (mut s, law) = setup(url);
    let mut a = inv(2, "a", "normal", "2024-04-01", 100_000, None);
    a.reference = Some("1230".into());
    let mut b = inv(3, "b", "firm", "2024-04-01", 100_000, None);
    b.reference = Some("12 30".into());
    let e = s.import_invoices("acme", &law, &[a.clone(), b.clone()], "i.csv").unwrap_err().to_string();
    assert_eq!(
        e,
        "i.csv: line 3: column reference: 1230 is already the reference of invoice 'a'; each invoice needs its own, or a payment could settle the wrong claim"
    );
    s.import_invoices("acme", &law, &[a], "i.csv").unwrap();
    assert!(s.import_invoices("acme", &law, &[b], "j.csv").is_err(), "also against claims imported before");
}
both!(a_reference_is_never_shared);

/// Case 6: a camt reversal reversed unrelated payments: a LIKE over the bank key treated `_` as
/// a wildcard. Bookings are found by their exact key.
fn a_reversal_reverses_only_its_own_payment(url: &str) {
    let (mut s, law) = setup(url);
    let mut rows = vec![
        inv(2, "a", "normal", "2024-04-01", 50_000, None),
        inv(3, "b", "normal", "2024-04-01", 50_000, None),
        inv(4, "c", "firm", "2024-04-01", 50_000, None),
        inv(5, "e", "firm", "2024-04-01", 50_000, None),
    ];
    for (r, x) in rows.iter_mut().zip(["10013", "10021", "10039", "10047"]) {
        r.reference = Some(x.into());
    }
    s.import_invoices("acme", &law, &rows, "i.csv").unwrap();
    // Two payments, each split over two claims (key#1, key#2); "T_1" and "TA1" differ only where
    // `_` would match any character.
    let items = vec![
        FileItem::Payment(bank("T_1", "2024-03-20", 100_000, &["10013", "10021"])),
        FileItem::Payment(bank("TA1", "2024-03-20", 100_000, &["10039", "10047"])),
    ];
    import(&mut s, &law, "f1", items).unwrap();
    for c in ["a", "b", "c", "e"] {
        assert_eq!(total(&mut s, c), 0, "{c}");
    }
    let rev = Reversal { key: "R1".into(), line: 1, date: d("2024-03-25"), target: ReversalTarget::Key("T_1".into()) };
    let r = import(&mut s, &law, "f2", vec![FileItem::Reversal(rev)]).unwrap();
    assert_eq!(r.payments[0].claims, vec![("a".to_string(), 50_000), ("b".to_string(), 50_000)]);
    assert_eq!((total(&mut s, "a"), total(&mut s, "b")), (50_000, 50_000));
    assert_eq!((total(&mut s, "c"), total(&mut s, "e")), (0, 0), "TA1 is untouched");
}
both!(a_reversal_reverses_only_its_own_payment);

/// Case 7: a EUR payment for a SEK invoice was booked as SEK. Named directly or by reference,
/// it is queued with the reason; booked directly it is refused.
fn a_payment_in_another_currency_is_never_booked(url: &str) {
    let (mut s, law) = setup(url);
    let mut a = inv(2, "a", "normal", "2024-04-01", 100_000, None);
    a.reference = Some("10013".into());
    s.import_invoices("acme", &law, &[a], "i.csv").unwrap();
    let mut p = bank("csv:e1", "2024-04-02", 100_000, &[]);
    p.currency = "EUR".into();
    p.claim = Some("a".into());
    let mut q = bank("csv:e2", "2024-04-02", 100_000, &["10013"]);
    q.currency = "EUR".into();
    let r = import(&mut s, &law, "eur.csv", vec![FileItem::Payment(p), FileItem::Payment(q)]).unwrap();
    assert_eq!(r.payments.iter().map(|x| x.status.as_str()).collect::<Vec<_>>(), vec!["unmatched", "unmatched"]);
    assert_eq!(r.payments[0].how, "invoice a named in the file is in SEK, the payment in EUR");
    assert_eq!(total(&mut s, "a"), 100_000);
    let mut eur = pay(2, "p1", "a", "2024-04-02", 100_000);
    eur.currency = fordra_core::money::Currency::EUR;
    assert!(s
        .book_payments("acme", &law, &[eur], "x.csv")
        .unwrap_err()
        .to_string()
        .contains("payment in EUR for an invoice in SEK"));
    let key = s.unmatched_payments("acme").unwrap()[0].key.clone();
    assert!(s.assign_payment("acme", &law, &key, "a").unwrap_err().to_string().contains("is in EUR, claim a in SEK"));
}
both!(a_payment_in_another_currency_is_never_booked);

/// Cases 8 and 10: an invoice of 92 233 720 368 547 758.07 was accepted and turned negative;
/// a payment dated 9999 posted 797 854.79 of interest on 1 000. Both are refused at the store too.
fn absurd_amounts_and_dates_are_refused(url: &str) {
    let (mut s, law) = setup(url);
    let e = s
        .import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", i64::MAX, None)], "i.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "i.csv: line 2: column amount: 92233720368547758.07 is above the limit 10000000000.00");
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, None)], "i.csv").unwrap();
    let e =
        s.book_payments("acme", &law, &[pay(2, "p1", "a", "9999-01-01", 100_000)], "p.csv").unwrap_err().to_string();
    assert_eq!(e, "p.csv: line 2: column date: 9999-01-01 is outside 2000-01-01..2099-12-31");
    // today is 2024-06-30 in these tests: a payment dated in 2062 has not happened.
    let e =
        s.book_payments("acme", &law, &[pay(2, "p1", "a", "2062-11-24", 100_000)], "p.csv").unwrap_err().to_string();
    assert_eq!(e, "p.csv: line 2: column date: 2062-11-24 is more than 7 days after today (2024-06-30)");
    assert_eq!(total(&mut s, "a"), 100_000);
}
both!(absurd_amounts_and_dates_are_refused);

/// Case 10: `run --date 2062-11-24` (a typo) posted 36 years of interest and blocked every
/// later real run. Refused unless allowed, and a run can be reverted.
fn a_run_in_the_future_is_refused_and_the_latest_run_can_be_reverted(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, None)], "i.csv").unwrap();
    s.run_day("acme", &law, d("2024-04-08"), false).unwrap();
    let sums = |s: &mut Store| s.ledger_totals("acme").unwrap().into_iter().filter(|t| t.2 != 0).collect::<Vec<_>>();
    let fees = sums(&mut s);
    let e = s.run_day("acme", &law, d("2062-11-24"), false).unwrap_err().to_string();
    assert!(e.starts_with("run date: 2062-11-24 is more than 7 days after today (2024-06-30)"), "{e}");
    s.run_day_with("acme", &law, d("2062-11-24"), false, true).unwrap();
    assert!(s
        .run_day("acme", &law, d("2024-06-30"), false)
        .unwrap_err()
        .to_string()
        .contains("a run for 2062-11-24 is already recorded"));
    let e = s.revert_latest_run("acme", &law, d("2024-04-08"), "wrong date").unwrap_err().to_string();
    assert_eq!(e, "the latest run is 2062-11-24: only the latest run can be reverted");
    let r = s.revert_latest_run("acme", &law, d("2062-11-24"), "typo: 2026 was meant").unwrap();
    assert_eq!(r.actions, 1);
    assert_eq!(sums(&mut s), fees, "the reverted run's interest and fee are reversed");
    let reverted = s.actions_of_claim("acme", "a").unwrap();
    assert_eq!(reverted[1].reverted.as_deref(), Some("run 2062-11-24 reverted: typo: 2026 was meant"));
    // Real runs go on; the next step gets a new number.
    let r = s.run_day("acme", &law, d("2024-04-20"), false).unwrap();
    assert_eq!((r.actions[0].kind, r.actions[0].seq), (fordra_core::domain::StepKind::Collection, 3));
    assert!(s.audit_log("acme").unwrap().iter().any(|(subject, event, detail)| subject == "run:2062-11-24"
        && event == "reverted"
        && detail == "typo: 2026 was meant"));
}
both!(a_run_in_the_future_is_refused_and_the_latest_run_can_be_reverted);

/// Case 12: `pause add --plan-fee` charged 170 SEK each time it was run.
fn the_same_pause_twice_charges_once(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, None)], "i.csv").unwrap();
    let add = |s: &mut Store| {
        s.add_pause(
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
        .unwrap()
    };
    let first = add(&mut s);
    assert_eq!(first.1, 17000, "SE payment plan fee cap, 1981:739 4 § p.3");
    assert_eq!(add(&mut s), first, "the same pause, the same fee, nothing new");
    assert_eq!(s.pauses("acme").unwrap().len(), 1);
    // A second plan on the same claim carries no second fee.
    let (_, fee) = s
        .add_pause(
            "acme",
            &law,
            Some("a"),
            None,
            PauseKind::PaymentPlan,
            d("2024-05-05"),
            Some(d("2024-07-30")),
            "new plan",
            true,
            None,
        )
        .unwrap();
    assert_eq!(fee, 0);
    assert_eq!(s.balances("acme", "a", NaiveDate::MAX).unwrap().fees, 17000);
}
both!(the_same_pause_twice_charges_once);

/// Case 13: `creditor add` on an existing id overwrote it (SE/SEK became FI/EUR under its claims).
/// The rule is the application layer's (fordra-app tests); the store answers whether claims exist
/// and finds a creditor without calling its absence an error.
fn an_existing_creditor_is_never_overwritten(url: &str) {
    let (mut s, law) = setup(url);
    assert!(s.find_creditor("acme").unwrap().is_some());
    assert!(s.find_creditor("ghost").unwrap().is_none());
    assert!(!s.has_claims("acme").unwrap());
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-04-01", 100_000, None)], "i.csv").unwrap();
    assert!(s.has_claims("acme").unwrap());
    assert!(
        matches!(s.run_day("ghost", &law, d("2024-04-02"), false), Err(e @ fordra_app::AppError::NotFound { .. }) if e.to_string() == "no creditor 'ghost'")
    );
}
both!(an_existing_creditor_is_never_overwritten);

#[test]
fn a_missing_database_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db").display().to_string();
    assert!(
        matches!(Store::open(&path), Err(e @ StoreError::NotFound { .. }) if e.to_string().starts_with("no database at"))
    );
    assert!(!dir.path().join("typo.db").exists(), "nothing created");
    drop(Store::create(&path).unwrap());
    assert!(Store::open(&path).is_ok());
}

/// Case 14: `payments assign` booked a payment as customer credit (1 000.00 to a claim with
/// 1 049.92 open said "overpaid"). It is a payment of the claim, allocated as of its date.
fn an_assigned_payment_pays_the_claim(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices("acme", &law, &[inv(2, "a", "normal", "2024-03-15", 100_000, None)], "i.csv").unwrap();
    s.run_day("acme", &law, d("2024-03-22"), false).unwrap();
    let r =
        import(&mut s, &law, "f1", vec![FileItem::Payment(bank("k1", "2024-03-28", 100_000, &["nothing"]))]).unwrap();
    assert_eq!(r.payments[0].status, "unmatched");
    let open = total(&mut s, "a");
    assert!(open > 100_000, "reminder fee and interest: {open}");
    let a = s.assign_payment("acme", &law, "k1", "a").unwrap();
    assert_eq!(a.status, "partly matched");
    assert_eq!(s.customer_credit("acme", "normal").unwrap(), 0, "nothing went to credit");
    assert!(total(&mut s, "a") > 0 && total(&mut s, "a") < 10_000, "{}", total(&mut s, "a"));
    assert_eq!(
        s.assign_payment("acme", &law, "k1", "a").unwrap().status,
        "assigned",
        "assigning again changes nothing"
    );
    // A payment dated before the invoice counts from the invoice date: a prepayment.
    s.import_invoices("acme", &law, &[inv(3, "b", "firm", "2024-05-15", 50_000, None)], "j.csv").unwrap();
    import(&mut s, &law, "f2", vec![FileItem::Payment(bank("k2", "2024-04-01", 50_000, &["nothing"]))]).unwrap();
    assert_eq!(s.assign_payment("acme", &law, "k2", "b").unwrap().status, "matched");
    assert_eq!(s.claim("acme", "b").unwrap().settled_date, Some(d("2024-04-15")), "settled on its invoice date");
}
both!(an_assigned_payment_pays_the_claim);

/// Case 15: leftovers were dunned forever and a credit lay idle while fees were charged.
/// A leftover below the tolerance is written off; a credit can be refunded.
fn leftovers_are_written_off_and_credit_refunded(url: &str) {
    let (mut s, law) = setup(url);
    s.import_invoices(
        "acme",
        &law,
        &[inv(2, "a", "normal", "2024-03-15", 100_000, None), inv(3, "b", "firm", "2024-03-15", 100_000, None)],
        "i.csv",
    )
    .unwrap();
    // 999.50 paid on the due date: 0.50 left, below 1 SEK: written off, never dunned.
    s.book_payments(
        "acme",
        &law,
        &[pay(2, "p1", "a", "2024-03-15", 99_950), pay(3, "p2", "b", "2024-03-10", 130_000)],
        "bank.csv",
    )
    .unwrap();
    assert_eq!(s.claim("acme", "a").unwrap().status, fordra_core::domain::ClaimStatus::Paid);
    let w = s.ledger("acme", "a").unwrap().into_iter().find(|e| e.kind == "write_off").unwrap();
    assert_eq!((w.amount, w.date), (-50, d("2024-03-15")));
    assert!(s.run_day("acme", &law, d("2024-04-20"), false).unwrap().actions.iter().all(|x| x.claim_id != "a"));
    assert_eq!(s.customer_credit("acme", "firm").unwrap(), 30_000);
    let e = s.refund("acme", &law, "firm", 40_000, None, d("2024-04-21"), "bank transfer").unwrap_err().to_string();
    assert_eq!(e, "customer 'firm' has 300.00 SEK of credit, less than the 400.00 asked for");
    assert_eq!(s.refund("acme", &law, "firm", 30_000, None, d("2024-04-21"), "bank transfer").unwrap().1, 0);
    assert_eq!(s.customer_credit("acme", "firm").unwrap(), 0);
}
both!(leftovers_are_written_off_and_credit_refunded);

/// Case 18: PostgreSQL returned raw errors for NUL bytes and 1 MB ids that SQLite accepted.
/// Both refuse them alike, before storing.
fn both_databases_refuse_the_same_values(url: &str) {
    let (mut s, _) = setup(url);
    let nul = s.import_customers("acme", &[cust("a\0b", DebtorKind::Consumer, false, None)]).unwrap_err().to_string();
    assert_eq!(nul, "customer id: contains the control character U+0000");
    let long = s
        .import_customers("acme", &[cust(&"x".repeat(1_000_000), DebtorKind::Consumer, false, None)])
        .unwrap_err()
        .to_string();
    assert_eq!(long, "customer id: 1000000 characters, at most 64 allowed");
    let twice = s
        .import_customers(
            "acme",
            &[cust("k", DebtorKind::Consumer, false, None), cust("k", DebtorKind::Business, false, None)],
        )
        .unwrap_err()
        .to_string();
    assert_eq!(twice, "customers.csv: customer 'k' appears twice (rows 1 and 2)");
}
both!(both_databases_refuse_the_same_values);

/// Conservation: every item of a bank file ends booked, queued, refused or duplicate, and the
/// sums per status add up to the file's.
fn every_item_of_a_bank_file_is_accounted_for(url: &str) {
    let (mut s, law) = setup(url);
    let mut a = inv(2, "a", "normal", "2024-04-01", 100_000, None);
    a.reference = Some("10013".into());
    s.import_invoices("acme", &law, &[a], "i.csv").unwrap();
    let items = vec![
        FileItem::Payment(bank("k1", "2024-04-02", 60_000, &["10013"])),
        FileItem::Payment(bank("k2", "2024-04-02", 7_000, &["99999"])),
        FileItem::Refused {
            key: "k3".into(),
            line: 3,
            date: d("2024-04-02"),
            amount: -5_000,
            currency: "SEK".into(),
            reason: "deduction".into(),
        },
        FileItem::Payment(bank("k1", "2024-04-02", 60_000, &["10013"])),
    ];
    let r = import(&mut s, &law, "f1", items).unwrap();
    let sum: i64 = r.totals.iter().map(|t| t.amount).sum();
    let count: usize = r.totals.iter().map(|t| t.count).sum();
    assert_eq!((count, sum), (4, 60_000 + 7_000 - 5_000 + 60_000));
    assert_eq!(r.file_total, vec![("SEK".to_string(), sum)]);
    assert_eq!(
        r.payments.iter().map(|p| p.status.as_str()).collect::<Vec<_>>(),
        vec!["partly matched", "unmatched", "refused", "duplicate"]
    );
}
both!(every_item_of_a_bank_file_is_accounted_for);

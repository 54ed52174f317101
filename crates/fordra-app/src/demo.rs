//! `fordra demo`: a Swedish demo creditor with a synthetic portfolio whose customers have hidden
//! payer behaviour, a year of invoice history, and the last days simulated day by day: invoices
//! issued, payments arriving as each payer type reacts to reminders, demands and calls, and the
//! daily run deciding every step.

use crate::outbox::DeliverReport;
use crate::{App, AppError, CreditorId, Result};
use chrono::{Datelike, Duration, NaiveDate};
use fordra_core::calendar::Country;
use fordra_core::domain::{Channel, DebtorKind, JurisdictionCode, StepKind};
use fordra_core::model::Policy;
use fordra_core::money::Currency;
use fordra_core::report::{self, SegmentFigures};
use fordra_core::run::Creditor;
use fordra_core::strategy::ExperimentReport;
use fordra_store::{CustomerRow, InvoiceRow, PaymentRow};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The demo creditor's id.
pub const DEMO_CREDITOR: &str = "demo";

/// The demo asked for.
#[derive(Clone, Debug)]
pub struct DemoInput {
    /// Number of customers.
    pub customers: usize,
    /// Days to simulate, ending on `end`.
    pub days: i64,
    /// Random seed: the same seed and dates give the same portfolio and results.
    pub seed: u64,
    /// The last simulated day.
    pub end: NaiveDate,
    /// Leave out the strategy lab.
    pub no_lab: bool,
}

/// What the demo built and how its days went.
#[derive(Clone, Debug, Serialize)]
pub struct DemoOut {
    /// The database (filled in by the adapter).
    pub db: String,
    /// The demo creditor.
    pub creditor: &'static str,
    /// First simulated day.
    pub from: NaiveDate,
    /// Last simulated day.
    pub to: NaiveDate,
    /// Customers.
    pub customers: usize,
    /// Invoices in all.
    pub invoices: usize,
    /// Invoices in the history before the simulation.
    #[serde(skip)]
    pub history_invoices: usize,
    /// Payments booked.
    pub payments: usize,
    /// Steps taken.
    pub actions: usize,
    /// Segment changes.
    pub segment_changes: usize,
    /// Outcomes of invoices issued since a month before the start, per segment.
    pub segments: Vec<SegmentFigures>,
    /// What the outbox did with the simulated days' messages (with a courier).
    pub deliveries: Option<crate::outbox::DeliverReport>,
    /// What the lab's model was trained on.
    pub model: Option<String>,
    /// Invoices nudged before due.
    pub nudges: usize,
    /// The experiment's report.
    pub experiment: Option<ExperimentReport>,
    /// Each customer's hidden payer type (customer, type), to check the model against.
    #[serde(skip)]
    pub truth: Vec<(String, &'static str)>,
    /// What the demo should say beside the figures.
    #[serde(skip)]
    pub notes: Vec<String>,
}

/// The demo's experiment: in the Normal segment, a reminder by text three days after due
/// instead of a letter after seven.
pub const DEMO_EXPERIMENT: &str = "early-text";

/// Hidden payer behaviour: the engine never sees it, only its effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payer {
    /// Pays on time or a reminder away.
    Prompt,
    /// Pays a few days late, at once when reminded.
    Forgetful,
    /// Pays weeks late; a demand helps.
    Slow,
    /// Pays part, late; needs collection or legal action.
    Distressed,
    /// Rarely pays at all.
    Defaulter,
}

impl Payer {
    fn name(self) -> &'static str {
        match self {
            Payer::Prompt => "prompt",
            Payer::Forgetful => "forgetful",
            Payer::Slow => "slow",
            Payer::Distressed => "distressed",
            Payer::Defaulter => "defaulter",
        }
    }
    fn draw(rng: &mut ChaCha8Rng) -> Payer {
        match rng.gen_range(0..100) {
            0..=54 => Payer::Prompt,
            55..=76 => Payer::Forgetful,
            77..=89 => Payer::Slow,
            90..=96 => Payer::Distressed,
            _ => Payer::Defaulter,
        }
    }
    fn score_mean(self) -> f64 {
        match self {
            Payer::Prompt => 75.0,
            Payer::Forgetful => 65.0,
            Payer::Slow => 50.0,
            Payer::Distressed => 28.0,
            Payer::Defaulter => 18.0,
        }
    }
    /// Days after due the payer pays when nobody reminds them (None: never).
    fn base_delay(self, rng: &mut ChaCha8Rng) -> Option<i64> {
        match self {
            Payer::Prompt => Some(rng.gen_range(-10..=1)),
            Payer::Forgetful => Some(rng.gen_range(2..=16)),
            Payer::Slow => Some(rng.gen_range(20..=75)),
            Payer::Distressed => rng.gen_bool(0.6).then(|| rng.gen_range(45..=150)),
            Payer::Defaulter => None,
        }
    }
    /// How the payer reacts to a step: (probability, min days, max days, share paid in percent).
    /// At least a day: the day's payments are booked before its run, so a payment planned for
    /// the day of the step would never arrive. A letter takes about two days in the post (Swedish
    /// letters have had two-day delivery since 2018), so its debtor acts from the third.
    /// Reminders work differently by channel and send hour: forgetful and slow payers act on a
    /// text (with its payment link) far sooner than on a letter; consumers read e-mails and texts in the evening,
    /// businesses in the morning (a message without a send hour goes out at 10:00).
    /// A firm wording (the deadline and what follows it) moves slow payers, who put off what
    /// has no date: they act on a firm reminder a quarter more often. Forgetful payers, who
    /// meant to pay anyway, take it amiss and act on it a fifth less often.
    /// Slow consumers are short of money before payday: they act on a reminder that reaches them
    /// within four days after payday (`flush`) 1.6 times as often, on one at other times 0.88
    /// times (so over a month about as often as without payday: five days in thirty are flush).
    fn reaction(
        self,
        step: StepKind,
        channel: Channel,
        hour: Option<u32>,
        business: bool,
        firm: bool,
        flush: bool,
    ) -> Option<(f64, i64, i64, i64)> {
        let r = self.reaction_to(step, channel, hour, business)?;
        let wording = match (firm, self, step) {
            (true, Payer::Slow, StepKind::Reminder) => 1.25,
            (true, Payer::Forgetful, StepKind::Reminder) => 0.8,
            _ => 1.0,
        };
        let money = match (flush, self, step, business) {
            (true, Payer::Slow, StepKind::Reminder, false) => 1.6,
            (false, Payer::Slow, StepKind::Reminder, false) => 0.88,
            _ => 1.0,
        };
        Some(((r.0 * wording * money).min(0.95), r.1, r.2, r.3))
    }

    fn reaction_to(
        self,
        step: StepKind,
        channel: Channel,
        hour: Option<u32>,
        business: bool,
    ) -> Option<(f64, i64, i64, i64)> {
        use StepKind::*;
        let evening = hour.unwrap_or(10) >= 16;
        let read = if evening != business { 1.0 } else { 0.5 };
        Some(match (self, step, channel) {
            (_, PhoneCall, _) if self != Payer::Defaulter => (0.85, 1, 5, 100),
            (Payer::Forgetful, PreDue, _) => (0.85, 1, 6, 100),
            (Payer::Prompt, Reminder, Channel::Letter) => (0.95, 3, 6, 100),
            (Payer::Prompt, Reminder, _) => (0.95 * (0.6 + 0.4 * read), 1, 3, 100),
            (Payer::Forgetful, Reminder, Channel::Sms) => (0.95 * read, 1, 2, 100),
            (Payer::Forgetful, Reminder, Channel::Email) => (0.85 * read, 1, 3, 100),
            (Payer::Forgetful, Reminder, _) => (0.6, 3, 8, 100),
            (Payer::Slow, Reminder, Channel::Sms) => (0.8 * read, 1, 3, 100),
            (Payer::Slow, Reminder, Channel::Letter) => (0.35, 3, 8, 100),
            (Payer::Slow, Reminder, _) => (0.2 * read, 1, 5, 100),
            (Payer::Slow | Payer::Forgetful, Collection, _) => (0.85, 3, 10, 100),
            (Payer::Distressed, Collection, _) => (0.5, 5, 14, 50),
            (Payer::Distressed, Legal, _) => (0.4, 5, 20, 100),
            (Payer::Defaulter, Collection | Legal, _) => (0.1, 5, 20, 100),
            _ => return None,
        })
    }
}

/// The strategy lab at the start of the simulation: a payment-behaviour model trained on the
/// year of history, Risk for customers it gives a 70 % chance of paying late, a text before due
/// for invoices it gives 50 %, and an experiment in the Normal segment.
/// None (and a note) when the portfolio is too small to train on.
fn start_lab(app: &mut App<'_>, start: NaiveDate, notes: &mut Vec<String>) -> Result<Option<String>> {
    let store = &mut *app.store;
    let history = crate::predict::history(store, DEMO_CREDITOR)?;
    let mut model = match fordra_ml::model::Model::train(&history, start, 10, 30) {
        Ok(m) => m,
        Err(e) => {
            notes.push(format!("no payment-behaviour model in this demo: {e}"));
            return Ok(None);
        }
    };
    app.store_new_version(&CreditorId(DEMO_CREDITOR.into()), &mut model, start)?;
    let store = &mut *app.store;
    let mut creditor = store.creditor(DEMO_CREDITOR)?;
    let p = &mut creditor.policy;
    p.segmentation.predicted_late = Some(rust_decimal::Decimal::new(7, 1));
    p.nudge = Some(fordra_core::model::Nudge {
        min_p_late: rust_decimal::Decimal::new(5, 1),
        days_before_due: 3,
        channel: fordra_core::domain::Channel::Sms,
    });
    let mut steps = p.model(fordra_core::domain::Segment::Normal).steps.clone();
    if let Some(first) = steps.first_mut() {
        first.days = 3;
        first.channel = fordra_core::domain::Channel::Sms;
        // A text is not a written reminder: it carries no fee (1981:739 2 §).
        first.fee = fordra_core::model::FeeSpec::None;
    }
    let c = fordra_core::model::Challenger {
        name: DEMO_EXPERIMENT.into(),
        segment: fordra_core::domain::Segment::Normal,
        share: rust_decimal::Decimal::new(3, 1),
        from: start,
        steps,
    };
    p.challengers.push(c.clone());
    // Reminders' channel and send hour chosen from what works, a fifth kept on the models' own.
    // From the second day: the first day's catch-up of the year's overdue invoices goes by the
    // handling models, as it would where a creditor switches the policy on.
    p.contact = Some(fordra_core::contact::ContactPolicy {
        window_days: 7,
        payday: Some(DEMO_PAYDAY),
        wordings: [("firm".to_string(), firm_wording())].into(),
        ..fordra_core::contact::ContactPolicy::new(start + Duration::days(1))
    });
    store.save_creditor(&creditor)?;
    store.start_experiment(DEMO_CREDITOR, &c)?;
    Ok(Some(format!(
        "Model v{} trained on {} invoices before {start} (in-sample AUC {:.3}): Risk from 70 % predicted risk, texts before due from 50 %.",
        model.version,
        model.training_invoices,
        model.metrics.auc_in_sample.unwrap_or(0.0)
    )))
}

/// The day of the month the demo's consumers are paid (Swedish salaries: the 25th).
const DEMO_PAYDAY: u32 = 25;

/// The demo's second wording of a reminder: the deadline and what follows it, said plainly.
fn firm_wording() -> fordra_core::model::Texts {
    let texts = [
        ("sv", "Fakturorna nedan är obetalda. Betala senast { $deadline }, annars lämnas fordran till inkasso och inkassokostnader tillkommer.", "{ $creditor }: { $amount } är obetalt (OCR { $reference }). Betala senast { $deadline }, annars går fordran till inkasso."),
        ("en", "The invoices below are unpaid. Pay by { $deadline }, or the claim goes to debt collection and collection costs are added.", "{ $creditor }: { $amount } is unpaid (ref { $reference }). Pay by { $deadline } or the claim goes to debt collection."),
        ("fi", "Alla olevat laskut ovat maksamatta. Maksa viimeistään { $deadline }, muuten saatava siirtyy perintään ja perintäkuluja lisätään.", "{ $creditor }: { $amount } on maksamatta (viite { $reference }). Maksa viimeistään { $deadline }, muuten saatava siirtyy perintään."),
        ("nb", "Fakturaene nedenfor er ubetalt. Betal innen { $deadline }, ellers sendes kravet til inkasso og inkassokostnader kommer i tillegg.", "{ $creditor }: { $amount } er ubetalt (KID { $reference }). Betal innen { $deadline }, ellers går kravet til inkasso."),
        ("da", "Fakturaerne nedenfor er ubetalte. Betal senest { $deadline }, ellers sendes kravet til inkasso, og der pålægges inkassoomkostninger.", "{ $creditor }: { $amount } er ubetalt (ref. { $reference }). Betal senest { $deadline }, ellers går kravet til inkasso."),
    ];
    texts
        .into_iter()
        .map(|(lang, intro, sms)| {
            let phrases =
                [("intro-reminder".to_string(), intro.to_string()), ("sms-reminder".to_string(), sms.to_string())];
            (lang.to_string(), phrases.into())
        })
        .collect()
}

fn normalish(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    let s: f64 = (0..12).map(|_| rng.gen::<f64>()).sum();
    mean + sd * (s - 6.0)
}

struct Plan {
    date: NaiveDate,
    share: i64,
}

impl App<'_> {
    /// Replaces the demo creditor with a synthetic portfolio and simulates its last days day by
    /// day; `progress` is told each simulated day.
    /// With a courier, each day's messages go out that day (at 10:00, Swedish time).
    pub fn demo(
        &mut self,
        a: &DemoInput,
        progress: &mut dyn FnMut(NaiveDate),
        courier: Option<&mut dyn crate::outbox::Courier>,
    ) -> Result<DemoOut> {
        demo(self, a, progress, courier)
    }
}

fn demo(
    app: &mut App<'_>,
    a: &DemoInput,
    progress: &mut dyn FnMut(NaiveDate),
    mut courier: Option<&mut dyn crate::outbox::Courier>,
) -> Result<DemoOut> {
    fordra_core::limits::days("--days", a.days, 1, fordra_core::limits::MAX_DAYS)?;
    fordra_core::limits::days("--customers", a.customers as i64, 1, 10_000_000)?;
    let end = a.end;
    let start = end - Duration::days(a.days - 1);
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    app.today = end;
    app.store.set_today(end);
    let mut notes = Vec::new();
    app.store.delete_creditor(DEMO_CREDITOR)?;
    let creditor = demo_creditor();
    app.store.save_creditor(&creditor)?;
    let (customers, payer) = draw_customers(&mut rng, a.customers, start);
    app.import_customer_rows(&demo_id(), &customers, "demo-customers.csv")?;
    let portfolio = draw_invoices(&mut rng, &customers, &payer, start, end);
    app.import_invoice_rows(&demo_id(), &portfolio.history, "demo-history.csv")?;
    let truth: Vec<(String, &'static str)> =
        customers.iter().map(|c| (c.id.clone(), payer.get(&c.id).map_or("", |p| p.name()))).collect();
    let lab = if a.no_lab { None } else { start_lab(app, start, &mut notes)? };
    let history_invoices = portfolio.history.len();
    let business = customers.iter().filter(|c| c.kind == DebtorKind::Business).map(|c| c.id.clone()).collect();
    let mut sim =
        Simulation { creditor, rng, end, portfolio, payments: 0, actions: 0, segment_changes: 0, nudges: 0, business };
    let mut day = start;
    let mut deliveries = DeliverReport::default();
    while day <= end {
        progress(day);
        sim.day(app, day)?;
        if let Some(c) = courier.as_deref_mut() {
            // 10:00 and 19:00 in Sweden (CET): texts go out within daytime on banking days, and
            // those the contact policy holds for the evening go then.
            for hour in [9, 18] {
                let input = crate::outbox::DeliverInput {
                    creditor: Some(demo_id()),
                    now: day.and_hms_opt(hour, 0, 0).unwrap_or_default().and_utc(),
                    lease_seconds: 300,
                    batch: 1000,
                    until_empty: true,
                    max: 0,
                };
                deliveries.absorb(app.deliver(c, &input)?);
            }
        }
        day += Duration::days(1);
    }
    let experiment = match lab {
        Some(_) => Some(experiment_of(app, end)?),
        None => None,
    };
    let (custs, claims) = app.store.report_data(DEMO_CREDITOR, end)?;
    let custs: Vec<_> = custs.into_iter().map(|(id, s, _)| (id, s)).collect();
    let seg = report::segments(&custs, &claims, Some(start - Duration::days(30)));
    Ok(DemoOut {
        db: String::new(),
        creditor: DEMO_CREDITOR,
        from: start,
        to: end,
        customers: a.customers,
        invoices: claims.len(),
        history_invoices,
        payments: sim.payments,
        actions: sim.actions,
        segment_changes: sim.segment_changes,
        deliveries: courier.is_some().then_some(DeliverReport { handled: vec![], ..deliveries }),
        segments: seg,
        model: lab,
        nudges: sim.nudges,
        experiment,
        truth,
        notes,
    })
}

fn demo_creditor() -> Creditor {
    Creditor {
        id: DEMO_CREDITOR.into(),
        name: "Nordljus Energi AB (demo)".into(),
        jurisdiction: JurisdictionCode::SE,
        currency: Currency::SEK,
        reminder_fee_agreed: true,
        charge_interest: true,
        contract_rate: None,
        bankgiro: Some("5050-1055".into()),
        iban: None,
        reference_scheme: Some(fordra_core::reference::Scheme::SeOcrLen),
        policy: Policy {
            letters: fordra_core::model::Letters {
                address: Some("Box 1234|411 01 Göteborg".into()),
                org_no: Some("556677-8899".into()),
                email: Some("reskontra@nordljus.example".into()),
                phone: Some("031-123 45 67".into()),
                logo: Some(base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    include_bytes!("../assets/demo-logo.png"),
                )),
                letter_if_unopened_days: None,
            },
            ..Policy::default_for(JurisdictionCode::SE)
        },
    }
}

/// Customers with hidden payer types; the creditor picks a few large business customers as VIP.
fn draw_customers(rng: &mut ChaCha8Rng, n: usize, start: NaiveDate) -> (Vec<CustomerRow>, HashMap<String, Payer>) {
    let mut payer: HashMap<String, Payer> = HashMap::new();
    let mut customers = Vec::with_capacity(n);
    for i in 0..n {
        let kind = if rng.gen_bool(0.2) { DebtorKind::Business } else { DebtorKind::Consumer };
        let p = Payer::draw(rng);
        let id = format!("C{:06}", i + 1);
        let vip = kind == DebtorKind::Business && p != Payer::Defaulter && rng.gen_bool(0.12);
        let has_score = rng.gen_bool(0.7);
        customers.push(CustomerRow {
            reminder_fee_agreed: None,
            reminder_fee_agreed_on: None,
            channel: None,
            email_consent: None,
            sms_consent: None,
            // One consumer in ten reads letters in Kivra (no draw: the portfolio stays as it was).
            mailbox: (kind == DebtorKind::Consumer && i % 10 == 3).then(|| "kivra".to_string()),
            id: id.clone(),
            name: if kind == DebtorKind::Business {
                format!("Företag {} AB", i + 1)
            } else {
                format!("Kund {}", i + 1)
            },
            kind,
            // Mostly Swedish, some English; a few Finnish, Norwegian and Danish speakers (chosen by
            // number, not drawn, so the portfolio stays as it was) get their letters in their language.
            language: match (rng.gen_bool(0.9), i % 50) {
                (_, 7) => "fi".into(),
                (_, 17) => "nb".into(),
                (_, 27) => "da".into(),
                (true, _) => "sv".into(),
                (false, _) => "en".into(),
            },
            email: rng.gen_bool(0.8).then(|| format!("{}@example.se", id.to_lowercase())),
            phone: rng.gen_bool(0.7).then(|| format!("+4670{:07}", i)),
            address: Some(format!("Storgatan {}, 411 0{} Göteborg", i % 90 + 1, i % 9)),
            org_no: (kind == DebtorKind::Business).then(|| format!("55{:08}", i)),
            credit_score: has_score.then(|| normalish(rng, p.score_mean(), 12.0).clamp(1.0, 100.0) as i32),
            credit_score_date: has_score.then(|| start - Duration::days(rng.gen_range(0..180))),
            vip,
            segment: None,
            segment_reason: None,
        });
        payer.insert(id, p);
    }
    (customers, payer)
}

/// The invoices of a demo portfolio: the history before the simulation, those issued during
/// it, and when each payer means to pay.
struct Portfolio {
    history: Vec<InvoiceRow>,
    upcoming: BTreeMap<NaiveDate, Vec<InvoiceRow>>,
    plans: HashMap<String, Plan>,
    behaviour_of_claim: HashMap<String, Payer>,
}

/// A year of monthly invoices before the simulation and during it.
fn draw_invoices(
    rng: &mut ChaCha8Rng,
    customers: &[CustomerRow],
    payer: &HashMap<String, Payer>,
    start: NaiveDate,
    end: NaiveDate,
) -> Portfolio {
    let history_start = start - Duration::days(365);
    let mut out = Portfolio {
        history: Vec::new(),
        upcoming: BTreeMap::new(),
        plans: HashMap::new(),
        behaviour_of_claim: HashMap::new(),
    };
    let mut n = 0;
    for c in customers {
        let Some(p) = payer.get(&c.id).copied() else { continue };
        let day = rng.gen_range(1..=28);
        let mut issue =
            NaiveDate::from_ymd_opt(history_start.year(), history_start.month(), day).unwrap_or(history_start);
        while issue <= end {
            if issue >= history_start {
                n += 1;
                let id = format!("F{:07}", n);
                let amount = match c.kind {
                    DebtorKind::Consumer => rng.gen_range(300_00..2_500_00),
                    DebtorKind::Business => rng.gen_range(2_000_00..60_000_00),
                };
                let due = issue + Duration::days(30);
                let pay = p.base_delay(rng).map(|d| due + Duration::days(d));
                let mut row = InvoiceRow {
                    due_date_agreed: true,
                    demand_date: None,
                    line: n,
                    id: id.clone(),
                    customer_id: c.id.clone(),
                    invoice_number: id.clone(),
                    issue_date: issue,
                    due_date: due,
                    currency: Currency::SEK,
                    amount,
                    paid_date: None,
                    // A Bankgiro OCR number from the invoice's digits, as the creditor's invoicing prints it.
                    reference: fordra_core::reference::make(
                        fordra_core::reference::Scheme::SeOcrLen,
                        id.trim_start_matches('F'),
                    )
                    .ok(),
                };
                out.behaviour_of_claim.insert(id.clone(), p);
                if issue < start {
                    match pay {
                        Some(pd) if pd < start => row.paid_date = Some(pd.max(issue)),
                        Some(pd) => {
                            out.plans.insert(id, Plan { date: pd, share: 100 });
                        }
                        None => {}
                    }
                    out.history.push(row);
                } else {
                    if let Some(pd) = pay {
                        out.plans.insert(id, Plan { date: pd.max(issue), share: 100 });
                    }
                    out.upcoming.entry(issue).or_default().push(row);
                }
            }
            issue = issue.checked_add_months(chrono::Months::new(1)).unwrap_or(end + Duration::days(1));
        }
    }
    out
}

/// The simulated days: invoices issued, payments arriving, the run, and debtors reacting.
struct Simulation {
    creditor: Creditor,
    rng: ChaCha8Rng,
    end: NaiveDate,
    portfolio: Portfolio,
    payments: usize,
    actions: usize,
    segment_changes: usize,
    nudges: usize,
    /// Business customers (they read messages in the morning).
    business: std::collections::HashSet<String>,
}

impl Simulation {
    fn day(&mut self, app: &mut App<'_>, day: NaiveDate) -> Result<()> {
        if let Some(rows) = self.portfolio.upcoming.remove(&day) {
            app.import_invoice_rows(&demo_id(), &rows, "demo-invoices.csv")?;
        }
        let payments = self.payments_on(app, day)?;
        self.payments += payments.len();
        app.book_payment_rows(&demo_id(), &payments, "demo-bank.csv")?;
        let r = app.decide_day(&demo_id(), crate::run::RunInput { date: day, dry_run: false, allow_future: false })?;
        self.actions += r.actions.len();
        self.nudges += r.actions.iter().filter(|a| a.step_no == 0).count();
        self.segment_changes += r.segment_changes().count();
        // Debtors react to what they received.
        for act in r.actions.iter().filter(|x| !x.skipped) {
            let p = self.portfolio.behaviour_of_claim.get(&act.claim_id).copied().unwrap_or(Payer::Prompt);
            let business = self.business.contains(&act.customer_id);
            let firm = act.arm.as_deref().and_then(fordra_core::contact::parse_wording) == Some("firm");
            // A letter reaches the debtor two days after it is sent.
            let arrives = day + Duration::days(if act.channel == Channel::Letter { 2 } else { 0 });
            let flush = fordra_core::contact::next_payday(Country::SE, DEMO_PAYDAY, arrives - Duration::days(4))
                .is_some_and(|pay| pay <= arrives);
            if let Some((prob, lo, hi, share)) = p.reaction(act.kind, act.channel, act.send_hour, business, firm, flush)
            {
                if self.rng.gen_bool(prob) {
                    let when = day + Duration::days(self.rng.gen_range(lo..=hi));
                    let earlier = self.portfolio.plans.get(&act.claim_id).is_none_or(|x| x.date > when);
                    if earlier && when <= self.end {
                        self.portfolio.plans.insert(act.claim_id.clone(), Plan { date: when, share });
                    }
                }
            }
        }
        Ok(())
    }

    /// Payments arriving on `day`: what each payer planned to pay of what is owed then.
    fn payments_on(&mut self, app: &mut App<'_>, day: NaiveDate) -> Result<Vec<PaymentRow>> {
        let due_today: Vec<(String, i64)> =
            self.portfolio.plans.iter().filter(|(_, p)| p.date == day).map(|(id, p)| (id.clone(), p.share)).collect();
        let mut payments = Vec::new();
        for (claim, share) in due_today {
            self.portfolio.plans.remove(&claim);
            let owed = crate::claims::amount_due(app.store, &self.creditor, app.law, &claim, day)?;
            if owed <= 0 {
                continue;
            }
            let amount = if share >= 100 { owed } else { owed * share / 100 };
            payments.push(PaymentRow {
                line: payments.len() + 1,
                id: format!("P-{claim}-{day}"),
                claim_id: claim,
                date: day,
                amount,
                currency: Currency::SEK,
                reference: None,
                payer: None,
            });
        }
        payments.sort_by(|x, y| x.id.cmp(&y.id));
        Ok(payments)
    }
}

fn experiment_of(app: &mut App<'_>, end: NaiveDate) -> Result<ExperimentReport> {
    let e = app
        .store
        .experiments(DEMO_CREDITOR)?
        .into_iter()
        .find(|e| e.name == DEMO_EXPERIMENT)
        .ok_or(AppError::NotFound { entity: "experiment", id: DEMO_EXPERIMENT.into() })?;
    let claims = app.store.experiment_claims(DEMO_CREDITOR, &e, end)?;
    let costs = fordra_core::strategy::Costs::default_for(app.store.creditor(&demo_id())?.currency);
    Ok(fordra_core::strategy::experiment_report(&claims, e.customers, end, 30, costs))
}

fn demo_id() -> CreditorId {
    CreditorId(DEMO_CREDITOR.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A debtor's reaction comes a day after the step at the soonest (the day's payments are
    /// booked before its run: a payment planned for the step's own day was lost, and it replaced
    /// the debtor's own plan), a letter's from the third (two days in the post); chances stay
    /// within 0..=1 for every payer, step, channel, hour, kind of debtor and wording.
    #[test]
    fn reactions_come_after_the_step_and_letters_after_the_post() {
        let payers = [Payer::Prompt, Payer::Forgetful, Payer::Slow, Payer::Distressed, Payer::Defaulter];
        for p in payers {
            for step in StepKind::ALL {
                for channel in Channel::ALL {
                    for (hour, business, firm, flush) in
                        [(None, false, false, false), (Some(9), true, true, true), (Some(18), false, true, true)]
                    {
                        let Some((prob, lo, hi, share)) = p.reaction(*step, *channel, hour, business, firm, flush)
                        else {
                            continue;
                        };
                        assert!((0.0..=1.0).contains(&prob) && lo <= hi && (1..=100).contains(&share), "{p:?} {step}");
                        assert!(lo >= 1, "{p:?} {step} by {channel}: from day {lo}");
                        if *channel == Channel::Letter && *step == StepKind::Reminder {
                            assert!(lo >= 3, "{p:?}: a reminder letter acted on from day {lo}");
                        }
                    }
                }
            }
        }
    }
}

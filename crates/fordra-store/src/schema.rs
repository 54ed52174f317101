//! Migrations. One source for both databases; only the auto-increment key and integer type are
//! spelled differently, and lines marked `{postgres}` (the keys of migration 16, which SQLite's
//! rowid keys cannot take) run on PostgreSQL alone, so the schemas cannot drift apart.

/// The schema's migrations in order: (version, name, SQL in the common dialect).
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial schema",
        r#"
CREATE TABLE creditors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    currency TEXT NOT NULL,
    reminder_fee_agreed {int} NOT NULL,
    charge_interest {int} NOT NULL,
    contract_rate TEXT,
    bankgiro TEXT,
    iban TEXT,
    policy TEXT NOT NULL
);
CREATE TABLE customers (
    creditor_id TEXT NOT NULL REFERENCES creditors(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    address TEXT,
    org_no TEXT,
    credit_score {int},
    credit_score_date TEXT,
    vip {int} NOT NULL,
    segment TEXT,
    segment_reason TEXT,
    PRIMARY KEY (creditor_id, id)
);
CREATE TABLE claims (
    creditor_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    principal {int} NOT NULL,
    status TEXT NOT NULL,
    settled_date TEXT,
    PRIMARY KEY (creditor_id, id),
    FOREIGN KEY (creditor_id, customer_id) REFERENCES customers(creditor_id, id)
);
CREATE INDEX claims_status ON claims (creditor_id, status);
CREATE INDEX claims_customer ON claims (creditor_id, customer_id);
CREATE INDEX claims_settled ON claims (creditor_id, settled_date);
CREATE TABLE ledger (
    id {serial},
    creditor_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    component TEXT,
    amount {int} NOT NULL,
    currency TEXT NOT NULL,
    reference TEXT NOT NULL,
    memo TEXT NOT NULL
);
-- Covering: the daily run reads a claim's movements from the index alone.
CREATE INDEX ledger_claim ON ledger (creditor_id, claim_id, date, kind, component, amount);
CREATE TABLE actions (
    creditor_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    seq {int} NOT NULL,
    customer_id TEXT NOT NULL,
    step_no {int} NOT NULL,
    kind TEXT NOT NULL,
    segment TEXT NOT NULL,
    date TEXT NOT NULL,
    deadline TEXT NOT NULL,
    channel TEXT NOT NULL,
    letter TEXT,
    fee {int} NOT NULL,
    notional_fee {int} NOT NULL,
    interest {int} NOT NULL,
    open_after {int} NOT NULL,
    skipped {int} NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (creditor_id, claim_id, seq)
);
CREATE INDEX actions_date ON actions (creditor_id, date);
-- Covering: the daily run reads a claim's steps from the index alone.
CREATE INDEX actions_claim ON actions (creditor_id, claim_id, seq, kind, date, deadline, notional_fee, skipped);
CREATE INDEX actions_customer ON actions (creditor_id, customer_id);
CREATE TABLE segment_changes (
    id {serial},
    creditor_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    date TEXT NOT NULL,
    from_segment TEXT,
    to_segment TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX segment_changes_customer ON segment_changes (creditor_id, customer_id);
CREATE TABLE pauses (
    id {serial},
    creditor_id TEXT NOT NULL,
    claim_id TEXT,
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_date TEXT NOT NULL,
    until_date TEXT,
    ended_date TEXT,
    reason TEXT NOT NULL
);
CREATE TABLE payments (
    creditor_id TEXT NOT NULL,
    id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    date TEXT NOT NULL,
    amount {int} NOT NULL,
    currency TEXT NOT NULL,
    reference TEXT,
    payer TEXT,
    source TEXT NOT NULL,
    PRIMARY KEY (creditor_id, id)
);
CREATE TABLE runs (
    creditor_id TEXT NOT NULL,
    date TEXT NOT NULL,
    actions {int} NOT NULL,
    segment_changes {int} NOT NULL,
    PRIMARY KEY (creditor_id, date)
);
CREATE TABLE audit (
    id {serial},
    creditor_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL
);
"#,
    ),
    (
        2,
        "payment references, bank payments and the unmatched queue",
        r#"
ALTER TABLE claims ADD COLUMN reference TEXT;
CREATE INDEX claims_reference ON claims (creditor_id, reference);
ALTER TABLE creditors ADD COLUMN reference_scheme TEXT;
CREATE TABLE bank_payments (
    creditor_id TEXT NOT NULL,
    key TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    line {int} NOT NULL,
    date TEXT NOT NULL,
    amount {int} NOT NULL,
    currency TEXT NOT NULL,
    reference TEXT,
    payer TEXT,
    text TEXT,
    status TEXT NOT NULL,
    how TEXT NOT NULL,
    claims TEXT NOT NULL,
    suggestions TEXT NOT NULL,
    PRIMARY KEY (creditor_id, key)
);
CREATE INDEX bank_payments_status ON bank_payments (creditor_id, status);
CREATE TABLE payment_files (
    creditor_id TEXT NOT NULL,
    checksum TEXT NOT NULL,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    payments {int} NOT NULL,
    PRIMARY KEY (creditor_id, checksum)
);
"#,
    ),
    (
        3,
        "accounts-receivable history for the payment-behaviour model",
        r#"
CREATE TABLE ar_history (
    creditor_id TEXT NOT NULL,
    invoice TEXT NOT NULL,
    customer TEXT NOT NULL,
    invoice_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    amount {int} NOT NULL,
    currency TEXT NOT NULL,
    paid_date TEXT,
    disputed {int} NOT NULL,
    channel TEXT,
    country TEXT,
    credit_score TEXT,
    extra TEXT NOT NULL,
    PRIMARY KEY (creditor_id, invoice)
);
"#,
    ),
    (
        4,
        "payment-behaviour models, experiment arms",
        r#"
CREATE TABLE models (
    creditor_id TEXT NOT NULL,
    version {int} NOT NULL,
    trained_until TEXT NOT NULL,
    trained_on TEXT NOT NULL,
    training_invoices {int} NOT NULL,
    summary TEXT NOT NULL,
    model TEXT NOT NULL,
    active {int} NOT NULL,
    PRIMARY KEY (creditor_id, version)
);
CREATE TABLE experiment_arms (
    creditor_id TEXT NOT NULL,
    experiment TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    assigned_on TEXT NOT NULL,
    PRIMARY KEY (creditor_id, experiment, customer_id)
);
ALTER TABLE actions ADD COLUMN arm TEXT;
CREATE TABLE experiments (
    creditor_id TEXT NOT NULL,
    name TEXT NOT NULL,
    segment TEXT NOT NULL,
    share TEXT NOT NULL,
    started TEXT NOT NULL,
    ended TEXT,
    outcome TEXT,
    steps TEXT NOT NULL,
    PRIMARY KEY (creditor_id, name)
);
"#,
    ),
    (
        5,
        "the ledger of record: facts behind every entry, reversals, refunds, reverted runs",
        r#"
ALTER TABLE payments ADD COLUMN kind TEXT NOT NULL DEFAULT 'bank';
ALTER TABLE payments ADD COLUMN bank_key TEXT;
ALTER TABLE payments ADD COLUMN reversed_on TEXT;
ALTER TABLE payments ADD COLUMN reversed_by TEXT;
CREATE INDEX payments_customer ON payments (creditor_id, customer_id);
CREATE INDEX payments_bank_key ON payments (creditor_id, bank_key);
ALTER TABLE actions ADD COLUMN fees TEXT;
ALTER TABLE actions ADD COLUMN fee_spec TEXT;
ALTER TABLE actions ADD COLUMN min_amount {int} NOT NULL DEFAULT 0;
ALTER TABLE actions ADD COLUMN amount_to_pay {int};
ALTER TABLE actions ADD COLUMN reverted TEXT;
ALTER TABLE pauses ADD COLUMN plan_fee TEXT;
ALTER TABLE segment_changes ADD COLUMN reverted TEXT;
ALTER TABLE bank_payments ADD COLUMN fingerprint TEXT;
CREATE INDEX ledger_customer ON ledger (creditor_id, customer_id);
CREATE INDEX pauses_customer ON pauses (creditor_id, customer_id);
CREATE TABLE refunds (
    creditor_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    date TEXT NOT NULL,
    amount {int} NOT NULL,
    currency TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (creditor_id, id)
);
CREATE TABLE run_reverts (
    id {serial},
    creditor_id TEXT NOT NULL,
    date TEXT NOT NULL,
    actions {int} NOT NULL,
    segment_changes {int} NOT NULL,
    reason TEXT NOT NULL
);
"#,
    ),
    (
        6,
        "who collects, per-debtor fee agreements, interest start without an agreed due date",
        r#"
ALTER TABLE customers ADD COLUMN reminder_fee_agreed {int};
ALTER TABLE customers ADD COLUMN reminder_fee_agreed_on TEXT;
UPDATE customers SET reminder_fee_agreed = (SELECT c.reminder_fee_agreed FROM creditors c WHERE c.id = customers.creditor_id);
ALTER TABLE claims ADD COLUMN due_date_agreed {int} NOT NULL DEFAULT 1;
ALTER TABLE claims ADD COLUMN demand_date TEXT;
"#,
    ),
    (
        7,
        "the delivery outbox: one delivery per message, its claims and every attempt",
        r#"
CREATE TABLE deliveries (
    creditor_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    created TEXT NOT NULL,
    deadline TEXT,
    status TEXT NOT NULL,
    attempts {int} NOT NULL,
    not_before {int} NOT NULL,
    detail TEXT NOT NULL,
    provider_ref TEXT,
    fallback_of TEXT,
    outcome TEXT,
    PRIMARY KEY (creditor_id, id)
);
CREATE INDEX deliveries_due ON deliveries (status, not_before);
CREATE INDEX deliveries_customer ON deliveries (creditor_id, customer_id);
CREATE TABLE delivery_items (
    creditor_id TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    seq {int},
    PRIMARY KEY (creditor_id, delivery_id, claim_id)
);
CREATE INDEX delivery_items_claim ON delivery_items (creditor_id, claim_id);
CREATE TABLE delivery_attempts (
    id {serial},
    creditor_id TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    attempt {int} NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (creditor_id, delivery_id);
"#,
    ),
    (
        8,
        "the debtor's preferred channel, consent to e-mail and texts, digital mailbox",
        r#"
ALTER TABLE customers ADD COLUMN channel TEXT;
ALTER TABLE customers ADD COLUMN email_consent {int};
ALTER TABLE customers ADD COLUMN sms_consent {int};
ALTER TABLE customers ADD COLUMN mailbox TEXT;
"#,
    ),
    (
        9,
        "when a delivery was sent and when its e-mail was opened",
        r#"
ALTER TABLE deliveries ADD COLUMN sent_at {int};
ALTER TABLE deliveries ADD COLUMN opened_at {int};
CREATE INDEX deliveries_unopened ON deliveries (creditor_id, channel, status, sent_at);
"#,
    ),
    (
        10,
        "API keys (hashed) and idempotency keys of the HTTP service",
        r#"
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    creditor_id TEXT,
    scope TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at {int} NOT NULL,
    revoked_at {int}
);
CREATE TABLE idempotency_keys (
    key_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status {int},
    body TEXT,
    created_at {int} NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);
"#,
    ),
    (
        11,
        "events for webhooks, subscriptions, and their delivery log",
        r#"
CREATE TABLE events (
    id {serial},
    creditor_id TEXT NOT NULL,
    claim_id TEXT,
    kind TEXT NOT NULL,
    dedup TEXT,
    payload TEXT NOT NULL,
    created_at {int} NOT NULL
);
CREATE INDEX events_creditor ON events (creditor_id, id);
CREATE UNIQUE INDEX events_dedup ON events (creditor_id, dedup);
CREATE TABLE webhooks (
    creditor_id TEXT NOT NULL,
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    kinds TEXT NOT NULL,
    created_at {int} NOT NULL,
    last_event {int} NOT NULL,
    deleted_at {int},
    PRIMARY KEY (creditor_id, id)
);
CREATE TABLE webhook_deliveries (
    creditor_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id {int} NOT NULL,
    claim_id TEXT,
    status TEXT NOT NULL,
    attempts {int} NOT NULL,
    next_at {int} NOT NULL,
    last_code {int},
    last_error TEXT,
    delivered_at {int},
    PRIMARY KEY (creditor_id, webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
CREATE TABLE webhook_attempts (
    id {serial},
    creditor_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id {int} NOT NULL,
    at {int} NOT NULL,
    code {int},
    error TEXT,
    ms {int} NOT NULL
);
CREATE INDEX webhook_attempts_event ON webhook_attempts (creditor_id, webhook_id, event_id);
"#,
    ),
    (
        12,
        "the scheduler's lock per creditor",
        r#"
CREATE TABLE schedule_locks (
    creditor_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until {int} NOT NULL
);
"#,
    ),
    (
        13,
        "web users, their sessions, advisors' notes; who made each change and when",
        r#"
ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN at {int} NOT NULL DEFAULT 0;
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    creditor_id TEXT,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    language TEXT NOT NULL,
    created {int} NOT NULL,
    disabled {int}
);
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created {int} NOT NULL,
    expires {int} NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE TABLE notes (
    id {serial},
    creditor_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    claim_id TEXT,
    author TEXT NOT NULL,
    at {int} NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX notes_customer ON notes (creditor_id, customer_id);
"#,
    ),
    (
        14,
        "indexes the daily run reads in key order without touching the tables",
        r#"
DROP INDEX claims_status;
CREATE INDEX claims_open ON claims (creditor_id, status, id, customer_id, issue_date, due_date_agreed, demand_date, due_date, principal, currency);
DROP INDEX claims_settled;
CREATE INDEX claims_settled ON claims (creditor_id, settled_date, status, customer_id, due_date);
DROP INDEX actions_claim;
CREATE INDEX actions_claim ON actions (creditor_id, claim_id, seq, kind, date, deadline, notional_fee, skipped, reverted);
CREATE INDEX actions_collection ON actions (creditor_id, date, customer_id) WHERE kind = 'collection' AND skipped = 0 AND reverted IS NULL;
"#,
    ),
    (
        15,
        "the payment-behaviour model's scores kept between runs",
        r#"
CREATE TABLE model_scores (
    creditor_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    p_late TEXT,
    reasons TEXT,
    PRIMARY KEY (creditor_id, customer_id, claim_id)
);
CREATE TABLE model_scored (
    creditor_id TEXT PRIMARY KEY,
    model_version {int} NOT NULL,
    as_of TEXT NOT NULL
);
CREATE TABLE model_stale (
    creditor_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    PRIMARY KEY (creditor_id, customer_id)
);
CREATE INDEX claims_issued ON claims (creditor_id, issue_date, customer_id);
CREATE INDEX claims_due ON claims (creditor_id, due_date, customer_id);
CREATE INDEX ar_history_customer ON ar_history (creditor_id, customer);
CREATE INDEX ar_history_issued ON ar_history (creditor_id, invoice_date, customer);
CREATE INDEX ar_history_paid ON ar_history (creditor_id, paid_date, customer);
CREATE INDEX ar_history_due ON ar_history (creditor_id, due_date, customer);
"#,
    ),
    (
        16,
        "the creditor first in every key, ready for distribution by creditor (Citus) and hash partitioning",
        r#"
-- PostgreSQL: a table keyed by a serial id alone is keyed by (creditor_id, id), so a distributed
-- or partitioned table can enforce it on one shard. The id stays unique from its sequence.
-- SQLite keeps the id as its rowid (AUTOINCREMENT must be the whole key there).
{postgres}ALTER TABLE audit DROP CONSTRAINT audit_pkey, ADD PRIMARY KEY (creditor_id, id);
{postgres}ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_pkey, ADD PRIMARY KEY (creditor_id, id);
{postgres}ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (creditor_id, id);
{postgres}ALTER TABLE ledger DROP CONSTRAINT ledger_pkey, ADD PRIMARY KEY (creditor_id, id);
{postgres}ALTER TABLE notes DROP CONSTRAINT notes_pkey, ADD PRIMARY KEY (creditor_id, id);
{postgres}ALTER TABLE pauses DROP CONSTRAINT pauses_pkey, ADD PRIMARY KEY (creditor_id, id);
{postgres}ALTER TABLE run_reverts DROP CONSTRAINT run_reverts_pkey, ADD PRIMARY KEY (creditor_id, id);
{postgres}ALTER TABLE segment_changes DROP CONSTRAINT segment_changes_pkey, ADD PRIMARY KEY (creditor_id, id);
{postgres}ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_pkey, ADD PRIMARY KEY (creditor_id, id);
"#,
    ),
];

/// The common dialect rendered for a backend (types differ; a line starting `{postgres}` is
/// PostgreSQL's alone).
pub fn render(sql: &str, backend: &str) -> String {
    let (serial, int) = match backend {
        "postgres" => ("BIGSERIAL PRIMARY KEY", "BIGINT"),
        _ => ("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"),
    };
    let lines = sql.lines().filter_map(|l| match l.strip_prefix("{postgres}") {
        Some(pg) => (backend == "postgres").then_some(pg),
        None => Some(l),
    });
    lines.collect::<Vec<_>>().join("\n").replace("{serial}", serial).replace("{int}", int)
}

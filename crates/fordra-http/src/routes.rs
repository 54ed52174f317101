//! The `/v1/` endpoints. Each parses, checks the caller's tenancy and scope, calls one use case
//! of the application layer and returns its result as JSON; no rule lives here.

use crate::auth::{Administrator, Operator, Reader, Tenant, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::{with_app, Shared};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Extension;
use chrono::{NaiveDate, Utc};
use fordra_app::bank::{BankFile, BankFormat};
use fordra_app::claims::ClaimQuery;
use fordra_app::keys::{Caller, NewKey, Scope};
use fordra_app::outbox::CallRecord;
use fordra_app::pauses::NewPause;
use fordra_app::run::RunInput;
use fordra_app::{ClaimId, CreditorId, CustomerId};
use fordra_core::domain::{CallOutcome, Channel, ClaimStatus, DeliveryStatus, JurisdictionCode, PauseKind};
use fordra_core::money::Currency;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type Out = ApiResult<axum::Json<Value>>;
type Created = ApiResult<(StatusCode, axum::Json<Value>)>;

fn json<T: serde::Serialize>(v: T) -> Out {
    serde_json::to_value(v).map(axum::Json).map_err(|e| ApiError::internal(format!("could not write the answer: {e}")))
}

fn created<T: serde::Serialize>(v: T) -> Created {
    json(v).map(|j| (StatusCode::CREATED, j))
}

/// The most items one bulk request may carry.
pub const MAX_BULK: usize = 100_000;

/// Every `/v1/` route, with its OpenAPI description.
pub fn v1() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_creditors, add_creditor))
        .routes(routes!(show_creditor, update_creditor))
        .routes(routes!(upsert_customers))
        .routes(routes!(show_customer))
        .routes(routes!(set_vip))
        .routes(routes!(upsert_invoices))
        .routes(routes!(put_invoice))
        .routes(routes!(import_file))
        .routes(routes!(list_claims))
        .routes(routes!(show_claim))
        .routes(routes!(upload_bank_file))
        .routes(routes!(payment_report))
        .routes(routes!(unmatched_payments))
        .routes(routes!(assign_payment))
        .routes(routes!(list_runs, run_day))
        .routes(routes!(revert_run))
        .routes(routes!(list_pauses, add_pause))
        .routes(routes!(end_pause))
        .routes(routes!(list_deliveries))
        .routes(routes!(delivery_message))
        .routes(routes!(phone_tasks))
        .routes(routes!(phone_done))
        .routes(routes!(report))
        .routes(routes!(show_policy, set_policy))
        .routes(routes!(list_models, train_model))
        .routes(routes!(use_model))
        .routes(routes!(list_experiments))
        .routes(routes!(experiment_report))
        .routes(routes!(contact_report))
        .routes(routes!(end_experiment))
        .routes(routes!(list_keys, add_key))
        .routes(routes!(revoke_key))
        .routes(routes!(list_webhooks, add_webhook))
        .routes(routes!(delete_webhook))
        .routes(routes!(webhook_log))
        .routes(routes!(replay_webhook))
        .routes(routes!(refund))
        .routes(routes!(law))
        .routes(routes!(quote))
        .routes(routes!(explain_model))
        .routes(routes!(model_scores))
        .routes(routes!(evaluate_model))
        .routes(routes!(backtest))
        .routes(routes!(import_history))
        .routes(routes!(letter_pdf))
}

/// A string schema listing a domain enum's words (the type itself stays the core's).
fn words(values: impl IntoIterator<Item = &'static str>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values.into_iter().collect::<Vec<_>>()))
        .build()
}

fn delivery_statuses() -> utoipa::openapi::Object {
    words(DeliveryStatus::ALL.iter().map(|s| s.as_str()))
}

fn channels() -> utoipa::openapi::Object {
    words(Channel::ALL.iter().map(|s| s.as_str()))
}

fn pause_kinds() -> utoipa::openapi::Object {
    words(PauseKind::ALL.iter().map(|s| s.as_str()))
}

fn call_outcomes() -> utoipa::openapi::Object {
    words(CallOutcome::ALL.iter().map(|s| s.as_str()))
}

fn jurisdictions() -> utoipa::openapi::Object {
    words(JurisdictionCode::ALL.iter().map(|s| s.as_str()))
}

fn debtor_kinds() -> utoipa::openapi::Object {
    words(fordra_core::domain::DebtorKind::ALL.iter().map(|s| s.as_str()))
}

fn fee_kinds() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(words(fordra_core::domain::FeeKind::ALL.iter().map(|s| s.as_str())))
        .build()
}

fn collectors() -> utoipa::openapi::Object {
    words(fordra_core::domain::Collector::ALL.iter().map(|s| s.as_str()))
}

fn scopes() -> utoipa::openapi::Object {
    words(["read", "write", "admin"])
}

fn bank_formats() -> utoipa::openapi::Object {
    words(["bgmax", "camt054", "camt053", "ktl", "csv"])
}

/// A whole number as JSON Schema means it: `3` and `3.0` alike (an "integer" in the document
/// accepts both), within the target type.
fn whole<'de, D: serde::Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<T>, D::Error> {
    let v = Option::<serde_json::Number>::deserialize(d)?;
    let Some(n) = v else { return Ok(None) };
    let i = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i,
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => f as i64,
        _ => return Err(serde::de::Error::custom(format!("{n} is not a whole number in range"))),
    };
    T::try_from(i).map(Some).map_err(|_| serde::de::Error::custom(format!("{i} is out of range")))
}

fn whole_required<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    whole::<D, i64>(d)?.ok_or_else(|| serde::de::Error::custom("a whole number is required"))
}

fn today_or(svc: &Shared, d: Option<NaiveDate>) -> NaiveDate {
    d.unwrap_or_else(|| svc.today())
}

// ---------------------------------------------------------------- creditors

/// Creditors this key may see: its own, or every one for an operator's key.
#[utoipa::path(get, path = "/v1/creditors", tag = "creditors",
    responses((status = 200, description = "creditor ids", body = Vec<String>), (status = 401, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn list_creditors(State(svc): State<Shared>, Extension(caller): Extension<Caller>) -> Out {
    let all = with_app(&svc, |app| app.list_creditors()).await?;
    json(all.into_iter().filter(|c| caller.sees(c)).collect::<Vec<_>>())
}

/// A new creditor (tenant).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreditorIn {
    /// Its id.
    id: String,
    /// Its name on letters.
    name: String,
    /// Whose law: se, fi, no, dk or eu (B2B).
    #[schema(schema_with = jurisdictions)]
    jurisdiction: JurisdictionCode,
    /// Currency (default: the jurisdiction's).
    #[schema(value_type = Option<String>, example = "SEK")]
    currency: Option<Currency>,
    /// A reminder fee was agreed with its debtors.
    #[serde(default)]
    reminder_fee_agreed: bool,
    /// Charge late interest (default yes).
    #[serde(default = "yes")]
    charge_interest: bool,
    /// Bankgiro number.
    bankgiro: Option<String>,
    /// IBANs.
    #[serde(default)]
    iban: Vec<String>,
    /// Who sends the steps: own (the creditor) or agency (a licensed collection agency).
    #[serde(default)]
    #[schema(schema_with = collectors)]
    collector: fordra_core::domain::Collector,
    /// The agency's name (collector agency).
    agency_name: Option<String>,
    /// The agency's licence number.
    agency_licence: Option<String>,
}

fn yes() -> bool {
    true
}

/// Adds a creditor (an operator's admin key).
#[utoipa::path(post, path = "/v1/creditors", tag = "creditors", request_body = CreditorIn,
    responses((status = 201, description = "added (or already there, unchanged)", body = fordra_app::creditors::CreditorAdded), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn add_creditor(State(svc): State<Shared>, _: Operator<2>, Json(c): Json<CreditorIn>) -> Created {
    let n = fordra_app::creditors::NewCreditor {
        id: CreditorId(c.id),
        name: c.name,
        jurisdiction: c.jurisdiction,
        currency: c.currency,
        reminder_fee_agreed: c.reminder_fee_agreed,
        charge_interest: c.charge_interest,
        contract_rate: None,
        bankgiro: c.bankgiro,
        iban: c.iban,
        collector: c.collector,
        agency_name: c.agency_name,
        agency_licence: c.agency_licence,
    };
    created(with_app(&svc, move |app| app.add_creditor(n)).await?)
}

/// A creditor with its runs.
#[utoipa::path(get, path = "/v1/creditors/{creditor}", tag = "creditors",
    params(("creditor" = String, Path)),
    responses((status = 200, description = "the creditor", body = fordra_app::creditors::CreditorView), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn show_creditor(State(svc): State<Shared>, Tenant(c): Reader) -> Out {
    json(with_app(&svc, move |app| app.show_creditor(&c)).await?)
}

// ---------------------------------------------------------------- customers and invoices

/// Customers to create or update, with the fields of the customers file.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CustomersIn {
    /// Each customer: id, name, kind (consumer|business) and optionally language, email, phone,
    /// address, org_no, credit_score, credit_score_date, vip, reminder_fee_agreed,
    /// reminder_fee_agreed_on, channel, email_consent, sms_consent, mailbox.
    #[schema(value_type = Vec<Object>)]
    customers: Vec<Value>,
}

/// Creates or updates customers (up to 100,000 a request, in one transaction).
#[utoipa::path(post, path = "/v1/creditors/{creditor}/customers", tag = "customers", request_body = CustomersIn,
    params(("creditor" = String, Path)),
    responses((status = 200, description = "created, updated, unchanged", body = fordra_app::imports::CustomersImported), (status = 422, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn upsert_customers(State(svc): State<Shared>, Tenant(c): Writer, Json(body): Json<CustomersIn>) -> Out {
    bulk_bound("customers", body.customers.len())?;
    json(with_app(&svc, move |app| app.import_customers_json(&c, "customers", &body.customers)).await?)
}

fn bulk_bound(what: &str, n: usize) -> ApiResult<()> {
    if n > MAX_BULK {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("{n} {what} in one request, above the limit of {MAX_BULK}"),
        ));
    }
    Ok(())
}

/// A customer with its claims, segment and the reason for it.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/customers/{customer}", tag = "customers",
    params(("creditor" = String, Path), ("customer" = String, Path)),
    responses((status = 200, description = "the customer"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn show_customer(
    State(svc): State<Shared>,
    Tenant(c): Reader,
    Path((_creditor, customer)): Path<(String, String)>,
) -> Out {
    json(with_app(&svc, move |app| app.customer_view(&c, &CustomerId(customer))).await?)
}

/// VIP or not.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VipIn {
    /// Chosen as VIP by the creditor.
    vip: bool,
}

/// Chooses (or unchooses) a customer as VIP.
#[utoipa::path(put, path = "/v1/creditors/{creditor}/customers/{customer}/vip", tag = "customers", request_body = VipIn,
    params(("creditor" = String, Path), ("customer" = String, Path)),
    responses((status = 200, description = "the customer's segment now", body = fordra_app::customers::VipSet), (status = 404, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn set_vip(
    State(svc): State<Shared>,
    Tenant(c): Writer,
    Path((_creditor, customer)): Path<(String, String)>,
    Json(v): Json<VipIn>,
) -> Out {
    json(with_app(&svc, move |app| app.set_vip(&c, &CustomerId(customer), v.vip)).await?)
}

/// Invoices to create (or settle, with a paid date), with the fields of the invoices file.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InvoicesIn {
    /// Each invoice: id, customer_id, issue_date, due_date, amount (a decimal string) and
    /// optionally invoice_number, currency, reference, paid_date, due_date_agreed, demand_date.
    #[schema(value_type = Vec<Object>)]
    invoices: Vec<Value>,
}

/// Creates invoices in bulk (up to 100,000 a request, in one transaction); the same invoice again
/// changes nothing, with a paid date it is settled.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/invoices", tag = "invoices", request_body = InvoicesIn,
    params(("creditor" = String, Path)),
    responses((status = 200, description = "created, settled, unchanged", body = fordra_app::imports::InvoicesImported), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn upsert_invoices(State(svc): State<Shared>, Tenant(c): Writer, Json(body): Json<InvoicesIn>) -> Out {
    bulk_bound("invoices", body.invoices.len())?;
    json(with_app(&svc, move |app| app.import_invoices_json(&c, "invoices", &body.invoices)).await?)
}

/// Creates (or settles) one invoice; its id is the path's.
#[utoipa::path(put, path = "/v1/creditors/{creditor}/invoices/{invoice}", tag = "invoices",
    request_body(content = Object, description = "the invoice's fields (id optional, must match the path)"),
    params(("creditor" = String, Path), ("invoice" = String, Path)),
    responses((status = 200, description = "created, settled or unchanged", body = fordra_app::imports::InvoicesImported), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn put_invoice(
    State(svc): State<Shared>,
    Tenant(c): Writer,
    Path((_creditor, invoice)): Path<(String, String)>,
    Json(mut body): Json<Value>,
) -> Out {
    let Value::Object(fields) = &mut body else { return Err(ApiError::bad_request("the body must be a JSON object")) };
    match fields.get("id") {
        Some(Value::String(id)) if *id != invoice => {
            return Err(ApiError::bad_request(format!("the body's id '{id}' is not the path's '{invoice}'")))
        }
        _ => {
            fields.insert("id".into(), Value::String(invoice));
        }
    }
    json(with_app(&svc, move |app| app.import_invoices_json(&c, "invoice", &[body])).await?)
}

/// Which file.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FileKind {
    /// customers.csv
    Customers,
    /// invoices.csv
    Invoices,
}

/// The file's name, for errors and the audit log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FileName {
    /// The file's name (default: the kind with .csv).
    name: Option<String>,
}

/// Imports a customers or invoices CSV file (the same format as `fordra import`).
#[utoipa::path(post, path = "/v1/creditors/{creditor}/files/{kind}", tag = "files",
    request_body(content = String, content_type = "text/csv"),
    params(("creditor" = String, Path), ("kind" = FileKind, Path), FileName),
    responses((status = 200, description = "rows imported"), (status = 422, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn import_file(
    State(svc): State<Shared>,
    Tenant(c): Writer,
    Path((_creditor, kind)): Path<(String, FileKind)>,
    Query(q): Query<FileName>,
    body: Bytes,
) -> Out {
    match kind {
        FileKind::Customers => {
            let name = q.name.unwrap_or_else(|| "customers.csv".into());
            json(with_app(&svc, move |app| app.import_customers(&c, &name, &body)).await?)
        }
        FileKind::Invoices => {
            let name = q.name.unwrap_or_else(|| "invoices.csv".into());
            json(with_app(&svc, move |app| app.import_invoices(&c, &name, &body)).await?)
        }
    }
}

// ---------------------------------------------------------------- claims

/// Which claims.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ClaimsQuery {
    /// open or paid.
    #[param(inline)]
    status: Option<StatusParam>,
    /// Only this customer's.
    customer: Option<String>,
    /// The `next` of the page before.
    cursor: Option<String>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// A segment.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SegmentParam {
    /// Chosen by the creditor.
    Vip,
    /// Neither.
    Normal,
    /// May not pay.
    Risk,
}

/// A claim's status.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StatusParam {
    /// Not yet paid.
    Open,
    /// Settled.
    Paid,
}

/// Claims, a page at a time by id, with their open balance.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/claims", tag = "claims",
    params(("creditor" = String, Path), ClaimsQuery),
    responses((status = 200, description = "claims and the next page's cursor", body = fordra_app::claims::ClaimPage), (status = 422, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn list_claims(State(svc): State<Shared>, Tenant(c): Reader, Query(q): Query<ClaimsQuery>) -> Out {
    let query = ClaimQuery {
        status: q.status.map(|s| match s {
            StatusParam::Open => ClaimStatus::Open,
            StatusParam::Paid => ClaimStatus::Paid,
        }),
        customer: q.customer.map(CustomerId),
        after: q.cursor.unwrap_or_default(),
        limit: q.limit.unwrap_or(100),
    };
    json(with_app(&svc, move |app| app.list_claims(&c, &query)).await?)
}

/// As of which day.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AsOf {
    /// The day (default: today).
    as_of: Option<NaiveDate>,
}

/// A claim: its timeline (invoice, steps with reasons, fees, interest, payments, pauses,
/// messages) and balance as of a day.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/claims/{claim}", tag = "claims",
    params(("creditor" = String, Path), ("claim" = String, Path), AsOf),
    responses((status = 200, description = "the claim", body = fordra_app::claims::ClaimView), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn show_claim(
    State(svc): State<Shared>,
    Tenant(c): Reader,
    Path((_creditor, claim)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Out {
    let as_of = today_or(&svc, q.as_of);
    json(with_app(&svc, move |app| app.claim_as_of(&c, &ClaimId(claim), as_of)).await?)
}

// ---------------------------------------------------------------- payments

/// The bank file.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BankFileQuery {
    /// The file's name (a file with a name seen before is recognised).
    name: String,
    /// bgmax, camt054, camt053, ktl or csv (default: recognised from the content).
    #[param(schema_with = bank_formats)]
    format: Option<BankFormat>,
    /// Match and show, book nothing.
    #[serde(default)]
    dry_run: bool,
}

/// Imports a bank file (BgMax, camt.053/054, KTL): payments matched to claims and booked; the
/// same file again books nothing.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/bank-files", tag = "payments",
    request_body(content = String, content_type = "application/octet-stream"),
    params(("creditor" = String, Path), BankFileQuery),
    responses((status = 200, description = "the import and each payment's outcome", body = BankFileOut), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn upload_bank_file(
    State(svc): State<Shared>,
    Tenant(c): Writer,
    Query(q): Query<BankFileQuery>,
    body: Bytes,
) -> Out {
    let format = q.format;
    let metrics = svc.clone();
    let (imported, payments) = with_app(&svc, move |app| {
        let mut payments = Vec::new();
        let file = BankFile { source: &q.name, bytes: &body, format, dry_run: q.dry_run };
        let imported = app.import_bank_file(&c, file, &mut |p| {
            payments.push(p);
            Ok(())
        })?;
        Ok((imported, payments))
    })
    .await?;
    for p in &payments {
        if p.matched_claim.is_some() {
            metrics.metrics.payments_matched.inc();
        } else {
            metrics.metrics.payments_unmatched.inc();
        }
    }
    json(BankFileOut { import: imported, payments })
}

/// A bank file's import and what became of each payment in it.
#[derive(serde::Serialize, ToSchema)]
struct BankFileOut {
    /// The file's totals and counts.
    import: fordra_app::bank::BankImported,
    /// Each payment: matched, booked, queued, refused …
    payments: Vec<fordra_app::bank::PaymentOut>,
}

/// A period.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Period {
    /// First day.
    from: NaiveDate,
    /// Last day.
    to: NaiveDate,
}

/// Payments received in a period and how each was booked.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/payments", tag = "payments",
    params(("creditor" = String, Path), Period),
    responses((status = 200, description = "payments"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn payment_report(State(svc): State<Shared>, Tenant(c): Reader, Query(p): Query<Period>) -> Out {
    json(with_app(&svc, move |app| app.payment_report(&c, p.from, p.to)).await?)
}

/// Payments no claim could be found for, with suggestions.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/payments/unmatched", tag = "payments",
    params(("creditor" = String, Path)),
    responses((status = 200, description = "unmatched payments", body = Vec<fordra_app::bank::PaymentOut>), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn unmatched_payments(State(svc): State<Shared>, Tenant(c): Reader) -> Out {
    json(with_app(&svc, move |app| app.unmatched_payments(&c)).await?)
}

/// The claim a payment belongs to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AssignIn {
    /// The claim's id.
    claim: String,
}

/// Books an unmatched payment on a claim.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/payments/{payment}/assign", tag = "payments",
    request_body = AssignIn, params(("creditor" = String, Path), ("payment" = String, Path)),
    responses((status = 200, description = "the payment booked", body = fordra_app::bank::PaymentOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn assign_payment(
    State(svc): State<Shared>,
    Tenant(c): Writer,
    Path((_creditor, payment)): Path<(String, String)>,
    Json(a): Json<AssignIn>,
) -> Out {
    json(with_app(&svc, move |app| app.assign_payment(&c, &payment, &ClaimId(a.claim))).await?)
}

// ---------------------------------------------------------------- runs

/// The creditor's daily runs.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/runs", tag = "runs",
    params(("creditor" = String, Path)),
    responses((status = 200, description = "runs, oldest first"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn list_runs(State(svc): State<Shared>, Tenant(c): Reader) -> Out {
    json(with_app(&svc, move |app| app.list_runs(&c)).await?)
}

/// A run to make.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RunIn {
    /// The day (default: today).
    date: Option<NaiveDate>,
    /// Decide and show, write nothing.
    #[serde(default)]
    dry_run: bool,
    /// Allow a date more than a week after today.
    #[serde(default)]
    allow_future: bool,
}

/// Runs the day: decides and records every open claim's next step (and the days missed before
/// it); a dry run writes nothing.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/runs", tag = "runs", request_body = RunIn,
    params(("creditor" = String, Path)),
    responses((status = 200, description = "the run's steps and segment changes", body = fordra_app::run::RunReport), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn run_day(State(svc): State<Shared>, Tenant(c): Writer, Json(r): Json<RunIn>) -> Out {
    let input = RunInput { date: today_or(&svc, r.date), dry_run: r.dry_run, allow_future: r.allow_future };
    let report = with_app(&svc, move |app| app.run_day(&c, input)).await?;
    if !report.dry_run {
        svc.metrics.runs.inc();
        svc.metrics.actions.inc_by(report.actions_created as u64);
    }
    json(report)
}

/// Why a run is undone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RevertIn {
    /// The reason, kept with the correcting entries.
    reason: String,
}

/// Reverts the latest run: its steps marked reverted, its fees and interest reversed by
/// correcting entries, its unsent messages cancelled.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/runs/{date}/revert", tag = "runs", request_body = RevertIn,
    params(("creditor" = String, Path), ("date" = NaiveDate, Path)),
    responses((status = 200, description = "what was reverted", body = fordra_app::run::RunReverted), (status = 409, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn revert_run(
    State(svc): State<Shared>,
    Tenant(c): Administrator,
    Path((_creditor, date)): Path<(String, NaiveDate)>,
    Json(r): Json<RevertIn>,
) -> Out {
    json(with_app(&svc, move |app| app.revert_run(&c, date, &r.reason)).await?)
}

// ---------------------------------------------------------------- pauses

/// Disputes, promises, payment plans and holds.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/pauses", tag = "pauses",
    params(("creditor" = String, Path)),
    responses((status = 200, description = "pauses"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn list_pauses(State(svc): State<Shared>, Tenant(c): Reader) -> Out {
    json(with_app(&svc, move |app| app.list_pauses(&c)).await?)
}

/// A pause: a dispute, a promise to pay, a payment plan or a hold.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PauseIn {
    /// One claim ...
    claim: Option<String>,
    /// ... or every claim of a customer.
    customer: Option<String>,
    /// dispute, promise, plan or hold.
    #[schema(schema_with = pause_kinds)]
    kind: PauseKind,
    /// Start (default: today).
    from: Option<NaiveDate>,
    /// End; a dispute may stay open until decided.
    until: Option<NaiveDate>,
    /// Why.
    reason: String,
    /// Charge the statutory payment-plan fee (plans only).
    #[serde(default)]
    plan_fee: bool,
    /// A payment plan's number of instalments.
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 1, maximum = 120)]
    instalments: Option<u32>,
}

/// Pauses a claim's (or customer's) steps; a promise, plan or dispute is confirmed to the debtor.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/pauses", tag = "pauses", request_body = PauseIn,
    params(("creditor" = String, Path)),
    responses((status = 201, description = "the pause", body = fordra_app::pauses::PauseAdded), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn add_pause(State(svc): State<Shared>, Tenant(c): Writer, Json(p): Json<PauseIn>) -> Created {
    let pause = NewPause {
        claim: p.claim.map(ClaimId),
        customer: p.customer.map(CustomerId),
        kind: p.kind,
        from: today_or(&svc, p.from),
        until: p.until,
        reason: p.reason,
        plan_fee: p.plan_fee,
        instalments: p.instalments,
    };
    created(with_app(&svc, move |app| app.add_pause(&c, &pause)).await?)
}

/// How a pause ends.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EndIn {
    /// The day (default: today).
    date: Option<NaiveDate>,
    /// A note (a dispute's decision).
    #[serde(default)]
    note: String,
}

/// Ends a pause.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/pauses/{pause}/end", tag = "pauses", request_body = EndIn,
    params(("creditor" = String, Path), ("pause" = i64, Path)),
    responses((status = 200, description = "ended", body = fordra_app::pauses::PauseEnded), (status = 404, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn end_pause(
    State(svc): State<Shared>,
    Tenant(c): Writer,
    Path((_creditor, pause)): Path<(String, i64)>,
    Json(e): Json<EndIn>,
) -> Out {
    let date = today_or(&svc, e.date);
    json(with_app(&svc, move |app| app.end_pause(&c, pause, date, &e.note)).await?)
}

// ---------------------------------------------------------------- deliveries and phone tasks

/// Which deliveries.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveriesQuery {
    /// queued, sending, sent, delivered, bounced, failed or cancelled.
    #[param(schema_with = delivery_statuses)]
    status: Option<DeliveryStatus>,
    /// letter, email, sms, call, …
    #[param(schema_with = channels)]
    channel: Option<Channel>,
    /// The `next` of the page before.
    cursor: Option<String>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// Letters, e-mails, texts and calls with their status and attempts, a page at a time by id.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/deliveries", tag = "deliveries",
    params(("creditor" = String, Path), DeliveriesQuery),
    responses((status = 200, description = "deliveries and the next page's cursor", body = fordra_app::outbox::DeliveryPage), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn list_deliveries(State(svc): State<Shared>, Tenant(c): Reader, Query(q): Query<DeliveriesQuery>) -> Out {
    let (after, limit) = (q.cursor.unwrap_or_default(), q.limit.unwrap_or(100));
    json(with_app(&svc, move |app| app.delivery_page(&c, q.status, q.channel, &after, limit)).await?)
}

/// A delivery's message as the debtor gets it (subject, text, amounts).
#[utoipa::path(get, path = "/v1/creditors/{creditor}/deliveries/{delivery}/message", tag = "deliveries",
    params(("creditor" = String, Path), ("delivery" = String, Path)),
    responses((status = 200, description = "the message"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn delivery_message(
    State(svc): State<Shared>,
    Tenant(c): Reader,
    Path((_creditor, delivery)): Path<(String, String)>,
) -> Out {
    json(with_app(&svc, move |app| app.preview(&c, &delivery)).await?)
}

/// The calls to make, with scripts, from when each may be made.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/tasks", tag = "deliveries",
    params(("creditor" = String, Path)),
    responses((status = 200, description = "phone tasks", body = Vec<fordra_app::outbox::PhoneTask>), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn phone_tasks(State(svc): State<Shared>, Tenant(c): Reader) -> Out {
    json(with_app(&svc, move |app| app.phone_tasks(&c, Utc::now())).await?)
}

/// A call's outcome.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CallIn {
    /// reached, no_answer, promise, dispute, wrong_number, …
    #[schema(schema_with = call_outcomes)]
    outcome: CallOutcome,
    /// A promise's date.
    promise_date: Option<NaiveDate>,
    /// What was said.
    #[serde(default)]
    note: String,
}

/// Records a call: a promise pauses the claims until its date, a dispute until decided.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/tasks/{task}/done", tag = "deliveries", request_body = CallIn,
    params(("creditor" = String, Path), ("task" = String, Path)),
    responses((status = 200, description = "recorded", body = fordra_app::outbox::CallRecorded), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = ["write"])))]
async fn phone_done(
    State(svc): State<Shared>,
    Tenant(c): Writer,
    Path((_creditor, task)): Path<(String, String)>,
    Json(call): Json<CallIn>,
) -> Out {
    let record = CallRecord { task, outcome: call.outcome, promise_date: call.promise_date, note: call.note };
    json(with_app(&svc, move |app| app.phone_done(&c, &record)).await?)
}

// ---------------------------------------------------------------- reports

/// Which report.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ReportKind {
    /// Outstanding by age.
    Aging,
    /// Customers by segment.
    Segments,
    /// Days sales outstanding and days to pay.
    Dso,
    /// Cash expected week by week.
    Forecast,
}

/// A report's day and window.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// The day (default: today).
    as_of: Option<NaiveDate>,
    /// DSO: the window in days (default 90).
    window: Option<i64>,
    /// Forecast: weeks ahead (default 13; with `backtest`, of each past forecast, default 4).
    weeks: Option<i64>,
    /// Forecast: replay it for past weeks with only what was known then, against the receipts.
    backtest: Option<bool>,
    /// Forecast backtest: how many past forecasts, a week apart (default 12).
    back: Option<i64>,
}

/// Aging, segments, DSO or the cash forecast.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/reports/{kind}", tag = "reports",
    params(("creditor" = String, Path), ("kind" = ReportKind, Path), ReportQuery),
    responses((status = 200, description = "the report"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn report(
    State(svc): State<Shared>,
    Tenant(c): Reader,
    Path((_creditor, kind)): Path<(String, ReportKind)>,
    Query(q): Query<ReportQuery>,
) -> Out {
    let as_of = today_or(&svc, q.as_of);
    with_app(&svc, move |app| {
        Ok(match kind {
            ReportKind::Aging => serde_json::to_value(app.aging(&c, as_of)?),
            ReportKind::Segments => serde_json::to_value(app.segments(&c, as_of)?),
            ReportKind::Dso => serde_json::to_value(app.dso(&c, as_of, q.window.unwrap_or(90))?),
            ReportKind::Forecast if q.backtest == Some(true) => {
                serde_json::to_value(app.forecast_backtest(&c, as_of, q.back.unwrap_or(12), q.weeks.unwrap_or(4))?)
            }
            ReportKind::Forecast => serde_json::to_value(app.forecast(&c, as_of, q.weeks.unwrap_or(13))?),
        })
    })
    .await?
    .map(axum::Json)
    .map_err(|e| ApiError::internal(e.to_string()))
}

// ---------------------------------------------------------------- policy, models, experiments

/// The creditor's policy: handling models per segment, segmentation rules, letters, challengers.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/policy", tag = "policy",
    params(("creditor" = String, Path)),
    responses((status = 200, description = "the policy"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn show_policy(State(svc): State<Shared>, Tenant(c): Reader) -> Out {
    json(with_app(&svc, move |app| app.show_policy(&c)).await?)
}

/// Replaces the policy with a TOML document (the format of `fordra policy set`), checked against
/// the law and the message catalogue.
#[utoipa::path(put, path = "/v1/creditors/{creditor}/policy", tag = "policy",
    request_body(content = String, content_type = "text/plain", description = "the policy as TOML"),
    params(("creditor" = String, Path)),
    responses((status = 200, description = "updated", body = fordra_app::policy::PolicySet), (status = 422, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn set_policy(State(svc): State<Shared>, Tenant(c): Administrator, body: Bytes) -> Out {
    json(
        with_app(&svc, move |app| {
            let policy = fordra_app::policy::parse_policy("policy", &body)?;
            app.set_policy(&c, policy, "policy", &fordra_comms::messages::check_own_texts)
        })
        .await?,
    )
}

/// The payment-behaviour model's versions.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/models", tag = "models",
    params(("creditor" = String, Path)),
    responses((status = 200, description = "model versions"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn list_models(State(svc): State<Shared>, Tenant(c): Reader) -> Out {
    json(with_app(&svc, move |app| app.list_models(&c)).await?)
}

/// Training on the creditor's history.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TrainIn {
    /// Train on invoices due before this day (default: today).
    until: Option<NaiveDate>,
    /// Late means paid more than this many days after due (default 10).
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 365)]
    late_after: Option<i64>,
    /// Very late (default 30).
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 3650)]
    very_late_after: Option<i64>,
}

/// Trains a new model version on the creditor's history.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/models", tag = "models", request_body = TrainIn,
    params(("creditor" = String, Path)),
    responses((status = 201, description = "the new version and its evaluation"), (status = 422, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn train_model(State(svc): State<Shared>, Tenant(c): Administrator, Json(t): Json<TrainIn>) -> Created {
    let input = fordra_app::model::TrainInput {
        until: today_or(&svc, t.until),
        late_after: t.late_after.unwrap_or(10),
        very_late_after: t.very_late_after.unwrap_or(30),
    };
    created(with_app(&svc, move |app| app.train_model(&c, input)).await?)
}

/// Puts a model version in use by the runs.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/models/{version}/use", tag = "models",
    params(("creditor" = String, Path), ("version" = u32, Path)),
    responses((status = 200, description = "in use", body = fordra_app::model::ModelActivated), (status = 404, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn use_model(
    State(svc): State<Shared>,
    Tenant(c): Administrator,
    Path((_creditor, version)): Path<(String, u32)>,
) -> Out {
    json(with_app(&svc, move |app| app.use_model(&c, version)).await?)
}

/// The strategy lab's experiments.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/experiments", tag = "experiments",
    params(("creditor" = String, Path)),
    responses((status = 200, description = "experiments"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn list_experiments(State(svc): State<Shared>, Tenant(c): Reader) -> Out {
    json(with_app(&svc, move |app| app.list_experiments(&c)).await?)
}

/// An experiment's day and horizon.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExperimentQuery {
    /// The day (default: today).
    as_of: Option<NaiveDate>,
    /// Days a claim is followed after its first step under the experiment, or a reminder under
    /// the contact policy (default 30).
    horizon: Option<i64>,
    /// The creditor's cost of a letter, for the net value (default: its currency's).
    letter_cost: Option<f64>,
    /// Of an e-mail.
    email_cost: Option<f64>,
    /// Of a text.
    text_cost: Option<f64>,
    /// Of a phone call.
    call_cost: Option<f64>,
    /// Cost of capital, per cent a year (default 8).
    capital_rate: Option<f64>,
}

/// An experiment's arms compared, with intervals and a verdict.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/experiments/{name}", tag = "experiments",
    params(("creditor" = String, Path), ("name" = String, Path), ExperimentQuery),
    responses((status = 200, description = "the report"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn experiment_report(
    State(svc): State<Shared>,
    Tenant(c): Reader,
    Path((_creditor, name)): Path<(String, String)>,
    Query(q): Query<ExperimentQuery>,
) -> Out {
    let as_of = today_or(&svc, q.as_of);
    let costs = q.costs();
    json(with_app(&svc, move |app| app.experiment_report(&c, &name, as_of, q.horizon.unwrap_or(30), &costs)).await?)
}

impl ExperimentQuery {
    fn costs(&self) -> fordra_app::strategy::CostInput {
        fordra_app::strategy::CostInput {
            letter: self.letter_cost,
            email: self.email_cost,
            text: self.text_cost,
            call: self.call_cost,
            capital_rate: self.capital_rate,
        }
    }
}

/// The contact policy against the champion share kept on the handling models' own channel:
/// each claim's first reminder under it whose horizon has passed, per arm and per option (and per
/// wording and send day by segment and kind), the differences of like debtors with 95 %
/// intervals, and a verdict (`fordra strategy contact`).
#[utoipa::path(get, path = "/v1/creditors/{creditor}/contact-policy", tag = "experiments",
    params(("creditor" = String, Path), ExperimentQuery),
    responses((status = 200, description = "the report"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = ["read"])))]
async fn contact_report(State(svc): State<Shared>, Tenant(c): Reader, Query(q): Query<ExperimentQuery>) -> Out {
    let input = fordra_app::contact::ContactReportInput {
        date: today_or(&svc, q.as_of),
        horizon: q.horizon.unwrap_or(30),
        costs: q.costs(),
    };
    json(with_app(&svc, move |app| app.contact_report(&c, &input)).await?)
}

/// How an experiment ends.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Ending {
    /// The challenger becomes the segment's model.
    Adopt,
    /// The challenger is dropped.
    Stop,
}

/// Ends an experiment: adopt the challenger or stop it.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/experiments/{name}/{ending}", tag = "experiments",
    params(("creditor" = String, Path), ("name" = String, Path), ("ending" = Ending, Path)),
    responses((status = 200, description = "ended", body = fordra_app::strategy::ExperimentEnded), (status = 404, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn end_experiment(
    State(svc): State<Shared>,
    Tenant(c): Administrator,
    Path((_creditor, name, ending)): Path<(String, String, Ending)>,
) -> Out {
    let today = svc.today();
    json(
        with_app(&svc, move |app| match ending {
            Ending::Adopt => app.adopt_challenger(&c, &name, today),
            Ending::Stop => app.stop_challenger(&c, &name, today),
        })
        .await?,
    )
}

// ---------------------------------------------------------------- keys

/// The creditor's API keys (never the keys themselves).
#[utoipa::path(get, path = "/v1/creditors/{creditor}/keys", tag = "keys",
    params(("creditor" = String, Path)),
    responses((status = 200, description = "keys"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn list_keys(State(svc): State<Shared>, Tenant(c): Administrator) -> Out {
    json(with_app(&svc, move |app| app.list_keys(Some(&c))).await?)
}

/// A key to make.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct KeyIn {
    /// read, write or admin.
    #[schema(schema_with = scopes)]
    scope: Scope,
    /// A name to recognise it by.
    #[serde(default)]
    label: String,
}

/// Makes a key for the creditor; the answer is the only time the key is shown.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/keys", tag = "keys", request_body = KeyIn,
    params(("creditor" = String, Path)),
    responses((status = 201, description = "the key", body = fordra_app::keys::KeyMade), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn add_key(State(svc): State<Shared>, Tenant(c): Administrator, Json(k): Json<KeyIn>) -> Created {
    let new = NewKey { creditor: Some(c), scope: k.scope, label: k.label, now: Utc::now().timestamp() };
    created(with_app(&svc, move |app| app.add_key(&new)).await?)
}

/// Revokes one of the creditor's keys.
#[utoipa::path(delete, path = "/v1/creditors/{creditor}/keys/{key}", tag = "keys",
    params(("creditor" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "revoked", body = fordra_app::keys::KeyRevoked), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn revoke_key(
    State(svc): State<Shared>,
    Tenant(c): Administrator,
    Path((_creditor, key)): Path<(String, String)>,
) -> Out {
    let now = Utc::now().timestamp();
    json(with_app(&svc, move |app| app.revoke_key(Some(&c), &key, now)).await?)
}

// ---------------------------------------------------------------- webhooks

/// A subscription to make.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WebhookIn {
    /// Where events are POSTed (http or https).
    url: String,
    /// Event kinds wanted (default: all): invoice.settled, invoice.reopened, payment.received,
    /// payment.unmatched, segment.changed, step.taken, delivery.failed, dispute.opened,
    /// promise.broken, case.handed_over, run.finished.
    #[serde(default)]
    events: Vec<String>,
}

/// The creditor's webhook subscriptions.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/webhooks", tag = "webhooks",
    params(("creditor" = String, Path)),
    responses((status = 200, description = "subscriptions"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn list_webhooks(State(svc): State<Shared>, Tenant(c): Administrator) -> Out {
    json(with_app(&svc, move |app| app.list_webhooks(&c)).await?)
}

/// Subscribes to events; the answer holds the signing secret, shown only now. Each event is
/// POSTed as JSON with `Fordra-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/webhooks", tag = "webhooks", request_body = WebhookIn,
    params(("creditor" = String, Path)),
    responses((status = 201, description = "the subscription and its secret", body = fordra_app::webhooks::WebhookMade), (status = 422, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn add_webhook(State(svc): State<Shared>, Tenant(c): Administrator, Json(w): Json<WebhookIn>) -> Created {
    let new = fordra_app::webhooks::NewWebhook { url: w.url, kinds: w.events, now: Utc::now().timestamp() };
    created(with_app(&svc, move |app| app.add_webhook(&c, &new)).await?)
}

/// Ends a subscription (its log is kept).
#[utoipa::path(delete, path = "/v1/creditors/{creditor}/webhooks/{webhook}", tag = "webhooks",
    params(("creditor" = String, Path), ("webhook" = String, Path)),
    responses((status = 200, description = "deleted"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn delete_webhook(
    State(svc): State<Shared>,
    Tenant(c): Administrator,
    Path((_creditor, webhook)): Path<(String, String)>,
) -> Out {
    let now = Utc::now().timestamp();
    with_app(&svc, move |app| app.delete_webhook(&c, &webhook, now)).await?;
    json(serde_json::json!({"deleted": true}))
}

/// A page of the delivery log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogQuery {
    /// The `next` of the page before (an event id).
    #[param(minimum = 0)]
    cursor: Option<i64>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// A subscription's delivery log: each event's status, attempts, last answer.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/webhooks/{webhook}/deliveries", tag = "webhooks",
    params(("creditor" = String, Path), ("webhook" = String, Path), LogQuery),
    responses((status = 200, description = "deliveries and the next page's cursor"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn webhook_log(
    State(svc): State<Shared>,
    Tenant(c): Administrator,
    Path((_creditor, webhook)): Path<(String, String)>,
    Query(q): Query<LogQuery>,
) -> Out {
    json(with_app(&svc, move |app| app.webhook_log(&c, &webhook, q.cursor.unwrap_or(0), q.limit.unwrap_or(100))).await?)
}

/// Which events to send again.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReplayIn {
    /// The first event id.
    #[serde(deserialize_with = "whole_required")]
    #[schema(minimum = 0)]
    from: i64,
    /// The last event id (default: the first).
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 0)]
    to: Option<i64>,
}

/// Sends events again (delivered or given up), in order, from now.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/webhooks/{webhook}/replay", tag = "webhooks", request_body = ReplayIn,
    params(("creditor" = String, Path), ("webhook" = String, Path)),
    responses((status = 200, description = "how many", body = fordra_app::webhooks::Replayed), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = ["admin"])))]
async fn replay_webhook(
    State(svc): State<Shared>,
    Tenant(c): Administrator,
    Path((_creditor, webhook)): Path<(String, String)>,
    Json(r): Json<ReplayIn>,
) -> Out {
    let now = Utc::now().timestamp();
    json(with_app(&svc, move |app| app.replay_webhook(&c, &webhook, r.from, r.to.unwrap_or(r.from), now)).await?)
}

// ---------------------------------------------------------------- more of the CLI's work

/// What to change of a creditor.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreditorChangeIn {
    /// Its name.
    name: Option<String>,
    /// Bankgiro ("" removes it).
    bankgiro: Option<String>,
    /// IBANs, comma-separated ("" removes them).
    iban: Option<String>,
    /// Reminder fees agreed in its terms.
    reminder_fee_agreed: Option<bool>,
}

/// Changes a creditor's name, accounts or fee agreement.
#[utoipa::path(patch, path = "/v1/creditors/{creditor}", tag = "creditors", request_body = CreditorChangeIn,
    params(("creditor" = String, Path)),
    responses((status = 200, description = "updated", body = fordra_app::creditors::CreditorUpdated)),
    security(("bearer" = ["admin"])))]
async fn update_creditor(State(svc): State<Shared>, Tenant(c): Administrator, Json(x): Json<CreditorChangeIn>) -> Out {
    let change = fordra_app::creditors::CreditorChange {
        name: x.name,
        bankgiro: x.bankgiro,
        iban: x.iban,
        reminder_fee_agreed: x.reminder_fee_agreed,
        jurisdiction: None,
        currency: None,
    };
    json(with_app(&svc, move |app| app.update_creditor(&c, &change)).await?)
}

/// A refund of a customer's credit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefundIn {
    /// The amount, a decimal string.
    #[schema(value_type = String, example = "12.50", pattern = r"^[0-9]{1,13}(\.[0-9]{1,2})?$")]
    amount: fordra_app::Minor,
    /// The day (default: today).
    date: Option<NaiveDate>,
    /// A note.
    #[serde(default)]
    note: String,
}

/// Pays back (part of) a customer's credit from overpayments; the same refund twice is one.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/customers/{customer}/refunds", tag = "customers",
    request_body = RefundIn, params(("creditor" = String, Path), ("customer" = String, Path)),
    responses((status = 201, description = "the refund", body = fordra_app::customers::Refunded)),
    security(("bearer" = ["write"])))]
async fn refund(
    State(svc): State<Shared>,
    Tenant(c): Writer,
    Path((_creditor, customer)): Path<(String, String)>,
    Json(r): Json<RefundIn>,
) -> Created {
    let input = fordra_app::customers::RefundInput {
        customer: CustomerId(customer),
        amount: r.amount,
        currency: None,
        date: today_or(&svc, r.date),
        note: r.note,
    };
    created(with_app(&svc, move |app| app.refund(&c, &input)).await?)
}

/// The law tables in force, with their sources.
#[utoipa::path(get, path = "/v1/law", tag = "law", responses((status = 200, description = "the law tables")),
    security(("bearer" = ["read"])))]
async fn law(State(svc): State<Shared>, Extension(_caller): Extension<Caller>) -> Out {
    json(&svc.law)
}

/// A quote: interest and lawful fees for a claim.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct QuoteIn {
    /// se, fi, no, dk or eu.
    #[schema(schema_with = jurisdictions)]
    jurisdiction: JurisdictionCode,
    /// consumer or business.
    #[schema(schema_with = debtor_kinds)]
    debtor: fordra_core::domain::DebtorKind,
    /// The principal, a decimal string.
    #[schema(value_type = String, example = "10000.00", pattern = r"^[0-9]{1,13}(\.[0-9]{1,2})?$")]
    principal: fordra_app::Minor,
    /// The due date.
    due: NaiveDate,
    /// The day (default: today).
    as_of: Option<NaiveDate>,
    /// Steps taken: reminder, collection, late_compensation, payment_plan, …
    #[serde(default)]
    #[schema(schema_with = fee_kinds)]
    steps: Vec<fordra_core::domain::FeeKind>,
    /// A reminder fee was agreed.
    #[serde(default)]
    reminder_fee_agreed: bool,
}

/// The advisor's calculator: interest per period and each fee with its legal basis.
#[utoipa::path(post, path = "/v1/quote", tag = "law", request_body = QuoteIn,
    responses((status = 200, description = "the quote", body = fordra_app::quote::QuoteOut)),
    security(("bearer" = ["read"])))]
async fn quote(State(svc): State<Shared>, Extension(_caller): Extension<Caller>, Json(q): Json<QuoteIn>) -> Out {
    let request = fordra_app::quote::QuoteRequest {
        jurisdiction: q.jurisdiction,
        debtor: q.debtor,
        principal: q.principal,
        currency: None,
        due: q.due,
        as_of: today_or(&svc, q.as_of),
        steps: q.steps,
        reminder_fee_agreed: q.reminder_fee_agreed,
        contract_rate: None,
        collector: Default::default(),
        demand_date: None,
        instalments: None,
    };
    json(fordra_app::quote::quote(&svc.law, &request)?)
}

/// Which explanation.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExplainQuery {
    /// Why this invoice scores as it does.
    invoice: Option<String>,
    /// Why this customer scores as it does.
    customer: Option<String>,
    /// The day (default: today).
    date: Option<NaiveDate>,
}

/// What drives the credit time (the model's strongest factors), or why one invoice or customer
/// scores as it does.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/models/explain", tag = "models",
    params(("creditor" = String, Path), ExplainQuery),
    responses((status = 200, description = "the explanation")),
    security(("bearer" = ["read"])))]
async fn explain_model(State(svc): State<Shared>, Tenant(c): Reader, Query(q): Query<ExplainQuery>) -> Out {
    json(
        with_app(&svc, move |app| {
            let x = fordra_app::model::ExplainInput {
                model: fordra_app::model::ModelChoice::Active,
                invoice: q.invoice,
                customer: q.customer,
                date: q.date,
                chart: false,
            };
            app.explain_model(&c, &x)
        })
        .await?,
    )
}

/// Which scores.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ScoreQuery {
    /// The day (default: today).
    as_of: Option<NaiveDate>,
    /// Score open invoices instead of customers.
    #[serde(default)]
    invoices: bool,
}

/// Every customer (or open invoice) scored by the model, riskiest first.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/models/scores", tag = "models",
    params(("creditor" = String, Path), ScoreQuery),
    responses((status = 200, description = "scores")),
    security(("bearer" = ["read"])))]
async fn model_scores(State(svc): State<Shared>, Tenant(c): Reader, Query(q): Query<ScoreQuery>) -> Out {
    let as_of = today_or(&svc, q.as_of);
    json(with_app(&svc, move |app| app.score(&c, as_of, q.invoices)).await?)
}

/// An evaluation window.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EvaluateQuery {
    /// Test on invoices issued from this day.
    from: NaiveDate,
    /// ... to this day (default: all after).
    to: Option<NaiveDate>,
    /// Late: paid more than this many days after due (default 10).
    #[param(minimum = 0, maximum = 365)]
    late_after: Option<i64>,
    /// Very late (default 30).
    #[param(minimum = 0, maximum = 3650)]
    very_late_after: Option<i64>,
}

/// The model trained before `from` and tested after it, against the simple rules.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/models/evaluation", tag = "models",
    params(("creditor" = String, Path), EvaluateQuery),
    responses((status = 200, description = "the evaluation")),
    security(("bearer" = ["read"])))]
async fn evaluate_model(State(svc): State<Shared>, Tenant(c): Reader, Query(q): Query<EvaluateQuery>) -> Out {
    json(
        with_app(&svc, move |app| {
            app.evaluate_model(&c, q.from, q.to, q.late_after.unwrap_or(10), q.very_late_after.unwrap_or(30))
        })
        .await?,
    )
}

/// A backtest's window.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BacktestQuery {
    /// Claims due from this day.
    from: Option<NaiveDate>,
    /// ... to this day.
    to: Option<NaiveDate>,
    /// Days after the first step within which payment counts (default 30).
    #[param(minimum = 1, maximum = 365)]
    horizon: Option<i64>,
}

/// Replays a segment's past claims under other steps (a TOML list of `[[step]]`, the format of
/// `fordra strategy backtest`), before adopting them.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/backtests/{segment}", tag = "experiments",
    request_body(content = String, content_type = "text/plain", description = "the steps as TOML"),
    params(("creditor" = String, Path), ("segment" = SegmentParam, Path), BacktestQuery),
    responses((status = 200, description = "the backtest")),
    security(("bearer" = ["read"])))]
async fn backtest(
    State(svc): State<Shared>,
    Tenant(c): Reader,
    Path((_creditor, segment)): Path<(String, SegmentParam)>,
    Query(q): Query<BacktestQuery>,
    body: Bytes,
) -> Out {
    let date = svc.today();
    json(
        with_app(&svc, move |app| {
            let steps = fordra_app::strategy::parse_steps("steps", &body)?;
            let b = fordra_app::strategy::BacktestInput {
                segment: match segment {
                    SegmentParam::Vip => fordra_core::domain::Segment::Vip,
                    SegmentParam::Normal => fordra_core::domain::Segment::Normal,
                    SegmentParam::Risk => fordra_core::domain::Segment::Risk,
                },
                steps,
                from: q.from,
                to: q.to,
                horizon: q.horizon.unwrap_or(30),
                date,
            };
            app.backtest(&c, &b)
        })
        .await?,
    )
}

/// The export's mapping.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// The file's name.
    name: Option<String>,
    /// The export's currency.
    currency: Option<String>,
    /// The date format (e.g. %d.%m.%Y; default %Y-%m-%d).
    date_format: Option<String>,
    /// KEY=COLUMN mappings, comma-separated (customer=Kund,amount=Belopp).
    map: Option<String>,
}

/// Imports an accounts-receivable export (CSV) for the payment-behaviour model.
#[utoipa::path(post, path = "/v1/creditors/{creditor}/files/history", tag = "files",
    request_body(content = String, content_type = "text/csv"),
    params(("creditor" = String, Path), HistoryQuery),
    responses((status = 200, description = "rows imported")),
    security(("bearer" = ["write"])))]
async fn import_history(
    State(svc): State<Shared>,
    Tenant(c): Writer,
    Query(q): Query<HistoryQuery>,
    body: Bytes,
) -> Out {
    json(
        with_app(&svc, move |app| {
            let currency = q
                .currency
                .as_deref()
                .map(|s| s.parse::<Currency>().map_err(|e| fordra_app::AppError::invalid("currency", e.to_string())))
                .transpose()?;
            let name = q.name.unwrap_or_else(|| "history.csv".into());
            let h = fordra_app::history::HistoryImport {
                source: &name,
                bytes: &body,
                mapping_file: None,
                currency,
                maps: q.map.map(|m| m.split(',').map(str::to_string).collect()).unwrap_or_default(),
                date_format: q.date_format,
                features: Vec::new(),
            };
            app.import_history(&c, &h)
        })
        .await?,
    )
}

/// A delivery's letter as a PDF, as it would be printed now.
#[utoipa::path(get, path = "/v1/creditors/{creditor}/deliveries/{delivery}/letter", tag = "deliveries",
    params(("creditor" = String, Path), ("delivery" = String, Path)),
    responses((status = 200, description = "the letter", content_type = "application/pdf", body = Vec<u8>)),
    security(("bearer" = ["read"])))]
async fn letter_pdf(
    State(svc): State<Shared>,
    Tenant(c): Reader,
    Path((_creditor, delivery)): Path<(String, String)>,
) -> ApiResult<axum::response::Response> {
    let config = svc.delivery.clone();
    let pdf = with_app(&svc, move |app| letter_of(app, config, &c, &delivery)).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/pdf")], pdf).into_response())
}

/// A delivery's letter as a PDF, as it would be printed now (the API's and the pages').
pub(crate) fn letter_of(
    app: &mut fordra_app::App<'_>,
    config: fordra_comms::couriers::Config,
    creditor: &CreditorId,
    delivery: &str,
) -> Result<Vec<u8>, fordra_app::AppError> {
    let m = app.preview(creditor, delivery)?;
    let couriers = fordra_comms::couriers::Couriers::new(config)
        .map_err(|e| fordra_app::AppError::invalid("delivery configuration", e.to_string()))?;
    let (_, pdf) = couriers.letter(&m).map_err(|e| fordra_app::AppError::invalid("letter", e.to_string()))?;
    Ok(pdf)
}

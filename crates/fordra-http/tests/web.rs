//! The web pages' security through real HTTP, on SQLite and PostgreSQL: sign-in and its rate
//! limit, CSRF refused, roles, the tenancy matrix extended to every page and form, and the
//! debtor's link: one debtor's link opens no other debtor's page or claim, an expired or
//! altered link is refused. Every change is recorded with who made it.

#[macro_use]
mod common;

use common::{start, Server, LINK_SECRET};
use fordra_app::users::{NewUser, Role};
use fordra_app::{App, CreditorId};
use fordra_comms::links::LinkConfig;
use fordra_core::law::LawBook;
use fordra_store::Store;
use serde_json::json;

/// A browser without JavaScript: cookies kept by hand, redirects not followed.
struct Browser<'a> {
    s: &'a Server,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: u16,
    location: String,
    body: String,
}

impl Page {
    /// The value of the first hidden input named `name`.
    fn field(&self, name: &str) -> String {
        let at =
            self.body.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("{name}: {}", self.body));
        let rest = &self.body[at + name.len() + 15..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into()
}

impl<'a> Browser<'a> {
    fn new(s: &'a Server) -> Browser<'a> {
        Browser { s, cookies: Vec::new() }
    }

    fn send(&mut self, method: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{}", self.s.base, path) };
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if !self.cookies.is_empty() {
            let c: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header("cookie", c.join("; "));
        }
        let body = serde_urlencoded::to_string(form).unwrap();
        let req = req.header("content-type", "application/x-www-form-urlencoded").body(body.into_bytes()).unwrap();
        let mut resp = agent().run(req).unwrap();
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            assert!(v.contains("HttpOnly") && v.contains("SameSite=Strict") && v.contains("Secure"), "{v}");
            let (k, rest) = v.split_once('=').unwrap();
            let value = rest.split(';').next().unwrap().to_string();
            self.cookies.retain(|(n, _)| n != k);
            if !value.is_empty() {
                self.cookies.push((k.to_string(), value));
            }
        }
        let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        let status = resp.status().as_u16();
        Page { status, location, body: resp.body_mut().read_to_string().unwrap_or_default() }
    }

    fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, &[])
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", path, form)
    }

    fn sign_in(&mut self, id: &str, password: &str) -> Page {
        let csrf = self.get("/login?lang=en").field("csrf");
        self.post("/login", &[("csrf", &csrf), ("id", id), ("password", password), ("next", "/app"), ("lang", "en")])
    }

    /// The session's CSRF token, as every staff page carries it.
    fn csrf(&mut self, page: &str) -> String {
        self.get(page).field("csrf")
    }
}

const PASSWORD: &str = "correct horse battery staple";

/// Users of "acme" (read, advisor, admin) and of "other" (admin); a customer with an overdue
/// invoice for each, run so it has a reminder.
fn setup(s: &Server) {
    let law = LawBook::embedded();
    let mut store = Store::open(&s.url).unwrap();
    let mut app = App::new(&mut store, &law, common::d(common::TODAY));
    for (id, c, role) in [
        ("read@acme.test", "acme", Role::Read),
        ("advisor@acme.test", "acme", Role::Advisor),
        ("admin@acme.test", "acme", Role::Admin),
        ("admin@other.test", "other", Role::Admin),
        ("operator@agency.test", "", Role::Advisor),
    ] {
        let u = NewUser {
            id: id.into(),
            creditor: (!c.is_empty()).then(|| CreditorId(c.into())),
            name: id.into(),
            role,
            password: PASSWORD.into(),
            language: "en".into(),
            now: 0,
        };
        app.add_user(&u).unwrap();
    }
    drop(store);
    for (c, key) in [("acme", &s.keys.write), ("other", &s.keys.foreign)] {
        let customers = json!({"customers": [
            {"id": "c1", "name": "Anna Andersson", "kind": "consumer", "email": "anna@example.se", "language": "sv"},
            {"id": "c2", "name": "Bertil Berg", "kind": "consumer", "language": "sv"}]});
        assert_eq!(s.post(&format!("/v1/creditors/{c}/customers"), key, &customers).status, 200);
        let ocr = fordra_core::reference::make(fordra_core::reference::Scheme::SeOcr, "1001").unwrap();
        let invoices = json!({"invoices": [
            {"id": "i1", "customer_id": "c1", "issue_date": "2026-01-01", "due_date": "2026-01-31", "amount": "1000.00",
             "reference": ocr},
            {"id": "i2", "customer_id": "c2", "issue_date": "2026-01-01", "due_date": "2026-01-31", "amount": "500.00"}]});
        assert_eq!(s.post(&format!("/v1/creditors/{c}/invoices"), key, &invoices).status, 200);
        let run = s.post(&format!("/v1/creditors/{c}/runs"), key, &json!({"date": "2026-02-10"}));
        assert_eq!(run.status, 200, "{}", run.body);
    }
}

fn links() -> LinkConfig {
    LinkConfig { base_url: "https://pay.example.se".into(), secret: LINK_SECRET.into(), valid_days: 60 }
}

/// The debtor's link as a path on the test service.
fn debtor_link(creditor: &str, customer: &str, from: chrono::NaiveDate) -> String {
    links().link_for(creditor, customer, from).unwrap().replace("https://pay.example.se", "")
}

fn sign_in_and_csrf(url: &str) {
    let s = &start(url);
    setup(s);
    let mut b = Browser::new(s);
    // Without a session every page sends to the sign-in page.
    let p = b.get("/app/acme");
    assert_eq!((p.status, p.location.as_str()), (303, "/login?next=/app/acme"));
    // A wrong password and an unknown user get the same answer.
    let wrong = b.sign_in("admin@acme.test", "not the password");
    let unknown = b.sign_in("nobody@acme.test", "not the password");
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert!(wrong.body.contains("The user name or password is wrong") && unknown.body.contains("is wrong"));
    // The sign-in form without its token is refused.
    let p = Browser::new(s).post("/login", &[("id", "admin@acme.test"), ("password", PASSWORD)]);
    assert_eq!(p.status, 403);
    let p = b.sign_in("admin@acme.test", PASSWORD);
    assert_eq!((p.status, p.location.as_str()), (303, "/app"));
    assert_eq!(b.get("/app").location, "/app/acme");
    let home = b.get("/app/acme");
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("Outstanding by days past due") && home.body.contains("<canvas"));
    // Each chart's numbers as CSV.
    let csv = b.get("/app/acme/dashboard/aging.csv");
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("bucket,claims,open_SEK\nnot due,0,0.00\n"), "{}", csv.body);
    // Both invoices, due 2026-01-31, are 30 days late on 2026-03-02: 1500.00 of principal and
    // two reminder fees of 60.00 (SE), plus the interest the run posted.
    let line = csv.body.lines().find(|l| l.starts_with("1-30,")).unwrap();
    assert!(line.starts_with("1-30,2,16"), "{}", csv.body);

    // A form without the CSRF token, or with another, is refused and changes nothing.
    let form = [("kind", "hold"), ("claim", "i1"), ("until", "2026-04-01"), ("reason", "x"), ("back", "/app/acme")];
    let p = b.post("/app/acme/pauses", &form);
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("security token"));
    let mut with_wrong = form.to_vec();
    with_wrong.push(("csrf", "0000000000000000000000000000000000000000000000000000000000000000"));
    assert_eq!(b.post("/app/acme/pauses", &with_wrong).status, 403);
    let claim = b.get("/app/acme/claims/i1");
    assert!(claim.body.contains("Nothing here."), "no pause was added");
    // With the token: done, and recorded as the user's doing.
    let csrf = b.csrf("/app/acme/claims/i1");
    let mut ok = form.to_vec();
    ok.push(("csrf", &csrf));
    let p = b.post("/app/acme/pauses", &ok);
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(p.location.starts_with("/app/acme?ok=hold"), "{}", p.location);
    assert!(b.get(&p.location).body.contains("<p role=\"status\" class=\"ok\">hold "), "the outcome is shown");
    let mut store = Store::open(&s.url).unwrap();
    let audit = store.audit_recent("acme", "user:admin@acme.test", "claim:i1", 10).unwrap();
    assert!(audit.iter().any(|a| a.event == "pause:hold"), "{audit:?}");
    drop(store);
    // A refused action shows the application's own words.
    let p = b.post("/app/acme/pauses", &[("csrf", &csrf), ("kind", "promise"), ("claim", "i1"), ("reason", "soon")]);
    assert_eq!(p.status, 422);
    assert!(p.body.contains("a promise needs an end date"), "{}", p.body);
    // Signing out needs the token too; afterwards the session is gone.
    assert_eq!(b.post("/logout", &[]).status, 403);
    assert_eq!(b.post("/logout", &[("csrf", &csrf)]).location, "/login");
    assert_eq!(b.get("/app/acme").status, 303);
}
both!(sign_in_and_csrf);

fn roles_and_tenancy(url: &str) {
    let s = &start(url);
    setup(s);
    let pages = [
        "/app/acme",
        "/app/acme/dashboard/aging.csv",
        "/app/acme/claims",
        "/app/acme/claims/i1",
        "/app/acme/customers/c1",
        "/app/acme/work",
        "/app/acme/model/normal",
    ];
    let forms = [
        ("/app/acme/pauses", Role::Advisor),
        ("/app/acme/pauses/1/decide", Role::Advisor),
        ("/app/acme/pauses/1/end", Role::Advisor),
        ("/app/acme/customers/c1/vip", Role::Advisor),
        ("/app/acme/customers/c1/notes", Role::Advisor),
        ("/app/acme/payments/p1/assign", Role::Advisor),
        ("/app/acme/tasks/t1/done", Role::Advisor),
        ("/app/acme/model/normal", Role::Admin),
        ("/app/acme/run", Role::Admin),
    ];
    // Another creditor's staff: every page and form of acme is "not found", even its admin.
    let mut other = Browser::new(s);
    other.sign_in("admin@other.test", PASSWORD);
    let csrf = other.csrf("/app/other");
    for p in pages {
        let page = other.get(p);
        assert_eq!(page.status, 404, "{p}: {}", page.body);
        assert!(!page.body.contains("Anna"), "{p}");
    }
    for (f, _) in forms {
        assert_eq!(other.post(f, &[("csrf", &csrf)]).status, 404, "{f}");
    }
    assert_eq!(other.get("/app/other/claims/i1").status, 200, "its own");
    // An operator (no creditor) chooses among every creditor and works each.
    let mut op = Browser::new(s);
    op.sign_in("operator@agency.test", PASSWORD);
    let home = op.get("/app");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("href=\"/app/acme\"") && home.body.contains("href=\"/app/other\""), "{}", home.body);
    let csrf = home.field("csrf");
    for c in ["acme", "other"] {
        assert_eq!(op.get(&format!("/app/{c}/claims/i1")).status, 200, "{c}");
    }
    assert_eq!(op.post("/logout", &[("csrf", &csrf)]).location, "/login");
    // A read-only user sees every page and may change nothing; an advisor may not edit models
    // or run the day.
    for (user, role) in [("read@acme.test", Role::Read), ("advisor@acme.test", Role::Advisor)] {
        let mut b = Browser::new(s);
        b.sign_in(user, PASSWORD);
        for p in pages {
            assert_eq!(b.get(p).status, 200, "{user} {p}");
        }
        let csrf = b.csrf("/app/acme");
        for (f, need) in forms {
            let status = b.post(f, &[("csrf", &csrf), ("action", "save")]).status;
            if role < need {
                assert_eq!(status, 403, "{user} {f}");
            } else {
                assert_ne!(status, 403, "{user} {f}");
            }
        }
    }
}
both!(roles_and_tenancy);

fn the_debtors_link(url: &str) {
    let s = &start(url);
    setup(s);
    let today = chrono::Utc::now().date_naive();
    let mut d = Browser::new(s);
    let link = debtor_link("acme", "c1", today);
    let page = d.get(&link);
    assert_eq!(page.status, 200, "{}", page.body);
    // Swedish, the debtor's language: the amounts and each fee in words.
    assert!(page.body.contains("Dina fakturor från acme AB"), "{}", page.body);
    assert!(page.body.contains("Påminnelseavgift"), "the reminder fee explained: {}", page.body);
    assert!(
        page.body.contains("Bankgiro: 5050-1055") && page.body.contains("<svg"),
        "how to pay, with a QR code: {}",
        page.body
    );
    assert!(!page.body.contains("Bertil"), "no other debtor on it");
    let en = d.get(&format!("{link}&lang=en"));
    assert!(en.body.contains("Your invoices from acme AB") && en.body.contains("A reminder fee"));
    for lang in ["fi", "nb", "da"] {
        assert_eq!(d.get(&format!("{link}&lang={lang}")).status, 200, "{lang}");
    }

    // The link names its debtor: it opens no other debtor's page, and another's claim
    // cannot be acted on with it.
    let other_path = link.replace("/d/acme/c1?", "/d/acme/c2?");
    assert_eq!(d.get(&other_path).status, 403);
    assert_eq!(d.get(&link.replace("/d/acme/", "/d/other/")).status, 403, "nor another creditor's");
    let csrf = page.field("csrf");
    let request = link.replacen('?', "/request?", 1);
    let p = d.post(&request, &[("csrf", &csrf), ("kind", "dispute"), ("claim", "i2"), ("reason", "not mine at all")]);
    assert_eq!(p.status, 404, "{}", p.body);
    // Without the form's token: refused.
    let p = d.post(&request, &[("kind", "dispute"), ("claim", "i1"), ("reason", "wrong amount")]);
    assert_eq!(p.status, 403);
    // An altered expiry, and an expired link, are refused.
    let longer = link.replace("exp=", "exp=1");
    assert_eq!(d.get(&longer).status, 403);
    let old = debtor_link("acme", "c1", today - chrono::Duration::days(61));
    let p = d.get(&old);
    assert_eq!(p.status, 410);
    assert!(p.body.contains("expired") || p.body.contains("gått ut"), "{}", p.body);

    // A payment plan within the creditor's rules (at most 6 months by default) is granted,
    // recorded as the debtor's doing, and shows in the advisor's worklist.
    let p = d.post(&request, &[("csrf", &csrf), ("kind", "plan"), ("claim", "i1"), ("months", "12"), ("lang", "en")]);
    assert_eq!(p.status, 422);
    assert!(p.body.contains("from 2 to 6 monthly instalments"), "{}", p.body);
    let p = d.post(&request, &[("csrf", &csrf), ("kind", "plan"), ("claim", "i1"), ("months", "3"), ("lang", "en")]);
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(d.get(&p.location).body.contains("Your payment plan is registered"));
    let contact = link.replacen('?', "/contact?", 1);
    let p = d.post(&contact, &[("csrf", &csrf), ("channel", "email"), ("language", "en")]);
    assert_eq!(p.status, 303);
    let mut advisor = Browser::new(s);
    advisor.sign_in("advisor@acme.test", PASSWORD);
    let work = advisor.get("/app/acme/work");
    assert!(work.body.contains("debtor:c1"), "{}", work.body);
    assert!(work.body.contains("payment plan asked for by the debtor: 3 monthly instalments"), "{}", work.body);
    let customer = advisor.get("/app/acme/customers/c1");
    assert!(customer.body.contains("<dd>en</dd>"), "the language the debtor chose");
}
both!(the_debtors_link);

/// Ten attempts a minute per user name; the eleventh is refused even with the right password.
fn login_rate_limit(url: &str) {
    let s = &start(url);
    setup(s);
    let mut b = Browser::new(s);
    for _ in 0..10 {
        assert_eq!(b.sign_in("read@acme.test", "guess guess guess").status, 401);
    }
    let p = b.sign_in("read@acme.test", PASSWORD);
    assert_eq!(p.status, 429);
    assert!(p.body.contains("Too many attempts"));
}
both!(login_rate_limit);

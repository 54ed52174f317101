//! The web pages in a real browser (Debian's headless Chromium through chromedriver), as a
//! newcomer and an advisor use them: `fordra demo --serve`, sign in with the printed password,
//! the overview's charts, a claim, a dispute the engine then holds the claim for, an unmatched
//! payment assigned in one click, the debtor's page from a demo letter's link (amounts, a
//! payment plan asked for) and that request in the advisor's worklist. Every main page is
//! checked with axe-core (WCAG 2.1 A and AA rules) and kept as a screenshot in
//! target/screenshots/.
//!
//! Needs chromium and chromedriver (`.ci/run` installs them, and axe-core with npm, and sets
//! FORDRA_REQUIRE_BROWSER=1); without them the test says so and passes.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

fn fordra() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fordra"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn axe_source() -> Option<String> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js");
    let path = std::env::var("FORDRA_AXE_JS").map(PathBuf::from).unwrap_or(here);
    std::fs::read_to_string(path).ok()
}

/// Kills a child process when dropped (a failing assertion must not leave servers behind).
struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What `fordra demo --serve` printed: the users' passwords and a debtor's link.
struct Demo {
    _server: Killed,
    dir: tempfile::TempDir,
    base: String,
    passwords: Vec<(String, String)>,
}

fn start_demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = fordra()
        .current_dir(dir.path())
        .args(["demo", "--customers", "300", "--days", "60", "--serve", "--addr", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let server = Killed(child);
    let mut passwords = Vec::new();
    for line in out.lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        if let ["admin" | "advisor" | "read", id, "password", pw, ..] = words.as_slice() {
            passwords.push((id.to_string(), pw.to_string()));
        }
        if line.starts_with("A debtor's page") {
            break;
        }
    }
    assert_eq!(passwords.len(), 3, "the demo prints three users with their passwords");
    let base = format!("http://{addr}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "fordra demo --serve did not start serving");
        std::thread::sleep(Duration::from_millis(200));
    }
    Demo { _server: server, dir, base, passwords }
}

impl Demo {
    fn password(&self, id: &str) -> String {
        self.passwords.iter().find(|(i, _)| i == id).map(|(_, p)| p.clone()).unwrap()
    }

    /// A debtor's link from the demo's letters and e-mails (newest first) whose page shows an
    /// open invoice.
    fn letter_links(&self) -> Vec<String> {
        let mut files = Vec::new();
        let mut stack = vec![self.dir.path().join("out")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        files.reverse();
        let mut links = Vec::new();
        for f in files {
            let text = match f.extension().and_then(|x| x.to_str()) {
                Some("pdf") => {
                    let o = Command::new("pdftotext").args(["-raw", f.to_str().unwrap(), "-"]).output();
                    match o {
                        Ok(o) => String::from_utf8_lossy(&o.stdout).replace('\n', ""),
                        Err(_) => continue,
                    }
                }
                _ => String::from_utf8_lossy(&std::fs::read(&f).unwrap()).replace("=\r\n", "").replace("=3D", "="),
            };
            let Some(i) = text.find(&format!("{}/d/", self.base)) else { continue };
            let link: String =
                text[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || ":/.?=&%-_".contains(*c)).collect();
            if link.contains("sig=") && !links.contains(&link) {
                links.push(link);
            }
        }
        links
    }
}

async fn browser(port: u16) -> Client {
    let caps = json!({"goog:chromeOptions": {"binary": CHROMIUM,
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1700"]}});
    let caps = caps.as_object().unwrap().clone();
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector).capabilities(caps).connect(&format!("http://127.0.0.1:{port}")).await.unwrap()
}

fn shots() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn shoot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

/// Runs axe-core on the page: no WCAG 2.1 A/AA violation.
async fn accessible(c: &Client, axe: &Option<String>, page: &str) {
    let Some(src) = axe else { return };
    c.execute(src, vec![]).await.unwrap();
    let script = r#"const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
           .then(r => done(r.violations.map(v => v.id + ": " + v.help + " — " + v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", "))))
           .catch(e => done(["axe failed: " + e]));"#;
    let v = c.execute_async(script, vec![]).await.unwrap();
    let violations: Vec<String> = serde_json::from_value(v).unwrap();
    assert!(violations.is_empty(), "{page}: accessibility violations:\n{}", violations.join("\n"));
}

/// The page's text. A page still being replaced (a form just submitted) may hand out a body that
/// goes stale before its text is read: asked again, up to ten seconds.
async fn text(c: &Client) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let read = match c.find(Locator::Css("body")).await {
            Ok(body) => body.text().await,
            Err(e) => Err(e),
        };
        match read {
            Ok(t) => return t,
            Err(e) if Instant::now() > deadline => panic!("the page's text could not be read: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Waits until the page says `needle` (the answer to a form just submitted), up to 20 seconds.
async fn wait_for_text(c: &Client, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = text(c).await;
        if page.contains(needle) {
            return;
        }
        assert!(Instant::now() < deadline, "'{needle}' did not appear:\n{page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn sign_in(c: &Client, base: &str, id: &str, password: &str) {
    c.goto(&format!("{base}/login?lang=en")).await.unwrap();
    c.find(Locator::Id("id")).await.unwrap().send_keys(id).await.unwrap();
    c.find(Locator::Id("password")).await.unwrap().send_keys(password).await.unwrap();
    c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
}

async fn wait_for(c: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.find(Locator::Css(css)).await.is_err() {
        assert!(Instant::now() < deadline, "{css} did not appear:\n{}", text(c).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An unmatched payment for an open claim's exact amount from an unknown payer, imported as a
/// bank's CSV file while the service runs.
fn unmatched_payment(demo: &Demo, claim_balance: &str) {
    let today = chrono::Local::now().date_naive();
    let csv = format!("id,invoice_id,date,amount,reference,payer\nWEB-1,,{today},{claim_balance},,Okänd Betalare\n");
    std::fs::write(demo.dir.path().join("bank.csv"), csv).unwrap();
    let o = fordra().current_dir(demo.dir.path()).args(["payments", "import", "bank.csv"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_in_a_real_browser() {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        assert!(std::env::var("FORDRA_REQUIRE_BROWSER").is_err(), "chromium and chromedriver are required");
        eprintln!("skipped: install chromium and chromium-driver to run the browser tests");
        return;
    }
    let axe = axe_source();
    assert!(
        axe.is_some() || std::env::var("FORDRA_REQUIRE_BROWSER").is_err(),
        "axe-core is required (npm ci in tests/browser)"
    );
    let demo = tokio::task::spawn_blocking(start_demo).await.unwrap();
    let port = free_port();
    let _driver = Killed(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Wait until chromedriver listens (a fixed pause was too short on a busy machine).
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let c = browser(port).await;
    let base = demo.base.clone();

    // Sign in as the admin: the overview with its charts drawn.
    sign_in(&c, &base, "admin@nordljus.test", &demo.password("admin@nordljus.test")).await;
    wait_for(&c, "canvas[data-drawn='true']").await;
    let drawn = c.find_all(Locator::Css("canvas[data-drawn='true']")).await.unwrap().len();
    assert!(drawn >= 4, "aging, trend, segments, cash and factors are drawn ({drawn})");
    let page = text(&c).await;
    assert!(page.contains("Outstanding by days past due") && page.contains("Download as CSV"), "{page}");
    shoot(&c, "dashboard").await;
    accessible(&c, &axe, "dashboard").await;

    // A wrong password is refused with the same message as an unknown user.
    let advisor = "advisor@nordljus.test";
    let c2 = browser(port).await;
    sign_in(&c2, &base, advisor, "not-the-password").await;
    wait_for_text(&c2, "The user name or password is wrong").await;
    sign_in(&c2, &base, advisor, &demo.password(advisor)).await;
    wait_for(&c2, "canvas[data-drawn='true']").await;
    assert!(text(&c2).await.contains("Utestående per dagar efter förfallodag"), "the advisor reads Swedish");
    c2.close().await.unwrap();

    // The worklist: a claim about to go to collection; open it and register a dispute.
    c.goto(&format!("{base}/app/demo/work")).await.unwrap();
    shoot(&c, "worklist").await;
    accessible(&c, &axe, "worklist").await;
    let first = c.find(Locator::Css("#esc-h ~ table tbody th a")).await.unwrap();
    let claim = first.text().await.unwrap();
    first.click().await.unwrap();
    wait_for(&c, "#bal-h").await;
    assert!(text(&c).await.contains(&format!("Claim {claim}")));
    shoot(&c, "claim").await;
    accessible(&c, &axe, "claim").await;
    let balance_row = c.find(Locator::XPath("//tr[th='Total']/td")).await.unwrap().text().await.unwrap();
    c.find(Locator::Css("#cp-kind option[value=dispute]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("cp-reason")).await.unwrap().send_keys("the meter reading is wrong").await.unwrap();
    c.find(Locator::Css("#cp-h ~ p button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "p.ok").await;
    let page = text(&c).await;
    assert!(page.contains("dispute") && page.contains("the meter reading is wrong"), "{page}");
    assert!(page.contains("Paused:"), "the claim shows its pause: {page}");

    // The engine holds the claim on the next run (a dry run a week ahead: nothing written).
    let day = (chrono::Local::now().date_naive() + chrono::Duration::days(7)).to_string();
    let o =
        fordra().current_dir(demo.dir.path()).args(["--json", "run", "--dry-run", "--date", &day]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!run["actions"].as_array().unwrap().iter().any(|a| a["claim"] == claim.as_str()), "no step for {claim}");
    let held = run["held"].as_array().unwrap();
    assert!(held.iter().any(|h| h["claim"] == claim.as_str()), "{claim} held: {held:?}");

    // The dispute in the worklist; an unmatched payment assigned in one click (htmx).
    // "1,773.99 SEK" or "1 773,99 kr": the last separator before two digits is the decimal one.
    let digits: String = balance_row.chars().filter(|c| c.is_ascii_digit() || ".,".contains(*c)).collect();
    let (whole, cents) = digits.split_at(digits.len() - 3);
    let amount = format!("{}.{}", whole.replace([',', '.'], ""), &cents[1..]);
    unmatched_payment(&demo, &amount);
    c.goto(&format!("{base}/app/demo/work")).await.unwrap();
    let page = text(&c).await;
    assert!(page.contains("Disputes awaiting a decision (1)") && page.contains("the meter reading is wrong"), "{page}");
    assert!(page.contains("Payments nobody could match (1)"), "{page}");
    c.find(Locator::Css("button.assign")).await.unwrap().click().await.unwrap();
    wait_for(&c, "#pay-1 p.ok").await;
    assert!(text(&c).await.contains("booked to"), "assigned without leaving the page");
    c.refresh().await.unwrap();
    assert!(text(&c).await.contains("Payments nobody could match (0)"));

    // The handling-model editor: a backtest of the model as shown, then a step that breaks the
    // law is refused with the rule named.
    c.goto(&format!("{base}/app/demo/model/normal")).await.unwrap();
    accessible(&c, &axe, "model editor").await;
    c.find(Locator::Css("button[value=backtest]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "#bt-h").await;
    let page = text(&c).await;
    assert!(page.contains("Current model") && page.contains("This model"), "{page}");
    shoot(&c, "model").await;
    let days = c.find(Locator::Id("payment_days0")).await.unwrap();
    days.clear().await.unwrap();
    days.send_keys("0").await.unwrap();
    c.find(Locator::Css("button[value=save]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "div.error").await;
    let page = text(&c).await;
    assert!(page.contains("The model was not accepted") && page.contains("payment_days must be at least 1"), "{page}");

    // The debtor's page from a demo letter's link: the amounts, and a payment plan asked for.
    let d = browser(port).await;
    d.set_window_size(390, 844).await.unwrap();
    let mut opened = None;
    for link in demo.letter_links() {
        d.goto(&link).await.unwrap();
        if d.find(Locator::Css("#total")).await.is_ok() && d.find(Locator::Css("select[name=months]")).await.is_ok() {
            opened = Some(link);
            break;
        }
    }
    let link = opened.expect("a demo letter's link opens a debtor's page with an open invoice");
    let page = text(&d).await;
    assert!(page.contains("kr") || page.contains("SEK"), "amounts in kronor: {page}");
    shoot(&d, "debtor-phone").await;
    accessible(&d, &axe, "debtor page").await;
    d.goto(&format!("{link}&lang=en")).await.unwrap();
    assert!(text(&d).await.contains("In total to pay today"));
    d.find(Locator::Css("details summary")).await.unwrap().click().await.unwrap();
    d.find(Locator::Css("select[name=months] option:nth-child(2)")).await.unwrap().click().await.unwrap();
    let plan = d.find(Locator::XPath("(//input[@name='kind'][@value='plan'])[1]/ancestor::form")).await.unwrap();
    plan.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    wait_for(&d, "p.ok").await;
    assert!(text(&d).await.contains("Your payment plan is registered"));
    d.set_window_size(1280, 1700).await.unwrap();
    shoot(&d, "debtor").await;
    for lang in ["sv", "fi", "nb", "da"] {
        d.goto(&format!("{link}&lang={lang}")).await.unwrap();
        accessible(&d, &axe, &format!("debtor page ({lang})")).await;
    }
    d.close().await.unwrap();

    // The advisor sees the debtor's request.
    c.goto(&format!("{base}/app/demo/work")).await.unwrap();
    let page = text(&c).await;
    assert!(page.contains("What debtors did on their page (last 30 days) (1)"), "{page}");
    assert!(page.contains("payment plan asked for by the debtor"), "{page}");
    c.close().await.unwrap();
}

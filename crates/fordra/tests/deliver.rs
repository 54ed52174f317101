//! Delivery as an operator runs it: `fordra run`, then `fordra deliver` with a configuration
//! naming a real SMTP server and an SMS gateway on loopback, killed in the middle of a batch and
//! started again. Every message arrives exactly once.

#[path = "../../fordra-comms/tests/support/mod.rs"]
mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Gateway, SmtpServer};

fn fordra(dir: &Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_fordra"))
        .args(args)
        .current_dir(dir)
        .env_remove("FORDRA_DATABASE_URL")
        .env_remove("FORDRA_CREDITOR")
        .env_remove("FORDRA_CONFIG")
        .env("TEST_SMS_TOKEN", "s3cret")
        .output()
        .unwrap();
    assert!(o.status.success(), "fordra {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

const N: usize = 8;

/// N VIP customers (first reminder by e-mail), N risk customers (a text before due) and N
/// normal ones (a letter), one invoice each.
fn portfolio(dir: &Path) {
    let mut customers = String::from("id,name,kind,language,email,phone,address,credit_score,credit_score_date,vip\n");
    let mut invoices = String::from("id,customer_id,invoice_number,issue_date,due_date,amount,currency\n");
    for i in 0..N {
        customers.push_str(&format!("v{i},Vip {i} AB,business,sv,ap{i}@vip.example,,Box {i}|111 22 Stockholm,,,yes\n"));
        customers
            .push_str(&format!("r{i},Risk {i},consumer,fi,,+35840{i:07},Kuja {i}|00100 Helsinki,10,2026-10-01,no\n"));
        customers.push_str(&format!("n{i},Normal {i},consumer,en,,,Gatan {i}|411 01 Göteborg,70,2026-10-01,no\n"));
        invoices.push_str(&format!("{}{i},v{i},{}{i},2026-10-15,2026-11-14,1200.00,SEK\n", 100, 100));
        invoices.push_str(&format!("{}{i},r{i},{}{i},2026-10-28,2026-11-27,800.00,SEK\n", 200, 200));
        invoices.push_str(&format!("{}{i},n{i},{}{i},2026-10-18,2026-11-17,950.00,SEK\n", 300, 300));
    }
    std::fs::write(dir.join("customers.csv"), customers).unwrap();
    std::fs::write(dir.join("invoices.csv"), invoices).unwrap();
    fordra(
        dir,
        &[
            "creditor",
            "add",
            "--id",
            "acme",
            "--name",
            "Acme AB",
            "--jurisdiction",
            "SE",
            "--bankgiro",
            "5050-1055",
            "--reminder-fee-agreed",
        ],
    );
    fordra(dir, &["import", "customers", "customers.csv"]);
    fordra(dir, &["import", "invoices", "invoices.csv"]);
}

#[test]
fn every_message_arrives_exactly_once_though_the_worker_is_killed_mid_batch() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    portfolio(p);
    let run: Value = serde_json::from_str(&fordra(p, &["--json", "run", "--date", "2026-11-24"])).unwrap();
    assert_eq!(run["actions"].as_array().unwrap().len(), 3 * N, "{run}");
    // Each e-mail takes the server 300 ms to accept: the worker is killed while one is on its way.
    let smtp = SmtpServer::start_slow(300);
    let sms = Gateway::start(200);
    let config = format!(
        "out = \"{}\"\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Acme AB <reskontra@acme.example>\"\n\n[sms]\nprovider = \"generic\"\nurl = \"{}\"\nsender = \"Acme\"\nauth_header = \"Bearer ${{TEST_SMS_TOKEN}}\"\n",
        p.join("out").display(),
        smtp.port,
        sms.url
    );
    std::fs::write(p.join("fordra.toml"), config).unwrap();
    let mut worker = Command::new(env!("CARGO_BIN_EXE_fordra"))
        .args(["deliver", "--until-empty", "--batch", "1", "--now", "2026-11-24T09:00:00Z"])
        .current_dir(p)
        .env("TEST_SMS_TOKEN", "s3cret")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while smtp.received().len() < 2 {
        assert!(start.elapsed() < Duration::from_secs(60), "no e-mail arrived");
        assert!(worker.try_wait().unwrap().is_none(), "the worker ended before it was killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The second e-mail's outcome is recorded within a few milliseconds; the next is then on its way.
    std::thread::sleep(Duration::from_millis(100));
    worker.kill().unwrap();
    worker.wait().unwrap();
    let mid: Value = serde_json::from_str(&fordra(p, &["--json", "deliveries"])).unwrap();
    let unfinished =
        mid.as_array().unwrap().iter().filter(|d| d["status"] == "queued" || d["status"] == "sending").count();
    assert!(unfinished > 0, "killed mid-batch: {mid}");

    // Started again after the stopped worker's lease (300 s) ran out.
    let out = Command::new(env!("CARGO_BIN_EXE_fordra"))
        .args(["--json", "deliver", "--until-empty", "--now", "2026-11-24T09:10:00Z"])
        .current_dir(p)
        .env("TEST_SMS_TOKEN", "s3cret")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let all: Value = serde_json::from_str(&fordra(p, &["--json", "deliveries"])).unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3 * N);
    for d in all {
        assert!(d["status"] == "sent" || d["status"] == "delivered", "{d}");
        assert_eq!(d["attempts"].as_array().unwrap().len(), 1, "one recorded try each: {d}");
    }
    // E-mail: N arrived, each once.
    let mails = smtp.received();
    let ids: BTreeSet<_> = mails.iter().map(|m| m["message_id"].as_str().unwrap().to_string()).collect();
    assert_eq!((mails.len(), ids.len()), (N, N), "{ids:?}");
    // Texts: N reached the gateway, each once, with the token from the environment.
    let reqs = sms.requests.lock().unwrap().clone();
    let keys: BTreeSet<_> = reqs.iter().map(|r| r.header("idempotency-key").unwrap().to_string()).collect();
    assert_eq!((reqs.len(), keys.len()), (N, N));
    assert!(reqs.iter().all(|r| r.header("authorization") == Some("Bearer s3cret")));
    // Letters: N PDFs in the day's print batch, each with its manifest record.
    let print = p.join("out/2026-11-24/print");
    let files: Vec<_> =
        std::fs::read_dir(&print).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(files.iter().filter(|f| f.ends_with(".pdf")).count(), N, "{files:?}");
    assert_eq!(files.iter().filter(|f| f.ends_with(".json")).count(), N);
    assert!(files.iter().all(|f| !f.ends_with(".part")));
    // The batch for the print service: one merged PDF and the manifest.
    let b: Value = serde_json::from_str(&fordra(p, &["--json", "batch", "--date", "2026-11-24"])).unwrap();
    assert_eq!(b["letters"], N);
    let manifest = std::fs::read_to_string(print.join("manifest.csv")).unwrap();
    let mut lines = manifest.lines();
    assert_eq!(
        lines.next().unwrap(),
        "key,creditor,recipient,address,national_id,reference,amount,currency,deadline,language,file"
    );
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&first[1..4], ["acme", "Normal 0", "Gatan 0 | 411 01 Göteborg"]);
    assert_eq!(first[9], "en");
    assert_eq!(lines.count(), N - 1);
    let info = Command::new("pdfinfo").arg(print.join("print.pdf")).output().unwrap();
    let pages: u64 = String::from_utf8(info.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(pages, b["pages"].as_u64().unwrap());
    assert!(pages >= N as u64);
    let text = Command::new("pdftotext").arg(print.join("print.pdf")).arg("-").output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert_eq!(text.matches("Payment reminder").count(), N, "every letter in the merged PDF");
}

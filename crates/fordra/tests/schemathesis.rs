//! The OpenAPI document against the running service, by a property-based API tester:
//! schemathesis (PyPI; `.ci/run` installs it) generates requests for every documented operation
//! from the schema — valid ones, invalid ones, and sequences — and checks every answer: no 5xx,
//! only documented status codes and content types, answers that match their schemas, invalid data
//! refused and valid data accepted (a business rule's 422 allowed, see schemathesis.toml).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fordra(dir: &Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_fordra")).args(args).current_dir(dir).output().unwrap();
    assert!(o.status.success(), "fordra {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn the_service_behaves_as_its_openapi_document_says() {
    let available = Command::new("schemathesis").arg("--version").output().is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var("FORDRA_REQUIRE_SCHEMATHESIS").is_err(),
            "schemathesis is required here (pip install schemathesis)"
        );
        eprintln!("skipping: schemathesis is not installed (pip install schemathesis)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fordra(p, &["demo", "--customers", "60", "--days", "10", "--no-lab"]);
    let made = fordra(p, &["key", "add", "--creditor", "demo", "--scope", "admin", "--json"]);
    let key = serde_json::from_str::<serde_json::Value>(&made).unwrap()["key"].as_str().unwrap().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(p.join("fordra-serve.toml"), "rate_per_second = 100000\nrate_burst = 100000\nworkers = false\n")
        .unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_fordra"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .current_dir(p)
        .stderr(std::fs::File::create(p.join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(30), "the service did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let out = Command::new("schemathesis")
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{base}/openapi.json"), "--header", &format!("Authorization: Bearer {key}")])
        .args(["--max-examples", "25", "--seed", "1", "--no-color"])
        .current_dir(p)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let report = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "schemathesis found problems:\n{report}");
    assert!(report.contains("Tested: 4") || report.contains("Tested: 5"), "every operation tested:\n{report}");
    let log = std::fs::read_to_string(p.join("serve.log")).unwrap();
    assert!(!log.contains("\"status\":500"), "the service answered 500:\n{log}");
}

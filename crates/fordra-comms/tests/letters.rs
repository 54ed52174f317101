//! Letters as a debtor gets them: rendered to PDF, read back with pdftotext (Debian's
//! poppler-utils), and the payment codes decoded from the printed page with rxing.

mod common;

use common::{d, message};
use fordra_comms::couriers::{Config, Couriers};
use fordra_comms::messages::{Renderer, LANGUAGES};
use fordra_core::domain::{JurisdictionCode, MessageKind, Segment};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn pdf_text(pdf: &[u8], dir: &Path) -> String {
    let file = dir.join("letter.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    // Lines joined: a long phrase may wrap.
    String::from_utf8(out.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn last_page_png(pdf: &[u8], dir: &Path) -> String {
    let file = dir.join("codes.pdf");
    std::fs::write(&file, pdf).unwrap();
    let pages = pdf_pages(&file);
    let prefix = dir.join("page");
    let ok = Command::new("pdftoppm")
        .args(["-r", "200", "-png", "-f", &pages.to_string(), "-l", &pages.to_string(), "-singlefile"])
        .arg(&file)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(ok.success());
    prefix.with_extension("png").display().to_string()
}

fn pdf_pages(file: &Path) -> usize {
    let info = Command::new("pdfinfo").arg(file).output().unwrap();
    let text = String::from_utf8(info.stdout).unwrap();
    text.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
}

fn decode(png: &str, format: rxing::BarcodeFormat) -> String {
    let mut hints = rxing::DecodeHints::default().with(rxing::DecodeHintValue::TryHarder(true));
    rxing::helpers::detect_in_file_with_hints(png, Some(format), &mut hints)
        .unwrap_or_else(|e| panic!("no {format:?} found in {png}: {e}"))
        .getText()
        .to_string()
}

/// A Swedish reminder: amounts, reference, bankgiro and deadline in the text; the UsingQR code
/// decodes to the same payment.
#[test]
fn swedish_reminder_reads_back_with_its_payment_qr() {
    let dir = tempfile::tempdir().unwrap();
    let couriers = Couriers::new(Config::default()).unwrap();
    let m = message(JurisdictionCode::SE, "sv", "SEK", MessageKind::Reminder);
    let (r, pdf) = couriers.letter(&m).unwrap();
    assert_eq!(r.subject, "Betalningspåminnelse");
    let text = pdf_text(&pdf, dir.path());
    for needle in [
        "Betalningspåminnelse",
        "Eva Ek",
        "411 01 Göteborg",
        "Belopp att betala: 1 080,56 kr",
        "Betala senast: 16 november 2026",
        "OCR/referens: 10016405",
        "Bankgiro: 5050-1055",
        "1 072,34 kr",
        "60,00 kr",
    ] {
        assert!(text.contains(needle), "'{needle}' not in: {text}");
    }
    let qr = decode(&last_page_png(&pdf, dir.path()), rxing::BarcodeFormat::QR_CODE);
    let v: serde_json::Value = serde_json::from_str(&qr).unwrap();
    assert_eq!(v["iref"], "10016405");
    assert_eq!(v["acc"], "5050-1055");
    assert_eq!(v["pt"], "BG");
    assert_eq!(v["ddt"], "20261116");
    assert_eq!(qr.split("\"due\":").nth(1).unwrap().split(',').next().unwrap(), "1080.56");
}

/// A Finnish collection demand: what perintälaki 5 § asks for in the text, and the bank
/// barcode (version 4) decoding to the 54 digits printed under it; the EPC QR code too.
#[test]
fn finnish_demand_carries_the_law_and_the_bank_barcode() {
    let dir = tempfile::tempdir().unwrap();
    let couriers = Couriers::new(Config::default()).unwrap();
    let m = message(JurisdictionCode::FI, "fi", "EUR", MessageKind::Collection);
    let (_, pdf) = couriers.letter(&m).unwrap();
    let text = pdf_text(&pdf, dir.path());
    // Creditor, basis, principal, interest and how, each cost, deadline to pay or object, how to object.
    for needle in [
        "Perintäkirje",
        "Velkoja: Acme AB",
        "Saatavan peruste: lasku 1001",
        "Pääoma: 1 000,00 €",
        "Korko 25 % vuodessa pääomalle 1 000,00 € ajalta 16.10.2026–2.11.2026 (18 päivää)",
        "Muistutusmaksu (2.11.2026): 60,00 €",
        "vastustus viimeistään 16.11.2026 osoitteeseen inkasso@acme.example",
        "Perintä keskeytetään perustellun vastustuksen johdosta",
        "Viitenumero: 11112",
        "Maksettava summa: 1 080,56 €",
    ] {
        assert!(text.contains(needle), "'{needle}' not in: {text}");
    }
    let digits =
        fordra_core::paycode::fi_bank_barcode("FI3715903000000776", "11112", 1080_56, Some(d("2026-11-16"))).unwrap();
    assert_eq!(digits, "437159030000007760010805600000000000000000011112261116");
    assert!(text.contains(&digits), "the barcode's digits are printed");
    let png = last_page_png(&pdf, dir.path());
    assert_eq!(decode(&png, rxing::BarcodeFormat::CODE_128), digits);
    assert_eq!(
        decode(&png, rxing::BarcodeFormat::QR_CODE),
        "BCD\n002\n1\nSCT\n\nAcme AB\nFI3715903000000776\nEUR1080.56\n\n11112"
    );
}

/// A law is cited only for the creditor's own jurisdiction: a Swedish creditor's demand to a
/// Norwegian-speaking debtor does not cite the Norwegian collection act.
#[test]
fn laws_are_cited_by_jurisdiction_not_language() {
    let renderer = Renderer::new().unwrap();
    let text = |j, lang, kind| renderer.render(&message(j, lang, "SEK", kind), &BTreeMap::new(), None).unwrap().text;
    assert!(text(JurisdictionCode::NO, "nb", MessageKind::Collection).contains("inkassoloven § 10"));
    assert!(!text(JurisdictionCode::SE, "nb", MessageKind::Collection).contains("inkassoloven"));
    assert!(text(JurisdictionCode::SE, "nb", MessageKind::Collection).contains("Kronofogden"));
    assert!(text(JurisdictionCode::FI, "fi", MessageKind::LateCompensation).contains("Perintälain 10 e §"));
    assert!(!text(JurisdictionCode::SE, "fi", MessageKind::LateCompensation).contains("Perintälain"));
    assert!(text(JurisdictionCode::SE, "sv", MessageKind::LateCompensation).contains("(1981:739)"));
    assert!(!text(JurisdictionCode::FI, "sv", MessageKind::LateCompensation).contains("(1981:739)"));
}

/// An interest rate is written as the language writes decimals.
#[test]
fn rates_in_the_languages_decimals() {
    let renderer = Renderer::new().unwrap();
    for (lang, expected) in
        [("sv", "Ränta 12,5 % per år"), ("en", "Interest 12.5 % per year"), ("fi", "Korko 12,5 % vuodessa")]
    {
        let mut m = message(JurisdictionCode::SE, lang, "SEK", MessageKind::Collection);
        m.claims[0].interest_periods[0].rate = "12.5".into();
        let text = renderer.render(&m, &BTreeMap::new(), None).unwrap().text;
        assert!(text.contains(expected), "{lang}: {text}");
    }
}

/// A Norwegian betalingsoppfordring names the costs, the deadline, how to object, and the KID.
#[test]
fn norwegian_demand_in_bokmal() {
    let dir = tempfile::tempdir().unwrap();
    let couriers = Couriers::new(Config::default()).unwrap();
    let m = message(JurisdictionCode::NO, "nb", "NOK", MessageKind::Collection);
    let (r, pdf) = couriers.letter(&m).unwrap();
    assert_eq!(r.subject, "Betalingsoppfordring");
    let text = pdf_text(&pdf, dir.path());
    for needle in [
        "inkassoloven § 10",
        "Hovedstol: kr 1 000,00",
        "Purregebyr",
        "KID: 0001234567",
        "innsigelse innen 16. november 2026",
    ] {
        assert!(text.contains(needle), "'{needle}' not in: {text}");
    }
}

/// Every message kind renders in every language, as a letter, an e-mail and a text, and the
/// language is the debtor's.
#[test]
fn every_kind_in_every_language() {
    let renderer = Renderer::new().unwrap();
    for (lang, _) in LANGUAGES {
        for kind in MessageKind::ALL {
            let m = message(JurisdictionCode::SE, lang, "SEK", *kind);
            let r = renderer.render(&m, &BTreeMap::new(), Some("https://pay.example/d/acme/C-7")).unwrap();
            assert_eq!(r.language, *lang);
            assert!(!r.subject.is_empty() && r.text.contains("Acme AB") && r.html.contains("<html"), "{lang} {kind}");
            assert!(r.sms.contains("Acme AB"), "{lang} {kind}: {}", r.sms);
            assert!(!r.text.contains("{ $") && !r.text.contains("{{"), "{lang} {kind}: unresolved placeholder");
        }
    }
}

/// The tone follows the segment: a VIP's reminder is warmer than a risk customer's.
#[test]
fn tone_follows_the_segment() {
    let renderer = Renderer::new().unwrap();
    let mut m = message(JurisdictionCode::SE, "en", "SEK", MessageKind::Reminder);
    m.segment = Some(Segment::Vip);
    let vip = renderer.render(&m, &BTreeMap::new(), None).unwrap().text;
    m.segment = Some(Segment::Risk);
    let risk = renderer.render(&m, &BTreeMap::new(), None).unwrap().text;
    assert!(vip.contains("slipped through") && vip.contains("valued customer"), "{vip}");
    assert!(!risk.contains("slipped through") && risk.contains("Please pay by 16 November 2026"), "{risk}");
}

/// A creditor's own wording replaces a phrase.
#[test]
fn a_creditors_wording_replaces_the_phrase() {
    let renderer = Renderer::new().unwrap();
    let m = message(JurisdictionCode::SE, "sv", "SEK", MessageKind::Reminder);
    let own = BTreeMap::from([
        ("intro-reminder".to_string(), "Hoppsan! Vi saknar { $amount } – betala senast { $deadline }.".to_string()),
        ("heading-reminder".to_string(), "Glömt något, { $name }?".to_string()),
    ]);
    let r = renderer.render(&m, &own, None).unwrap();
    assert!(r.text.contains("Hoppsan! Vi saknar 1\u{a0}080,56 kr – betala senast 16 november 2026."), "{}", r.text);
    assert!(!r.text.contains("Kanske har vi missat"));
    assert_eq!(r.subject, "Glömt något, Eva Ek?");
    // A policy naming a phrase that does not exist, or wording that is not a phrase, is refused.
    let mut p = fordra_core::model::Policy::default_for(JurisdictionCode::SE);
    p.models[0].steps[0].texts = BTreeMap::from([(
        "sv".to_string(),
        BTreeMap::from([("intro-remider".to_string(), "x".to_string()), ("closing".to_string(), "{ $".to_string())]),
    )]);
    let problems = fordra_comms::messages::check_own_texts(&p);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("texts.sv.closing: message: own wording of 'closing' is not a valid phrase"),
        "{problems:?}"
    );
    assert!(problems[1].contains("texts.sv.intro-remider: no such phrase"), "{problems:?}");
    // The contact policy's wordings are checked the same way.
    let mut c = fordra_core::contact::ContactPolicy::new(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    c.wordings = BTreeMap::from([(
        "firm".to_string(),
        BTreeMap::from([("sv".to_string(), BTreeMap::from([("sms-remindr".to_string(), "x".to_string())]))]),
    )]);
    p.contact = Some(c);
    let problems = fordra_comms::messages::check_own_texts(&p);
    assert!(
        problems.iter().any(|p| p.contains("contact.wordings.firm.sv.sms-remindr: no such phrase")),
        "{problems:?}"
    );
}

/// The creditor's logo is drawn on the letter (pdfimages lists it); a letter without one has none.
#[test]
fn the_creditors_logo_is_on_the_letter() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let couriers = Couriers::new(Config::default()).unwrap();
    let mut m = message(JurisdictionCode::SE, "sv", "SEK", MessageKind::Reminder);
    let images = |pdf: &[u8]| {
        let f = dir.path().join("logo.pdf");
        std::fs::write(&f, pdf).unwrap();
        let out = Command::new("pdfimages").arg("-list").arg(&f).output().unwrap();
        String::from_utf8(out.stdout).unwrap().lines().skip(2).map(String::from).collect::<Vec<_>>()
    };
    assert!(images(&couriers.letter(&m).unwrap().1).is_empty());
    let png = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fordra-app/assets/demo-logo.png")).unwrap();
    m.logo = Some(base64::engine::general_purpose::STANDARD.encode(png));
    let listed = images(&couriers.letter(&m).unwrap().1);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].contains("240    60"), "the logo at its own size: {listed:?}");
}

//! PDF letters with krilla: A4, the debtor's address where a window envelope shows it (DIN 5008
//! form B, as Nordic C5/E65 envelopes: 20 mm from the left, 45–90 mm from the top), the
//! creditor's name and details, the body in the debtor's language, a table of the claims, and a
//! payment section with the account, reference, amount and deadline and the country's
//! machine-readable codes (the Finnish bank barcode as Code 128 with its digits, the EPC QR code
//! for euro payments, UsingQR for Swedish and Norwegian bank apps). DejaVu Sans is embedded
//! (subset) so every letter prints the same everywhere.

use crate::messages::{Rendered, Renderer};
use crate::CommsError;
use fordra_app::outbox::Message;
use fordra_core::domain::{JurisdictionCode, MessageKind};
use fordra_core::paycode;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use skrifa::instance::{LocationRef, Size};
use skrifa::MetadataProvider;
use std::collections::HashMap;
use std::sync::Arc;

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
const A4: (f32, f32) = (210.0 * MM, 297.0 * MM);
const LEFT: f32 = 20.0 * MM;
const WIDTH: f32 = 170.0 * MM;
/// Where the body stops on a page with the payment section (and on a continuation page).
const BODY_END_LAST: f32 = 200.0 * MM;
const BODY_END: f32 = 275.0 * MM;
/// A letter never runs longer (a debtor with hundreds of invoices gets a long table on the last).
const MAX_PAGES: usize = 10;

/// A typeface with its advance widths (per 1 pt), measured once per character.
struct Face {
    font: Font,
    advances: HashMap<char, f32>,
}

impl Face {
    fn load(data: &'static [u8]) -> Result<Face, CommsError> {
        let font =
            Font::new(data.into(), 0).ok_or_else(|| CommsError::Template("embedded font does not load".into()))?;
        let f = skrifa::FontRef::new(data).map_err(|e| CommsError::Template(format!("embedded font: {e}")))?;
        let metrics = f.glyph_metrics(Size::new(1.0), LocationRef::default());
        let charmap = f.charmap();
        let advances = (' '..='\u{24f}')
            .chain("€–—‘’“”•…\u{a0}".chars())
            .filter_map(|c| Some((c, metrics.advance_width(charmap.map(c)?)?)))
            .collect();
        Ok(Face { font, advances })
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advances.get(&c).copied().unwrap_or(0.6)).sum::<f32>() * size
    }
}

/// Renders letters; the fonts are loaded once.
pub struct LetterPdf {
    regular: Face,
    bold: Face,
}

/// One page being written: the surface and where the next line goes.
struct Pen<'a, 'b> {
    s: &'a mut Surface<'b>,
    y: f32,
}

fn black() -> Fill {
    Fill::default()
}

fn grey() -> Fill {
    Fill { paint: rgb::Color::new(110, 110, 110).into(), ..Fill::default() }
}

impl LetterPdf {
    /// Loads the embedded fonts.
    pub fn new() -> Result<LetterPdf, CommsError> {
        Ok(LetterPdf { regular: Face::load(REGULAR)?, bold: Face::load(BOLD)? })
    }

    fn text(&self, s: &mut Surface<'_>, x: f32, y: f32, size: f32, bold: bool, t: &str) {
        let face = if bold { &self.bold } else { &self.regular };
        s.draw_text(Point::from_xy(x, y), face.font.clone(), size, t, false, TextDirection::Auto);
    }

    fn right(&self, s: &mut Surface<'_>, x_end: f32, y: f32, size: f32, bold: bool, t: &str) {
        let face = if bold { &self.bold } else { &self.regular };
        self.text(s, x_end - face.width(t, size), y, size, bold, t);
    }

    /// Splits a paragraph into lines that fit `width`.
    fn wrap(&self, t: &str, size: f32, width: f32, bold: bool) -> Vec<String> {
        let face = if bold { &self.bold } else { &self.regular };
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in t.split(' ') {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if face.width(&candidate, size) > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line = word.to_string();
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// The letter as a PDF (A4, one or more pages).
    pub fn render(&self, r: &Renderer, m: &Message, text: &Rendered) -> Result<Vec<u8>, CommsError> {
        let lang = text.language;
        let mut doc = Document::new();
        doc.set_metadata(
            krilla::metadata::Metadata::new()
                .title(text.subject.clone())
                .authors(vec![m.creditor.name.clone()])
                .language(lang.to_string()),
        );
        let settings = || PageSettings::from_wh(A4.0, A4.1).ok_or_else(|| CommsError::Template("page size".into()));
        let paragraphs: Vec<&str> = text.text.split("\n\n").collect();
        let mut rest: &[&str] = &paragraphs;
        let with_payment = pays(m.kind) && m.payment.amount.0 > 0;
        let end = if with_payment { BODY_END_LAST } else { BODY_END };
        for n in 0..MAX_PAGES {
            let mut page = doc.start_page_with(settings()?);
            let mut s = page.surface();
            let y = if n == 0 {
                self.head(&mut s, r, m, text)?;
                108.0 * MM
            } else {
                25.0 * MM
            };
            let mut pen = Pen { s: &mut s, y };
            // The last page allowed takes whatever is left.
            let last_allowed = n + 1 == MAX_PAGES;
            rest = self.body(&mut pen, rest, if last_allowed { f32::MAX } else { end }, (r, m, lang))?;
            let last = rest.is_empty() || last_allowed;
            if last && with_payment {
                self.payment(pen.s, r, m, lang)?;
            }
            s.finish();
            page.finish();
            if last {
                break;
            }
        }
        doc.finish().map_err(|e| CommsError::Template(format!("PDF: {e:?}")))
    }

    fn head(&self, s: &mut Surface<'_>, r: &Renderer, m: &Message, text: &Rendered) -> Result<(), CommsError> {
        let lang = text.language;
        // The creditor's logo (or its name as its mark), and its details on the right.
        let name_y = match m.logo.as_deref().and_then(logo) {
            Some(image) => {
                let (w, h) = image.size();
                let height = 14.0 * MM;
                let width = (height * w as f32 / h.max(1) as f32).min(80.0 * MM);
                if let Some(size) = krilla::geom::Size::from_wh(width, height) {
                    s.push_transform(&krilla::geom::Transform::from_translate(LEFT, 10.0 * MM));
                    s.draw_image(image, size);
                    s.pop();
                }
                32.0 * MM
            }
            None => 22.0 * MM,
        };
        s.set_fill(Some(Fill { paint: rgb::Color::new(20, 60, 110).into(), ..Fill::default() }));
        let name_size = if name_y > 30.0 * MM { 11.0 } else { 16.0 };
        self.text(s, LEFT, name_y, name_size, true, &m.creditor.name);
        s.set_fill(Some(grey()));
        let mut y = 16.0 * MM;
        let details = m
            .creditor
            .address
            .iter()
            .cloned()
            .chain(m.creditor.org_no.iter().cloned())
            .chain(m.creditor.phone.iter().cloned())
            .chain(m.creditor.email.iter().cloned());
        for line in details {
            self.text(s, 125.0 * MM, y, 8.0, false, &line);
            y += 3.6 * MM;
        }
        // The window: the return address in small type, then the debtor.
        let back =
            std::iter::once(m.creditor.name.clone()).chain(m.creditor.address.iter().cloned()).collect::<Vec<_>>();
        self.text(s, LEFT, 50.0 * MM, 6.5, false, &back.join(", "));
        s.set_fill(Some(black()));
        let mut y = 57.0 * MM;
        for line in std::iter::once(&m.debtor.name).chain(m.debtor.address.iter()) {
            self.text(s, LEFT, y, 10.0, false, line);
            y += 4.6 * MM;
        }
        // Date and the debtor's number beside the window.
        self.text(s, 125.0 * MM, 57.0 * MM, 9.0, false, &r.date(lang, m.date)?);
        s.set_fill(Some(grey()));
        self.text(s, 125.0 * MM, 61.6 * MM, 8.0, false, &format!("# {}", m.customer_id));
        s.set_fill(Some(black()));
        self.text(s, LEFT, 100.0 * MM, 14.0, true, &text.subject);
        Ok(())
    }

    /// Writes paragraphs (and the claims table where the text says `[[claims]]`) until the page
    /// ends; returns those left.
    fn body<'p>(
        &self,
        pen: &mut Pen<'_, '_>,
        paragraphs: &'p [&'p str],
        end: f32,
        (r, m, lang): (&Renderer, &Message, &str),
    ) -> Result<&'p [&'p str], CommsError> {
        let size = 9.5;
        let lead = size * 1.35;
        for (i, p) in paragraphs.iter().enumerate() {
            if p.trim() == crate::messages::CLAIMS_MARKER {
                if !self.table(pen, r, m, lang, end)? && i > 0 {
                    return Ok(paragraphs.get(i..).unwrap_or(&[]));
                }
                continue;
            }
            let mut lines: Vec<(String, bool, f32)> = Vec::new();
            for raw in p.lines() {
                if let Some(h) = raw.strip_prefix("## ") {
                    lines.extend(self.wrap(h, size, WIDTH, true).into_iter().map(|l| (l, true, 0.0)));
                } else if let Some(item) = raw.strip_prefix("- ") {
                    let wrapped = self.wrap(item, size, WIDTH - 5.0 * MM, false);
                    lines.extend(wrapped.into_iter().enumerate().map(|(k, l)| {
                        (
                            if k == 0 { format!("•\u{a0}\u{a0}{l}") } else { l },
                            false,
                            if k == 0 { 0.0 } else { 5.0 * MM },
                        )
                    }));
                } else {
                    lines.extend(self.wrap(raw, size, WIDTH, false).into_iter().map(|l| (l, false, 0.0)));
                }
            }
            if pen.y + lead * lines.len() as f32 > end && i > 0 {
                return Ok(paragraphs.get(i..).unwrap_or(&[]));
            }
            for (l, bold, indent) in lines {
                self.text(pen.s, LEFT + indent, pen.y, size, bold, &l);
                pen.y += lead;
            }
            pen.y += lead * 0.6;
        }
        Ok(&[])
    }

    /// The claims table; false when it did not fit on this page.
    fn table(
        &self,
        pen: &mut Pen<'_, '_>,
        r: &Renderer,
        m: &Message,
        lang: &str,
        end: f32,
    ) -> Result<bool, CommsError> {
        let size = 8.0;
        let row = size * 1.6;
        if pen.y + row * (m.claims.len() as f32 + 3.0) > end {
            return Ok(false);
        }
        pen.y += row * 0.5;
        let cols = [LEFT, LEFT + 28.0 * MM, LEFT + 52.0 * MM];
        let rights = [LEFT + 98.0 * MM, LEFT + 122.0 * MM, LEFT + 144.0 * MM, LEFT + WIDTH];
        let heads = ["col-invoice", "col-due", "col-principal", "col-interest", "col-fees", "col-total"];
        let h: Vec<String> = heads.iter().map(|k| r.phrase(lang, k, &[])).collect::<Result<_, _>>()?;
        let [h0, h1, h2, h3, h4, h5] = h.as_slice() else { return Ok(true) };
        self.text(pen.s, cols[0], pen.y, size, true, h0);
        self.text(pen.s, cols[1], pen.y, size, true, h1);
        for (x, t) in rights.iter().zip([h2, h3, h4, h5]) {
            self.right(pen.s, *x, pen.y, size, true, t);
        }
        self.rule(pen.s, pen.y + 1.5 * MM);
        pen.y += row;
        let cur = m.payment.currency;
        for c in &m.claims {
            self.text(pen.s, cols[0], pen.y, size, false, &c.invoice_number);
            self.text(pen.s, cols[1], pen.y, size, false, &r.date(lang, c.due_date)?);
            for (x, v) in rights.iter().zip([c.principal, c.interest_total, c.fees, c.total]) {
                self.right(pen.s, *x, pen.y, size, false, &r.money(lang, v.0, cur)?);
            }
            pen.y += row;
        }
        self.rule(pen.s, pen.y - row + 1.5 * MM);
        self.text(pen.s, cols[0], pen.y, size, true, &r.phrase(lang, "total", &[])?);
        self.right(pen.s, LEFT + WIDTH, pen.y, size, true, &r.money(lang, m.total.0, cur)?);
        pen.y += row * 1.5;
        Ok(true)
    }

    fn rule(&self, s: &mut Surface<'_>, y: f32) {
        if let Some(rect) = Rect::from_xywh(LEFT, y, WIDTH, 0.5) {
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            if let Some(p) = pb.finish() {
                s.set_fill(Some(grey()));
                s.draw_path(&p);
                s.set_fill(Some(black()));
            }
        }
    }

    /// The payment section at the foot of the last page.
    fn payment(&self, s: &mut Surface<'_>, r: &Renderer, m: &Message, lang: &str) -> Result<(), CommsError> {
        let p = &m.payment;
        let top = 212.0 * MM;
        self.rule(s, top - 5.0 * MM);
        self.text(s, LEFT, top, 11.0, true, &r.phrase(lang, "pay-heading", &[])?);
        let amount = r.money(lang, p.amount.0, p.currency)?;
        let deadline = p.deadline.map(|d| r.date(lang, d)).transpose()?.unwrap_or_default();
        let mut lines = vec![
            (r.phrase(lang, "pay-amount", &[("amount", amount)])?, true),
            (r.phrase(lang, "pay-deadline", &[("deadline", deadline)])?, true),
        ];
        if let Some(reference) = &p.reference {
            lines.push((r.phrase(lang, "pay-reference", &[("reference", reference.clone())])?, true));
        }
        if let Some(bg) = &p.bankgiro {
            lines.push((r.phrase(lang, "pay-bankgiro", &[("bankgiro", bg.clone())])?, false));
        }
        if let Some(iban) = &p.iban {
            lines.push((r.phrase(lang, "pay-iban", &[("iban", iban.clone())])?, false));
        }
        if m.claims.len() > 1 {
            lines.push((r.phrase(lang, "pay-several", &[])?, false));
        }
        let mut y = top + 7.0 * MM;
        for (l, bold) in &lines {
            self.text(s, LEFT, y, 9.5, *bold, l);
            y += 5.0 * MM;
        }
        let codes = codes(m);
        if let Some(qr) = &codes.qr {
            self.qr(s, qr, 150.0 * MM, top - 2.0 * MM, 36.0 * MM)?;
            s.set_fill(Some(grey()));
            self.text(s, 150.0 * MM, top + 38.0 * MM, 7.0, false, &r.phrase(lang, "pay-qr", &[])?);
            s.set_fill(Some(black()));
        }
        if let Some(digits) = &codes.barcode {
            self.code128(s, digits, LEFT, 262.0 * MM, 0.3 * MM, 13.0 * MM)?;
            self.text(s, LEFT, 280.0 * MM, 8.0, false, &r.phrase(lang, "pay-barcode", &[("code", digits.clone())])?);
        }
        Ok(())
    }

    fn qr(&self, s: &mut Surface<'_>, payload: &str, x: f32, y: f32, size: f32) -> Result<(), CommsError> {
        let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| CommsError::Template(format!("QR code: {e}")))?;
        let n = code.width();
        let module = size / (n as f32 + 8.0);
        let mut pb = PathBuilder::new();
        for (i, c) in code.to_colors().iter().enumerate() {
            if *c == qrcode::Color::Dark {
                let (cx, cy) = ((i % n) as f32 + 4.0, (i / n) as f32 + 4.0);
                if let Some(rect) = Rect::from_xywh(x + cx * module, y + cy * module, module, module) {
                    pb.push_rect(rect);
                }
            }
        }
        if let Some(p) = pb.finish() {
            s.set_fill(Some(black()));
            s.draw_path(&p);
        }
        Ok(())
    }

    fn code128(
        &self,
        s: &mut Surface<'_>,
        digits: &str,
        x: f32,
        y: f32,
        module: f32,
        height: f32,
    ) -> Result<(), CommsError> {
        // Code set C: two digits per symbol ('Ć' selects it in barcoders).
        let code = barcoders::sym::code128::Code128::new(format!("Ć{digits}"))
            .map_err(|e| CommsError::Template(format!("Code 128: {e}")))?;
        let mut pb = PathBuilder::new();
        for (i, bar) in code.encode().iter().enumerate() {
            if *bar == 1 {
                if let Some(rect) = Rect::from_xywh(x + 10.0 * module + i as f32 * module, y, module, height) {
                    pb.push_rect(rect);
                }
            }
        }
        if let Some(p) = pb.finish() {
            s.set_fill(Some(black()));
            s.draw_path(&p);
        }
        Ok(())
    }
}

/// The creditor's logo from its base64 PNG (a logo that does not decode is left out; the policy
/// checked it when it was set).
fn logo(b64: &str) -> Option<krilla::image::Image> {
    use base64::Engine;
    let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(clean).ok()?;
    krilla::image::Image::from_png(bytes.into(), true).ok()
}

/// A message that asks for money carries a payment section.
fn pays(kind: MessageKind) -> bool {
    !matches!(kind, MessageKind::Dispute | MessageKind::PhoneCall)
}

/// The machine-readable codes a letter carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Codes {
    /// The QR code's payload (EPC for euro, UsingQR for SEK and NOK).
    pub qr: Option<String>,
    /// The Finnish bank barcode's 54 digits.
    pub barcode: Option<String>,
}

/// The codes for a message's payment: only for one claim (one reference) and a known account.
pub fn codes(m: &Message) -> Codes {
    payment_codes(m.jurisdiction, &m.creditor, &m.payment, &m.claims, m.date)
}

/// The codes for paying `claims` (exactly one, with its reference) to `creditor` as `p` says,
/// on `date` when there is no deadline: the letter's and the debtor page's.
pub fn payment_codes(
    jurisdiction: JurisdictionCode,
    creditor: &fordra_app::outbox::Party,
    p: &fordra_app::outbox::PaymentInfo,
    claims: &[fordra_app::outbox::ClaimLine],
    date: chrono::NaiveDate,
) -> Codes {
    let (Some(reference), [claim]) = (p.reference.as_deref(), claims) else { return Codes::default() };
    let mut out = Codes::default();
    match (jurisdiction, p.currency) {
        (JurisdictionCode::FI, "EUR") => {
            if let Some(iban) = &p.iban {
                out.barcode = paycode::fi_bank_barcode(iban, reference, p.amount.0, p.deadline).ok();
            }
        }
        (JurisdictionCode::SE, "SEK") | (JurisdictionCode::NO, "NOK") => {
            let (account_type, account) = match (&p.bankgiro, &p.iban) {
                (Some(bg), _) => ("BG", bg.as_str()),
                (None, Some(iban)) => ("IBAN", iban.as_str()),
                _ => return out,
            };
            out.qr = Some(paycode::using_qr(&paycode::UsingQr {
                name: &creditor.name,
                country: jurisdiction.upper(),
                org_no: creditor.org_no.as_deref(),
                reference,
                issued: claim.issue_date,
                due: p.deadline.unwrap_or(date),
                minor: p.amount.0,
                currency: p.currency,
                account_type,
                account,
            }));
            return out;
        }
        _ => {}
    }
    if p.currency == "EUR" {
        if let Some(iban) = &p.iban {
            out.qr = paycode::epc_qr(&paycode::SepaTransfer {
                name: &creditor.name,
                iban,
                bic: None,
                cents: p.amount.0,
                reference: Some(reference),
                text: None,
            })
            .ok();
        }
    }
    out
}

/// Fonts and phrases shared by the letter renderers of one process.
pub type Shared = Arc<(Renderer, LetterPdf)>;

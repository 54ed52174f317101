//! Messages in the debtor's language: phrases, number, money and date formats from Project
//! Fluent files (`locales/*.ftl`, one per language, the same keys in each), laid out by MiniJinja
//! templates (`templates/`) that run sandboxed with a fuel limit, so a creditor's template cannot
//! run forever. A creditor's own wording for a phrase (per handling-model step or experiment arm)
//! replaces the built-in phrase of the same key.

use crate::CommsError;
use chrono::{Datelike, NaiveDate};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fordra_app::outbox::Message;
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The languages messages are written in, with their Fluent files.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("sv", include_str!("../locales/sv.ftl")),
    ("fi", include_str!("../locales/fi.ftl")),
    ("nb", include_str!("../locales/nb.ftl")),
    ("da", include_str!("../locales/da.ftl")),
    ("en", include_str!("../locales/en.ftl")),
];

/// The templates, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("letter.txt", include_str!("../templates/letter.txt")),
    ("email.html", include_str!("../templates/email.html")),
    ("sms.txt", include_str!("../templates/sms.txt")),
    ("call.txt", include_str!("../templates/call.txt")),
];

/// Where a letter's text places the table of claims (a paragraph of its own).
pub const CLAIMS_MARKER: &str = "[[claims]]";

/// Template steps one message may take (a loop over a few claims needs a few thousand).
const FUEL: u64 = 200_000;

/// A message rendered for its channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The language used (the debtor's, or English when Fordra has none for it).
    pub language: &'static str,
    /// The letter's heading and the e-mail's subject.
    pub subject: String,
    /// The body as paragraphs (blank-line separated; "## " starts a heading, "- " an item).
    pub text: String,
    /// The e-mail's HTML part.
    pub html: String,
    /// The text message.
    pub sms: String,
    /// A phone task's script.
    pub script: String,
    /// The claims as text lines (for the plain-text e-mail, where the letter has its table).
    pub claim_lines: Vec<String>,
}

/// One language's phrases.
struct Locale {
    code: &'static str,
    bundle: FluentBundle<FluentResource>,
}

/// The phrases of every language.
struct Locales(Vec<Locale>);

impl Locales {
    fn get(&self, lang: &str) -> &Locale {
        let found = self.0.iter().find(|l| l.code == lang);
        // "no" and "nn" read bokmål; anything unknown reads English.
        let found =
            found.or_else(|| matches!(lang, "no" | "nn").then(|| self.0.iter().find(|l| l.code == "nb")).flatten());
        #[allow(clippy::expect_used, reason = "English is compiled in; Renderer::new checks every language loads")]
        found.or_else(|| self.0.iter().find(|l| l.code == "en")).expect("English phrases are compiled in")
    }
}

impl Locale {
    fn phrase(&self, key: &str, args: Option<&FluentArgs<'_>>) -> Result<String, CommsError> {
        let msg = self
            .bundle
            .get_message(key)
            .ok_or_else(|| CommsError::Template(format!("phrase '{key}' missing in {}", self.code)))?;
        let pattern = msg.value().ok_or_else(|| CommsError::Template(format!("phrase '{key}' has no value")))?;
        let mut errors = vec![];
        let out = self.bundle.format_pattern(pattern, args, &mut errors).into_owned();
        if let Some(e) = errors.first() {
            return Err(CommsError::Template(format!("phrase '{key}' in {}: {e}", self.code)));
        }
        Ok(out)
    }

    /// An amount in minor units as this language writes money ("1 234,50 kr", "SEK 1,234.50").
    fn money(&self, minor: i64, currency: &str) -> Result<String, CommsError> {
        let group = self.phrase("fmt-group", None)?;
        let decimal = self.phrase("fmt-decimal", None)?;
        let digits = minor.unsigned_abs() / 100;
        let cents = minor.unsigned_abs() % 100;
        let mut grouped = String::new();
        let digits = digits.to_string();
        for (i, ch) in digits.chars().enumerate() {
            let left = digits.len() - i;
            if i > 0 && left.is_multiple_of(3) {
                grouped.push_str(&group);
            }
            grouped.push(ch);
        }
        let sign = if minor < 0 { "-" } else { "" };
        let mut args = FluentArgs::new();
        args.set("amount", format!("{sign}{grouped}{decimal}{cents:02}"));
        args.set("code", currency.to_string());
        self.phrase("fmt-money", Some(&args))
    }

    /// A date as this language writes it ("24 november 2026", "24.11.2026").
    fn date(&self, d: NaiveDate) -> Result<String, CommsError> {
        let mut args = FluentArgs::new();
        args.set("d", d.day().to_string());
        args.set("m", d.month().to_string());
        args.set("month", self.phrase(&format!("month-{}", d.month()), None)?);
        args.set("y", d.year().to_string());
        self.phrase("fmt-date", Some(&args))
    }
}

/// Renders messages: the phrases of every language and the templates, loaded once.
pub struct Renderer {
    env: Environment<'static>,
    locales: Arc<Locales>,
}

fn load(code: &'static str, ftl: &str) -> Result<Locale, CommsError> {
    let resource = FluentResource::try_new(ftl.to_string())
        .map_err(|(_, errs)| CommsError::Template(format!("locales/{code}.ftl: {:?}", errs.first())))?;
    let lang: unic_langid::LanguageIdentifier =
        code.parse().map_err(|e| CommsError::Template(format!("language {code}: {e}")))?;
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Unicode isolation marks would end up in letters, texts and extracted PDF text.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).map_err(|e| CommsError::Template(format!("locales/{code}.ftl: {:?}", e.first())))?;
    Ok(Locale { code, bundle })
}

fn template_error(e: CommsError) -> Error {
    Error::new(ErrorKind::InvalidOperation, e.to_string())
}

/// The message's language and the creditor's own phrases, read from the template's context.
fn context_locale<'a>(state: &State, locales: &'a Locales) -> &'a Locale {
    let lang = state.lookup("lang").map(|v| v.to_string()).unwrap_or_default();
    locales.get(&lang)
}

fn to_fluent(v: &Value) -> FluentValue<'static> {
    match v.as_i64() {
        Some(n) if v.kind() == minijinja::value::ValueKind::Number => FluentValue::from(n),
        _ => FluentValue::from(v.to_string()),
    }
}

impl Renderer {
    /// Loads every language and template (compiled in); fails if one does not parse.
    pub fn new() -> Result<Renderer, CommsError> {
        let locales =
            Arc::new(Locales(LANGUAGES.iter().map(|(code, ftl)| load(code, ftl)).collect::<Result<Vec<_>, _>>()?));
        let mut env = Environment::new();
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(50);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|e| CommsError::Template(format!("templates/{name}: {e}")))?;
        }
        let l = Arc::clone(&locales);
        env.add_function("t", move |state: &State, key: String, kwargs: Kwargs| -> Result<String, Error> {
            let locale = context_locale(state, &l);
            let own = state.lookup("own").and_then(|o| o.get_attr(&key).ok()).filter(|v| !v.is_undefined());
            let mut args = FluentArgs::new();
            if let Some(vars) = state.lookup("vars") {
                if let Ok(keys) = vars.try_iter() {
                    for k in keys {
                        let v = vars.get_item(&k)?;
                        args.set(k.to_string(), to_fluent(&v));
                    }
                }
            }
            for k in kwargs.args() {
                let v: Value = kwargs.get(k)?;
                args.set(k.to_string(), to_fluent(&v));
            }
            match own {
                Some(text) => own_phrase(locale, &key, &text.to_string(), &args).map_err(template_error),
                None => locale.phrase(&key, Some(&args)).map_err(template_error),
            }
        });
        let l = Arc::clone(&locales);
        env.add_function("money", move |state: &State, amount: String| -> Result<String, Error> {
            let minor = fordra_core::money::parse_minor(&amount)
                .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
            let currency = state.lookup("currency").map(|v| v.to_string()).unwrap_or_default();
            context_locale(state, &l).money(minor, &currency).map_err(template_error)
        });
        let l = Arc::clone(&locales);
        env.add_function("decimal", move |state: &State, number: String| -> Result<String, Error> {
            // A rate such as "12.5" as the language writes it ("12,5").
            let sep = context_locale(state, &l).phrase("fmt-decimal", None).map_err(template_error)?;
            Ok(number.replace('.', &sep))
        });
        let l = Arc::clone(&locales);
        env.add_function("date", move |state: &State, day: String| -> Result<String, Error> {
            let d = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("date '{day}': {e}")))?;
            context_locale(state, &l).date(d).map_err(template_error)
        });
        Ok(Renderer { env, locales })
    }

    /// A phrase in a language, with arguments.
    pub fn phrase(&self, lang: &str, key: &str, args: &[(&str, String)]) -> Result<String, CommsError> {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, v.clone());
        }
        self.locales.get(lang).phrase(key, Some(&a))
    }

    /// Money as the language writes it.
    pub fn money(&self, lang: &str, minor: i64, currency: &str) -> Result<String, CommsError> {
        self.locales.get(lang).money(minor, currency)
    }

    /// A date as the language writes it.
    pub fn date(&self, lang: &str, d: NaiveDate) -> Result<String, CommsError> {
        self.locales.get(lang).date(d)
    }

    /// The language a message is written in.
    pub fn language_of(&self, m: &Message) -> &'static str {
        self.locales.get(&m.language).code
    }

    /// Renders a message for every channel. `own` holds the creditor's wording by phrase key
    /// (it replaces the built-in phrase); `link` is the debtor's page.
    pub fn render(
        &self,
        m: &Message,
        own: &BTreeMap<String, String>,
        link: Option<&str>,
    ) -> Result<Rendered, CommsError> {
        self.render_tracked(m, own, link, None)
    }

    /// As [`Renderer::render`], with the e-mail's tracking image (where the creditor tracks
    /// opening).
    pub fn render_tracked(
        &self,
        m: &Message,
        own: &BTreeMap<String, String>,
        link: Option<&str>,
        pixel: Option<&str>,
    ) -> Result<Rendered, CommsError> {
        let lang = self.language_of(m);
        let locale = self.locales.get(lang);
        let date = |d: Option<NaiveDate>| d.map(|d| locale.date(d)).transpose().map(Option::unwrap_or_default);
        let first = m.claims.first();
        let contact = m
            .creditor
            .email
            .clone()
            .or_else(|| m.creditor.phone.clone())
            .or_else(|| (!m.creditor.address.is_empty()).then(|| m.creditor.address.join(", ")))
            .unwrap_or_else(|| m.creditor.name.clone());
        let vars: BTreeMap<&str, String> = BTreeMap::from([
            ("name", m.debtor.name.clone()),
            ("creditor", m.creditor.name.clone()),
            ("amount", locale.money(m.payment.amount.0, m.payment.currency)?),
            ("deadline", date(m.deadline)?),
            ("due", date(first.map(|c| c.due_date))?),
            ("issued", date(first.map(|c| c.issue_date))?),
            ("invoice", first.map(|c| c.invoice_number.clone()).unwrap_or_default()),
            ("reference", m.payment.reference.clone().unwrap_or_default()),
            ("segment", m.segment.map(|s| s.as_str()).unwrap_or("normal").to_string()),
            ("jurisdiction", m.jurisdiction.as_str().to_string()),
            ("debtor", m.debtor_kind.as_str().to_string()),
            ("contact", contact),
        ]);
        let ctx = minijinja::context! {
            m => Value::from(minijinja::value::Serde(m)),
            lang => lang,
            currency => m.payment.currency,
            vars => Value::from(minijinja::value::Serde(&vars)),
            own => Value::from(minijinja::value::Serde(own)),
            link => link,
            pixel => pixel,
        };
        let render = |name: &str| -> Result<String, CommsError> {
            let t = self.env.get_template(name).map_err(|e| CommsError::Template(e.to_string()))?;
            t.render(&ctx).map_err(|e| CommsError::Template(format!("{name}: {e}")))
        };
        let heading = format!("heading-{}", m.kind);
        let subject = match own.get(&heading) {
            Some(text) => own_phrase(locale, &heading, text, &fluent_args(&vars))?,
            None => locale.phrase(&heading, Some(&fluent_args(&vars)))?,
        };
        let due_word = locale.phrase("col-due", None)?;
        let mut claim_lines = m
            .claims
            .iter()
            .map(|c| {
                Ok(format!(
                    "- {} · {due_word} {} · {}",
                    c.invoice_number,
                    locale.date(c.due_date)?,
                    locale.money(c.total.0, m.payment.currency)?
                ))
            })
            .collect::<Result<Vec<_>, CommsError>>()?;
        claim_lines.push(format!(
            "{}: {}",
            locale.phrase("total", None)?,
            locale.money(m.total.0, m.payment.currency)?
        ));
        Ok(Rendered {
            claim_lines,
            language: lang,
            subject,
            text: tidy(&render("letter.txt")?),
            html: render("email.html")?,
            // A no-break space is not in the GSM 7-bit alphabet: one would make the text UCS-2 (70
            // characters a part instead of 160).
            sms: render("sms.txt")?.trim().replace('\u{a0}', " "),
            script: tidy(&render("call.txt")?),
        })
    }
}

/// A creditor's own wording, read as a Fluent pattern (so `{ $deadline }` and the other
/// variables work in it as in the built-in phrases).
fn own_phrase(locale: &Locale, key: &str, text: &str, args: &FluentArgs<'_>) -> Result<String, CommsError> {
    let bundle = own_bundle(locale.code, key, text)?;
    let msg = bundle.get_message("own").and_then(|m| m.value());
    let pattern = msg.ok_or_else(|| CommsError::Template(format!("own wording of '{key}' is empty")))?;
    let mut errors = vec![];
    let out = bundle.format_pattern(pattern, Some(args), &mut errors).into_owned();
    match errors.first() {
        Some(e) => Err(CommsError::Template(format!("own wording of '{key}': {e}"))),
        None => Ok(out),
    }
}

fn own_bundle(lang: &str, key: &str, text: &str) -> Result<FluentBundle<FluentResource>, CommsError> {
    let source = format!("own = {}\n", text.trim().replace('\n', "\n    "));
    let resource = FluentResource::try_new(source)
        .map_err(|_| CommsError::Template(format!("own wording of '{key}' is not a valid phrase (Fluent syntax)")))?;
    let id: unic_langid::LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .map_err(|_| CommsError::Template(format!("own wording of '{key}' could not be loaded")))?;
    Ok(bundle)
}

/// Problems with a policy's own wording: a phrase key Fordra does not have, or a text that is not
/// a valid phrase. Checked when the policy is set, so a typo never reaches a debtor.
pub fn check_own_texts(policy: &fordra_core::model::Policy) -> Vec<String> {
    let Some((_, en)) = LANGUAGES.iter().find(|(c, _)| *c == "en") else { return vec![] };
    let Ok(resource) = FluentResource::try_new(en.to_string()) else { return vec![] };
    let known: std::collections::BTreeSet<String> = resource
        .entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect();
    let models = policy.models.iter().map(|m| (m.segment.to_string(), &m.steps));
    let arms = policy.challengers.iter().map(|c| (format!("challenger {}", c.name), &c.steps));
    let mut problems = Vec::new();
    let mut check = |at: &str, texts: &fordra_core::model::Texts| {
        for (lang, phrases) in texts {
            for (key, text) in phrases {
                let at = format!("{at}.{lang}.{key}");
                if !known.contains(key) {
                    problems.push(format!("{at}: no such phrase (see crates/fordra-comms/locales/en.ftl)"));
                } else if let Err(e) = own_bundle(lang, key, text) {
                    problems.push(format!("{at}: {e}"));
                }
            }
        }
    };
    for (name, steps) in models.chain(arms) {
        for (i, step) in steps.iter().enumerate() {
            check(&format!("{name} model, step {} ({}), texts", i + 1, step.kind), &step.texts);
        }
    }
    // The contact policy's wordings replace reminders' phrases the same way.
    for (name, texts) in policy.contact.iter().flat_map(|c| &c.wordings) {
        check(&format!("contact.wordings.{name}"), texts);
    }
    problems
}

fn fluent_args<'a>(vars: &'a BTreeMap<&str, String>) -> FluentArgs<'a> {
    let mut a = FluentArgs::new();
    for (k, v) in vars {
        a.set(*k, v.as_str());
    }
    a
}

/// Paragraphs separated by exactly one blank line, lines trimmed.
fn tidy(s: &str) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in s.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push_str("\n\n");
        } else if !out.is_empty() {
            out.push('\n');
        }
        blank = false;
        out.push_str(line.trim_start());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_bundle::FluentResource;
    use std::collections::BTreeSet;

    fn keys(ftl: &str) -> BTreeSet<String> {
        let r = FluentResource::try_new(ftl.to_string()).unwrap();
        r.entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Every phrase exists in every language: a key missing in one fails here, naming it.
    #[test]
    fn every_language_has_every_phrase() {
        let reference = keys(LANGUAGES.iter().find(|l| l.0 == "en").unwrap().1);
        assert!(reference.len() > 60, "{}", reference.len());
        for (code, ftl) in LANGUAGES {
            let k = keys(ftl);
            let missing: Vec<_> = reference.difference(&k).collect();
            let extra: Vec<_> = k.difference(&reference).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{code}: missing {missing:?}, not in English {extra:?}");
        }
        Renderer::new().unwrap();
    }

    /// Every template phrase key used for a message kind exists (heading-, intro-, sms-).
    #[test]
    fn every_message_kind_has_its_phrases() {
        let reference = keys(LANGUAGES.iter().find(|l| l.0 == "en").unwrap().1);
        for kind in fordra_core::domain::MessageKind::ALL {
            for prefix in ["heading", "intro", "sms"] {
                assert!(reference.contains(&format!("{prefix}-{kind}")), "{prefix}-{kind}");
            }
        }
    }

    /// Money and dates as each language writes them.
    #[test]
    fn money_and_dates_per_language() {
        let r = Renderer::new().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let nb = '\u{a0}';
        assert_eq!(r.money("sv", 1_234_567_50, "SEK").unwrap(), format!("1{nb}234{nb}567,50 kr"));
        assert_eq!(r.money("fi", 12_25, "EUR").unwrap(), "12,25 €");
        assert_eq!(r.money("nb", 1_000_00, "NOK").unwrap(), format!("kr 1{nb}000,00"));
        assert_eq!(r.money("da", 1_234_00, "DKK").unwrap(), "1.234,00 kr.");
        assert_eq!(r.money("en", 1_234_00, "SEK").unwrap(), "SEK 1,234.00");
        assert_eq!(r.date("sv", d).unwrap(), "24 november 2026");
        assert_eq!(r.date("fi", d).unwrap(), "24.11.2026");
        assert_eq!(r.date("nb", d).unwrap(), "24. november 2026");
        assert_eq!(r.date("da", d).unwrap(), "24. november 2026");
        assert_eq!(r.date("en", d).unwrap(), "24 November 2026");
        assert_eq!(r.date("xx", d).unwrap(), "24 November 2026", "an unknown language reads English");
    }

    /// A template that loops forever runs out of fuel instead.
    #[test]
    fn a_template_cannot_run_forever() {
        let mut env = Environment::new();
        env.set_fuel(Some(FUEL));
        env.add_template("x", "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}")
            .unwrap();
        let err = env.get_template("x").unwrap().render(()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutOfFuel);
    }
}

//! `fordra serve` and `fordra key`: the HTTP service and its API keys.

use crate::say;
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use fordra_app::keys::{NewKey, Scope};
use fordra_app::{App, CreditorId};
use fordra_core::law::LawBook;
use std::path::PathBuf;

/// `fordra serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080, or the config file's).
    #[arg(long, env = "FORDRA_ADDR")]
    addr: Option<String>,
    /// A configuration file (default: ./fordra-serve.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs the service until SIGINT or SIGTERM.
pub fn serve(db: &str, db_given: bool, law: LawBook, a: &ServeArgs) -> Result<()> {
    let mut config = fordra_http::config::ServeConfig::load(a.config.as_deref(), &|k| std::env::var(k).ok())
        .map_err(|e| anyhow!(e))?;
    if db_given {
        config.db = db.to_string();
    }
    if let Some(addr) = &a.addr {
        config.addr = addr.clone();
    }
    run_service(config, law)
}

/// Serves with `config` until SIGINT or SIGTERM (`fordra serve`, `fordra demo --serve`).
pub fn run_service(config: fordra_http::config::ServeConfig, law: LawBook) -> Result<()> {
    fordra_http::init_logging(config.log_json);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(fordra_http::serve(config, law)).map_err(|e| anyhow!(e))
}

/// `fordra key`.
#[derive(Subcommand)]
pub enum KeyCmd {
    /// Make an API key for the creditor (--creditor), or with --operator one for every creditor;
    /// the key is printed once.
    Add {
        /// read, write or admin.
        #[arg(long)]
        scope: Scope,
        /// An operator's key: agency-level work across creditors.
        #[arg(long)]
        operator: bool,
        /// A name to recognise it by.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// The keys (never the keys themselves): the creditor's, or with --all every key.
    List {
        /// Every creditor's keys and the operators'.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a key by its id: it works no more.
    Revoke {
        /// The key's id (see `fordra key list`).
        id: String,
    },
}

/// Runs a key command.
pub fn key(app: &mut App<'_>, creditor: Option<String>, cmd: KeyCmd, json: bool) -> Result<()> {
    let now = chrono::Utc::now().timestamp();
    match cmd {
        KeyCmd::Add { scope, operator, label } => {
            let creditor = match (operator, creditor) {
                (true, Some(_)) => bail!("--operator makes a key for every creditor: leave out --creditor"),
                (true, None) => None,
                (false, c) => Some(app.resolve_creditor(c.as_deref())?),
            };
            let made = app.add_key(&NewKey { creditor, scope, label, now })?;
            say(json, &made, |m| {
                format!(
                    "{}\n(key {} with scope {} for {}; it is shown only this once: keep it in a secret store)",
                    m.key,
                    m.id,
                    m.scope,
                    m.creditor
                        .as_ref()
                        .map(|c| format!("creditor {c}"))
                        .unwrap_or_else(|| "every creditor (operator)".into())
                )
            })
        }
        KeyCmd::List { all } => {
            let owner = if all { None } else { Some(app.resolve_creditor(creditor.as_deref())?) };
            let keys = app.list_keys(owner.as_ref())?;
            if json {
                return crate::print_json(&keys);
            }
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(["id", "creditor", "scope", "label", "created", "revoked"]);
            let at = |s: i64| chrono::DateTime::from_timestamp(s, 0).map(|d| d.format("%Y-%m-%d %H:%M").to_string());
            for k in keys {
                t.add_row([
                    k.id,
                    k.creditor_id.unwrap_or_else(|| "(operator)".into()),
                    k.scope,
                    k.label,
                    at(k.created_at).unwrap_or_default(),
                    k.revoked_at.and_then(at).unwrap_or_default(),
                ]);
            }
            println!("{t}");
            Ok(())
        }
        KeyCmd::Revoke { id } => {
            let owner = creditor.map(CreditorId);
            let r = app.revoke_key(owner.as_ref(), &id, now)?;
            say(json, &r, |r| {
                if r.revoked {
                    format!("Key {} revoked", r.id)
                } else {
                    format!("Key {} was revoked already", r.id)
                }
            })
        }
    }
}

/// `fordra user`.
#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a user of the web pages for the creditor (--creditor), or with --operator one for
    /// every creditor; the same id again changes name, role, language and password. The
    /// password is read from FORDRA_PASSWORD, else from the first line of standard input.
    Add {
        /// The login name (an e-mail address).
        id: String,
        /// read, advisor or admin.
        #[arg(long)]
        role: fordra_app::users::Role,
        /// The name shown.
        #[arg(long, default_value = "")]
        name: String,
        /// The pages' language: sv or en.
        #[arg(long, default_value = "sv")]
        language: String,
        /// An operator: every creditor.
        #[arg(long)]
        operator: bool,
    },
    /// The users of the creditor, or with --all every user.
    List {
        /// Every creditor's users and the operators.
        #[arg(long)]
        all: bool,
    },
    /// Disable a user: its sessions end, it cannot sign in.
    Disable {
        /// The login name.
        id: String,
    },
}

/// Runs a user command.
pub fn user(app: &mut App<'_>, creditor: Option<String>, cmd: UserCmd, json: bool) -> Result<()> {
    let now = chrono::Utc::now().timestamp();
    match cmd {
        UserCmd::Add { id, role, name, language, operator } => {
            let creditor = match (operator, creditor) {
                (true, Some(_)) => bail!("--operator makes a user of every creditor: leave out --creditor"),
                (true, None) => None,
                (false, c) => Some(app.resolve_creditor(c.as_deref())?),
            };
            let password = match std::env::var("FORDRA_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let u = fordra_app::users::NewUser { id, creditor, name, role, password, language, now };
            let made = app.add_user(&u)?;
            say(json, &made, |u| {
                format!(
                    "User {} ({}) with role {} for {}",
                    u.id,
                    u.name,
                    u.role,
                    u.creditor.as_deref().unwrap_or("every creditor (operator)")
                )
            })
        }
        UserCmd::List { all } => {
            let owner = if all { None } else { Some(app.resolve_creditor(creditor.as_deref())?) };
            let users = app.list_users(owner.as_ref())?;
            if json {
                return crate::print_json(&users);
            }
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(["id", "name", "creditor", "role", "language", "disabled"]);
            for u in users {
                t.add_row([
                    u.id,
                    u.name,
                    u.creditor.unwrap_or_else(|| "(operator)".into()),
                    u.role.to_string(),
                    u.language,
                    if u.disabled.is_some() { "yes".into() } else { String::new() },
                ]);
            }
            println!("{t}");
            Ok(())
        }
        UserCmd::Disable { id } => {
            app.disable_user(&id, now)?;
            say(json, &serde_json::json!({"disabled": id}), |_| format!("User {id} disabled; its sessions ended"))
        }
    }
}

//! `meddesk kb validate|search|show`: the knowledge pack from the command line (issue 4).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use meddesk_formulary::index::pinyin_of;
use meddesk_formulary::{Pack, Target};

#[derive(Debug, Args)]
pub struct KbArgs {
    #[command(subcommand)]
    pub command: KbCommand,
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Load and validate a pack; print its version, hash and counts, or every issue.
    Validate {
        /// The pack directory (default: <assets>/formulary).
        dir: Option<PathBuf>,
    },
    /// Search drugs and classes by English, Chinese, pinyin (initials too) or synonym.
    Search {
        query: String,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long)]
        pack: Option<PathBuf>,
    },
    /// Show one drug's facts (id or any name) as JSON.
    Show {
        drug: String,
        #[arg(long)]
        pack: Option<PathBuf>,
    },
}

fn load(dir: Option<PathBuf>, assets: &Path) -> Result<Pack, String> {
    let dir = dir.unwrap_or_else(|| assets.join("formulary"));
    meddesk_formulary::load_dir(&dir).map_err(|e| e.to_string())
}

pub fn run(args: KbArgs, assets: &Path) -> Result<(), String> {
    match args.command {
        KbCommand::Validate { dir } => {
            let pack = load(dir, assets)?;
            println!(
                "ok: {} {} (schema {}), sha256 {}",
                pack.meta.name, pack.meta.version, pack.meta.schema, pack.content_hash
            );
            println!(
                "{} drugs, {} classes, {} cross-reactivity entries, {} interactions, {} sources",
                pack.drugs.len(),
                pack.classes.len(),
                pack.cross_reactivity.len(),
                pack.interactions.len(),
                pack.sources.len()
            );
            Ok(())
        }
        KbCommand::Search { query, limit, pack } => {
            let pack = load(pack, assets)?;
            let hits = pack.index.search(&query, limit);
            if hits.is_empty() {
                return Err(format!("no_match: nothing matches {query:?}"));
            }
            for h in hits {
                let (kind, id, en, zh) = match h.target {
                    Target::Drug(d) => {
                        let x = &pack.drugs[d];
                        ("drug", x.id.as_str(), x.inn.as_str(), x.zh.as_str())
                    }
                    Target::Class(c) => {
                        let x = &pack.classes[c];
                        ("class", x.id.as_str(), x.en.as_str(), x.zh.as_str())
                    }
                };
                println!(
                    "{:.2}  {kind:5}  {id:32}  {en} / {zh}   (matched {:?} as {:?})",
                    h.score, h.matched, h.kind
                );
            }
            Ok(())
        }
        KbCommand::Show { drug, pack } => {
            let pack = load(pack, assets)?;
            let d = pack
                .resolve_drug(&drug)
                .or_else(|| {
                    pack.index
                        .search(&drug, 1)
                        .into_iter()
                        .find_map(|h| match h.target {
                            Target::Drug(d) => Some(d),
                            Target::Class(_) => None,
                        })
                })
                .ok_or_else(|| format!("unknown_drug: {drug:?} is not in the pack"))?;
            let x = &pack.drugs[d];
            let (full, initials) = pinyin_of(&x.zh);
            println!("{} {} (pinyin {full}, {initials})", x.id, x.zh);
            let text = serde_json::to_string_pretty(x).map_err(|e| format!("internal: {e}"))?;
            println!("{text}");
            Ok(())
        }
    }
}

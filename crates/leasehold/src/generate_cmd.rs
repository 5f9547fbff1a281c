//! `leasehold generate man|completions`: the man pages and shell completions of the packages,
//! generated from the command-line definition itself, so they never drift from `--help`.

use anyhow::Context;
use clap::{Args, CommandFactory, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

/// Arguments of `leasehold generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to generate.
    #[command(subcommand)]
    pub what: What,
}

/// What `generate` writes.
#[derive(Debug, Subcommand)]
pub enum What {
    /// One man page per command and subcommand (leasehold.1, leasehold-serve.1,
    /// leasehold-leases-list.1, ...) into a directory.
    Man {
        /// The directory to write to (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// The completion script of a shell, to standard output.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// bash (install as /usr/share/bash-completion/completions/leasehold).
    Bash,
    /// zsh (install as /usr/share/zsh/vendor-completions/_leasehold).
    Zsh,
    /// fish (install as /usr/share/fish/vendor_completions.d/leasehold.fish).
    Fish,
}

/// Runs `leasehold generate`; completions go to `out`.
pub fn run(args: &GenerateArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let cmd = crate::cli::Cli::command();
    match &args.what {
        What::Man { out: dir } => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let n = write_pages(&cmd, "leasehold", dir)?;
            eprintln!("wrote {n} man page(s) to {}", dir.display());
        }
        What::Completions { shell } => {
            let mut cmd = cmd;
            match shell {
                Shell::Bash => {
                    clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "leasehold", out)
                }
                Shell::Zsh => {
                    clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "leasehold", out)
                }
                Shell::Fish => {
                    clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "leasehold", out)
                }
            }
        }
    }
    Ok(())
}

/// Writes the page of `cmd` as `NAME.1` and those of its subcommands as `NAME-SUB.1`,
/// recursively; returns how many.
fn write_pages(cmd: &clap::Command, name: &str, dir: &Path) -> anyhow::Result<usize> {
    let cmd = cmd
        .clone()
        .name(name.to_string())
        .bin_name(name.replace('-', " "));
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .with_context(|| format!("cannot render the man page of {name}"))?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    let mut n = 1;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        n += write_pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(n)
}

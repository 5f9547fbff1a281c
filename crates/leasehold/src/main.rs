//! The `leasehold` command: a DHCPv4/BOOTP server.
//!
//! Modules:
//! - [`cli`]: the command line (clap).
//! - [`serve`]: wires socket → engine → lease table → group commit → socket.
//! - [`logging`]: tracing set-up (human or JSON).
//! - [`relay_cmd`]: `relay`, the built-in relay agent.
//! - [`leases_cmd`]: `leases list|show|history|export|backup|restore|verify`.

mod cli;
mod leases_cmd;
mod logging;
mod relay_cmd;
mod serve;

use anyhow::Context;
use clap::Parser;
use cli::{Cli, Command};
use std::sync::Arc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One plain line (with its causes), never a backtrace: this is what operators read.
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            logging::init(args.log_format)?;
            let config = leasehold_engine::Config::load(&args.config)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(serve::run(
                Arc::new(config),
                args.db,
                serve::shutdown_signal(),
            ))
        }
        Command::CheckConfig { config } => {
            let cfg = leasehold_engine::Config::load(&config)?;
            println!("{}: OK ({} subnet(s))", config.display(), cfg.subnets.len());
            Ok(())
        }
        Command::Leases(args) => leases_cmd::run(&args, &mut std::io::stdout().lock()),
        Command::Relay(args) => relay_cmd::run_relay(args),
    }
}

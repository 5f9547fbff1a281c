//! The `leasehold` command: a DHCPv4/BOOTP server.
//!
//! Modules:
//! - [`cli`]: the command line (clap).
//! - [`logging`]: tracing set-up (human or JSON).
//! - [`relay_cmd`]: `relay`, the built-in relay agent.
//! - [`leases_cmd`]: `leases list|show|history|export|backup|restore|verify|migrate|copy`, on
//!   SQLite or PostgreSQL.
//! - [`probe_cmd`]: `probe`, list every DHCP server answering on an interface.
//! - [`privilege`]: drop root after binding, keeping only the network capabilities.
//! - [`store_open`]: the lease store `serve` runs on (SQLite, or PostgreSQL with start-up
//!   retries).
//! - [`ctl_cmd`]: `ctl`, the control API's command-line client.
//!
//! `serve` itself is [`leasehold_server`]: the runtime lives in that library so tests can run a
//! whole server in-process.

/// mimalloc instead of glibc's malloc: the packet loop and the lease writer allocate and free
/// small blocks for every datagram; glibc spent 5-7 % of the server's CPU in malloc/free at
/// 6,000 exchanges/s (`perf record`, see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;
mod ctl_cmd;
mod generate_cmd;
mod import_cmd;
mod leases_cmd;
mod logging;
mod privilege;
mod probe_cmd;
mod relay_cmd;
mod store_open;

use anyhow::Context;
use clap::Parser;
use cli::{Cli, Command};

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
            // Before the runtime exists, so that every thread inherits the reduced credentials.
            privilege::drop_privileges(config.server.user.as_deref())?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(async {
                let (store, options) =
                    store_open::open(&config, args.db.as_deref(), args.config).await?;
                leasehold_server::run(options, store, leasehold_server::serve::shutdown_signal())
                    .await?;
                Ok(())
            })
        }
        Command::CheckConfig { config } => {
            let cfg = leasehold_engine::Config::load(&config)?;
            println!("{}: OK ({})", config.display(), summary(&cfg));
            Ok(())
        }
        Command::Leases(args) => leases_cmd::run(&args, &mut std::io::stdout().lock()),
        Command::Relay(args) => relay_cmd::run_relay(args),
        Command::Ctl(args) => ctl_cmd::run(&args, &mut std::io::stdout().lock()),
        Command::Generate(args) => generate_cmd::run(&args, &mut std::io::stdout().lock()),
        Command::Import(args) => import_cmd::run(&args, &mut std::io::stderr().lock()),
        Command::Probe(args) => {
            if probe_cmd::run(&args, &mut std::io::stdout().lock())? == 0 {
                anyhow::bail!("no DHCP server answered on {}", args.interface);
            }
            Ok(())
        }
    }
}

/// What `check-config` reports of a valid configuration: what it serves, in one line.
fn summary(cfg: &leasehold_engine::Config) -> String {
    let mut parts = vec![format!("{} subnet(s)", cfg.subnets.len())];
    let proxy = cfg.subnets.iter().filter(|s| s.proxy).count();
    if proxy > 0 {
        parts.push(format!(
            "{proxy} proxy DHCP, PXE port {}",
            cfg.server.pxe_port
        ));
    }
    if !cfg.classes.is_empty() {
        parts.push(format!("{} class(es)", cfg.classes.len()));
    }
    if let Some(t) = &cfg.tftp {
        parts.push(format!("TFTP on {} from {}", t.listen, t.root.display()));
    }
    if let Some(h) = &cfg.http_boot {
        parts.push(format!(
            "HTTP boot on {} from {}",
            h.listen,
            h.root.display()
        ));
    }
    parts.join(", ")
}

//! The `leasehold leases …` commands as a standalone tool, built from the binary's own module
//! (`crates/leasehold/src/leases_cmd.rs`), so the store crate can exercise it on its own:
//!
//! ```text
//! cargo run -p leasehold-store --example leases_cli -- --db leases.db list --format json
//! ```

#[path = "../../leasehold/src/leases_cmd.rs"]
mod leases_cmd;

use clap::Parser;

/// Lease database tools.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    leases: leases_cmd::LeasesArgs,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    leases_cmd::run(&cli.leases, &mut out)
}

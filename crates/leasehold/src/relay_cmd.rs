//! `leasehold relay`: run the DHCP relay agent (crate `leasehold-relay`).
//!
//! Settings come from the `[relay]` table of `--config` when given; every flag overrides the
//! file. Without a file, `--listen` and `--server` are required.

use crate::cli::LogFormat;
use anyhow::Context;
use leasehold_relay::RelayConfig;
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// Arguments of `relay`.
#[derive(Debug, Clone, clap::Args)]
pub struct RelayArgs {
    /// Leasehold configuration file; only its `[relay]` table is read.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Downstream (client-facing) interface; repeat for several. Replaces `listen` of the file.
    #[arg(long = "listen", value_name = "IFACE")]
    pub listen: Vec<String>,
    /// DHCP server to forward to; repeat for several. Replaces `servers` of the file.
    #[arg(long = "server", value_name = "ADDR")]
    pub servers: Vec<Ipv4Addr>,
    /// UDP port the servers listen on (default 67; 1067 for an unprivileged trial).
    #[arg(long)]
    pub server_port: Option<u16>,
    /// UDP port clients listen on (default 68).
    #[arg(long)]
    pub client_port: Option<u16>,
    /// Drop requests whose hop count already exceeds this (default 4, at most 16).
    #[arg(long)]
    pub max_hops: Option<u8>,
    /// Option 82 remote id (sub-option 2) to add to every request.
    #[arg(long)]
    pub remote_id: Option<String>,
    /// Add option 82 sub-option 5, link selection (RFC 3527).
    #[arg(long)]
    pub link_selection: bool,
    /// Add option 82 sub-option 11, server identifier override (RFC 5107).
    #[arg(long)]
    pub server_id_override: bool,
    /// Log format.
    #[arg(long, value_enum, default_value_t)]
    pub log_format: LogFormat,
}

impl RelayArgs {
    /// The configuration: the file's `[relay]` table (if any) with the flags applied on top.
    pub fn to_config(&self) -> anyhow::Result<RelayConfig> {
        let mut cfg = match &self.config {
            Some(path) => RelayConfig::from_toml_file(path)?,
            None => {
                if self.listen.is_empty() || self.servers.is_empty() {
                    anyhow::bail!(
                        "give --listen IFACE and --server ADDR, or --config FILE with a [relay] table"
                    );
                }
                RelayConfig::new(Vec::new(), Vec::new())
            }
        };
        if !self.listen.is_empty() {
            cfg.listen = self.listen.clone();
        }
        if !self.servers.is_empty() {
            cfg.servers = self.servers.clone();
        }
        if let Some(p) = self.server_port {
            cfg.server_port = p;
        }
        if let Some(p) = self.client_port {
            cfg.client_port = p;
        }
        if let Some(h) = self.max_hops {
            cfg.max_hops = h;
        }
        if let Some(r) = &self.remote_id {
            cfg.remote_id = Some(r.clone());
        }
        cfg.link_selection |= self.link_selection;
        cfg.server_id_override |= self.server_id_override;
        cfg.validate()
            .map_err(|e| anyhow::anyhow!("invalid relay settings: {e}"))?;
        Ok(cfg)
    }
}

/// Runs the relay until SIGINT or SIGTERM.
pub fn run_relay(args: RelayArgs) -> anyhow::Result<()> {
    crate::logging::init(args.log_format)?;
    let cfg = args.to_config()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(leasehold_relay::run(
        cfg,
        leasehold_server::serve::shutdown_signal(),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        args: RelayArgs,
    }

    fn parse(argv: &[&str]) -> RelayArgs {
        let mut full = vec!["relay"];
        full.extend_from_slice(argv);
        Wrap::try_parse_from(full)
            .map(|w| w.args)
            .expect("valid flags")
    }

    #[test]
    fn flags_alone() {
        let cfg = parse(&[
            "--listen",
            "eth1",
            "--listen",
            "eth2",
            "--server",
            "198.18.0.1",
            "--max-hops",
            "8",
        ])
        .to_config()
        .expect("valid");
        assert_eq!(cfg.listen, vec!["eth1".to_string(), "eth2".to_string()]);
        assert_eq!(cfg.servers, vec![Ipv4Addr::new(198, 18, 0, 1)]);
        assert_eq!(cfg.max_hops, 8);
        assert_eq!(cfg.server_port, 67);
        assert!(
            parse(&["--listen", "eth1"]).to_config().is_err(),
            "no server"
        );
        assert!(parse(&[
            "--listen",
            "eth1",
            "--server",
            "198.18.0.1",
            "--max-hops",
            "17"
        ])
        .to_config()
        .is_err());
    }

    #[test]
    fn flags_override_the_file() {
        let path =
            std::env::temp_dir().join(format!("leasehold-relay-cmd-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "[relay]\nlisten = [\"eth1\"]\nservers = [\"198.18.0.1\"]\nremote_id = \"file\"\n",
        )
        .expect("write");
        let file = path.to_string_lossy().into_owned();
        let cfg = parse(&[
            "--config",
            &file,
            "--server-port",
            "1067",
            "--remote-id",
            "flag",
        ])
        .to_config()
        .expect("valid");
        assert_eq!(cfg.listen, vec!["eth1".to_string()]);
        assert_eq!(cfg.server_port, 1067);
        assert_eq!(cfg.remote_id.as_deref(), Some("flag"));
        let _ = std::fs::remove_file(&path);
    }
}

//! Network-boot files for Leasehold: TFTP and HTTP serving one root directory, read-only by
//! default, every request resolved beneath the root by the kernel.
//!
//! Layout (`ls` order):
//! - [`error`]: [`BootFilesError`], why a service could not start or stopped.
//! - [`http`]: the HTTP boot service (GET/HEAD, single ranges) for iPXE and UEFI HTTP boot,
//!   with [`http::HttpStats`].
//! - [`root`]: [`BootRoot`], the beneath-root opener (`openat2` with `RESOLVE_BENEATH |
//!   RESOLVE_NO_MAGICLINKS`); the only way either service opens a file.
//! - [`settings`]: [`TftpSettings`] and [`HttpBootSettings`], plain configuration data.
//! - [`tftp`]: the TFTP service — a sans-I/O core (`packet`, `options`, `netascii`,
//!   `transfer`), its counters (`stats`) and the tokio runtime (`run`).
//!
//! The `runtime` feature (on by default) builds the tokio services (`tftp::run`, `http`);
//! without it only the sans-I/O core and the opener are built.
//!
//! Use: build the settings, create the stats (`Arc<TftpStats>`, `Arc<HttpStats>`), call
//! [`tftp::TftpServer::bind`] / [`http::HttpBootServer::bind`] at start-up (errors surface there),
//! then `serve(shutdown)` with a `CancellationToken`; or the one-step [`tftp::serve`] and
//! [`http::serve`]. Snapshots of the stats feed the metrics.
#![forbid(unsafe_code)]

pub mod error;
#[cfg(feature = "runtime")]
pub mod http;
pub mod root;
pub mod settings;
pub mod tftp;

pub use error::BootFilesError;
pub use root::BootRoot;
pub use settings::{HttpBootSettings, TftpSettings};

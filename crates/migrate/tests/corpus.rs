//! Real configuration files of public projects (tests/migrate/corpus/<source>/, origin and
//! licence in each ORIGIN.md): every one imports, and what it writes passes check-config, or the
//! import reports each line it could not carry over. Prints the share of lines carried over per
//! file and per source, and fails when a source's share falls below its BASELINE (raise the
//! baseline when an importer learns more; never lower it to make the test pass).

use leasehold_engine::Config;
use leasehold_migrate::{FsFiles, ImportError, Imported, SourceFiles};
use std::path::{Path, PathBuf};

type Importer = fn(&dyn SourceFiles, &Path, Option<&Path>, u64) -> Result<Imported, ImportError>;

/// The time the leases of the corpus are read at (2027-01-15).
const NOW: u64 = 1_800_000_000;

fn corpus_dir(source: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/migrate/corpus")
        .join(source)
}

/// The configuration files of a corpus directory: every file but ORIGIN.md, BASELINE and lease
/// files (`*.leases`, `*.csv`), which belong to the configuration with the same stem; files in
/// subdirectories (includes) are only read through a configuration.
fn configs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            !matches!(name, "ORIGIN.md" | "BASELINE")
                && !name.ends_with(".leases")
                && !name.ends_with(".csv")
        })
        .collect();
    out.sort();
    out
}

/// The lease file belonging to `config`, if the corpus has one.
fn leases_of(config: &Path) -> Option<PathBuf> {
    ["leases", "csv"]
        .iter()
        .map(|ext| config.with_extension(ext))
        .find(|p| p.is_file())
}

fn run(source: &str, import: Importer) {
    let dir = corpus_dir(source);
    let files = configs(&dir);
    assert!(
        !files.is_empty(),
        "no configuration files in {}",
        dir.display()
    );
    let baseline: f64 = std::fs::read_to_string(dir.join("BASELINE"))
        .unwrap_or_else(|e| panic!("{}/BASELINE: {e}", dir.display()))
        .trim()
        .parse()
        .expect("BASELINE holds a percentage");
    let (mut total, mut lost, mut failures) = (0u32, 0u32, Vec::new());
    for config in &files {
        let leases = leases_of(config);
        match import(&FsFiles, config, leases.as_deref(), NOW) {
            Ok(imported) => {
                let text = imported.config.to_toml();
                if let Err(e) = Config::from_toml(&text, Path::new("imported.toml")) {
                    failures.push(format!(
                        "{}: the written configuration fails check-config: {e}",
                        config.display()
                    ));
                    continue;
                }
                let r = &imported.report;
                total += r.total_lines();
                lost += r.lines_not_carried().min(r.total_lines());
                println!(
                    "{source} {}: {:.1} % of {} lines carried over, {} finding(s), {} lease(s)",
                    config.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
                    r.carried_percent(),
                    r.total_lines(),
                    r.findings.len(),
                    imported.leases.len()
                );
            }
            Err(e) => failures.push(format!("{}: import failed: {e}", config.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let share = if total == 0 {
        100.0
    } else {
        f64::from(total - lost) * 100.0 / f64::from(total)
    };
    println!(
        "{source} corpus: {share:.1} % of {total} lines carried over in {} file(s) (baseline {baseline:.1} %)",
        files.len()
    );
    assert!(
        share + 1e-9 >= baseline,
        "{source}: {share:.1} % carried over, below the baseline {baseline:.1} %"
    );
}

#[test]
fn dhcpd_corpus() {
    run("dhcpd", leasehold_migrate::dhcpd::import);
}

#[test]
fn kea_corpus() {
    run("kea", leasehold_migrate::kea::import);
}

#[test]
fn dnsmasq_corpus() {
    run("dnsmasq", leasehold_migrate::dnsmasq::import);
}

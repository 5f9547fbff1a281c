//! The TFTP service against real clients run as subprocesses: tftp-hpa `tftp`, `atftp` and
//! `curl`. A missing client fails the test (Debian packages tftp-hpa, atftp, curl).

mod common;

use common::*;
use leasehold_bootfiles::tftp::ErrorKind;

async fn tftp_hpa_get(server: &Tftp, mode: &str, name: &str, out: &std::path::Path) -> String {
    require("tftp", "tftp-hpa");
    let port = server.port();
    let out_s = out.to_str().unwrap();
    let args = [
        "-m",
        mode,
        "127.0.0.1",
        port.as_str(),
        "-c",
        "get",
        name,
        out_s,
    ];
    let output = run("tftp", &args).await;
    describe("tftp", &args, &output)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tftp_hpa_downloads_small_files_and_inside_symlink() {
    let fx = Fixture::new();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    for name in ["empty", "exact512", "small.bin", "sub/inner.bin", "inside"] {
        let out = fx.out(&name.replace('/', "_"));
        let log = tftp_hpa_get(&server, "binary", name, &out).await;
        assert!(out.exists(), "{name}: no output file\n{log}");
        assert_eq!(
            sha256_file(&out),
            sha256_file(&fx.path(name)),
            "{name} differs\n{log}"
        );
    }
    server.wait_idle().await;
    let s = server.stats.snapshot();
    assert_eq!(s.completed, 5, "{s:?}");
    assert_eq!(s.failed, 0, "{s:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tftp_hpa_33_mib_rolls_block_numbers_over() {
    let fx = Fixture::new();
    let want = fx.add_big();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let out = fx.out("big.bin");
    let log = tftp_hpa_get(&server, "binary", "big.bin", &out).await;
    assert_eq!(
        std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0),
        BIG as u64,
        "{log}"
    );
    assert_eq!(sha256_file(&out), want, "{log}");
    server.wait_idle().await;
    let s = server.stats.snapshot();
    assert_eq!((s.completed, s.failed), (1, 0), "{s:?}");
    assert!(s.bytes_sent >= BIG as u64, "{s:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tftp_hpa_netascii_round_trips_text() {
    let fx = Fixture::new();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let out = fx.out("text.txt");
    let log = tftp_hpa_get(&server, "ascii", "text.txt", &out).await;
    assert_eq!(
        std::fs::read(&out).unwrap_or_default(),
        std::fs::read(fx.path("text.txt")).unwrap(),
        "{log}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tftp_hpa_missing_file_is_refused() {
    let fx = Fixture::new();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let out = fx.out("missing");
    let log = tftp_hpa_get(&server, "binary", "missing", &out).await;
    assert!(log.contains("Error code 1"), "{log}");
    let s = server.stats.snapshot();
    assert_eq!(s.refused, 1, "{s:?}");
    assert_eq!(s.error(ErrorKind::NotFound), 1, "{s:?}");
    server.stop().await;
}

async fn atftp_get(server: &Tftp, options: &[&str], name: &str, out: &std::path::Path) -> String {
    require("atftp", "atftp");
    let port = server.port();
    let mut args: Vec<&str> = Vec::new();
    for o in options {
        args.push("--option");
        args.push(o);
    }
    let out_s = out.to_str().unwrap();
    args.extend(["-g", "-r", name, "-l", out_s, "127.0.0.1", port.as_str()]);
    let output = run("atftp", &args).await;
    describe("atftp", &args, &output)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atftp_with_blksize_tsize_windowsize() {
    let fx = Fixture::new();
    let want_big = fx.add_big();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let options = ["blksize 1428", "tsize 0", "windowsize 8"];
    for name in ["empty", "exact512", "small.bin", "big.bin"] {
        let out = fx.out(name);
        let log = atftp_get(&server, &options, name, &out).await;
        assert!(out.exists(), "{name}: no output\n{log}");
        assert_eq!(
            sha256_file(&out),
            sha256_file(&fx.path(name)),
            "{name}\n{log}"
        );
    }
    // Without options: plain RFC 1350, 512-byte blocks, rollover on the big file.
    let out = fx.out("big-plain.bin");
    let log = atftp_get(&server, &[], "big.bin", &out).await;
    assert_eq!(sha256_file(&out), want_big, "{log}");
    server.wait_idle().await;
    let s = server.stats.snapshot();
    assert_eq!((s.completed, s.failed), (5, 0), "{s:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_tftp_with_and_without_blksize() {
    require("curl", "curl");
    let fx = Fixture::new();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let mut done = 0;
    for blksize in [None, Some("1024"), Some("1468")] {
        for name in ["empty", "exact512", "small.bin", "sub/inner.bin"] {
            let out = fx.out(&format!("curl-{}-{}", blksize.unwrap_or("default"), done));
            let url = format!("tftp://127.0.0.1:{}/{name}", server.port());
            let out_s = out.to_str().unwrap().to_string();
            let mut args = vec!["-sS", "--max-time", "30", "-o", &out_s];
            if let Some(b) = blksize {
                args.extend(["--tftp-blksize", b]);
            }
            args.push(&url);
            let output = run("curl", &args).await;
            let log = describe("curl", &args, &output);
            assert!(output.status.success(), "{log}");
            assert_eq!(
                sha256_file(&out),
                sha256_file(&fx.path(name)),
                "{name}\n{log}"
            );
            done += 1;
        }
    }
    server.wait_idle().await;
    let s = server.stats.snapshot();
    assert_eq!((s.completed, s.failed), (done, 0), "{s:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_refused_by_default() {
    require("tftp", "tftp-hpa");
    let fx = Fixture::new();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let local = fx.out("up.bin");
    std::fs::write(&local, content(2000, 9)).unwrap();
    let port = server.port();
    let args = [
        "-m",
        "binary",
        "127.0.0.1",
        port.as_str(),
        "-c",
        "put",
        local.to_str().unwrap(),
        "up.bin",
    ];
    let out = run("tftp", &args).await;
    let log = describe("tftp", &args, &out);
    assert!(log.contains("Error code 2"), "{log}");
    assert!(!fx.path("up.bin").exists());
    assert_eq!(
        server.stats.snapshot().error(ErrorKind::WriteRefused),
        1,
        "{log}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_create_new_files_in_upload_dir_only() {
    require("tftp", "tftp-hpa");
    let fx = Fixture::new();
    let uploads = tempfile::tempdir().unwrap();
    let mut settings = tftp_settings(fx.root.path());
    settings.upload_dir = Some(uploads.path().to_path_buf());
    settings.max_upload_size = 100_000;
    let server = Tftp::start(settings).await;
    let port = server.port();
    let put = |local: std::path::PathBuf, remote: &'static str| {
        let port = port.clone();
        async move {
            let l = local.to_str().unwrap().to_string();
            let args = ["-m", "binary", "127.0.0.1", &port, "-c", "put", &l, remote];
            let out = run("tftp", &args).await;
            describe("tftp", &args, &out)
        }
    };
    let first = fx.out("first.bin");
    std::fs::write(&first, content(5000, 10)).unwrap();
    let log = put(first.clone(), "new.bin").await;
    server.wait_idle().await;
    assert_eq!(
        sha256_file(&uploads.path().join("new.bin")),
        sha256_file(&first),
        "{log}"
    );
    // Never overwritten.
    let second = fx.out("second.bin");
    std::fs::write(&second, content(5000, 11)).unwrap();
    let log = put(second, "new.bin").await;
    assert!(log.contains("Error code 6"), "{log}");
    assert_eq!(
        sha256_file(&uploads.path().join("new.bin")),
        sha256_file(&first)
    );
    // Traversal refused.
    let log = put(first.clone(), "../escaped.bin").await;
    assert!(log.contains("Error code 2"), "{log}");
    assert!(!uploads.path().join("../escaped.bin").exists());
    // Above the cap: refused mid-transfer, the partial file removed.
    let huge = fx.out("huge.bin");
    std::fs::write(&huge, content(200_000, 12)).unwrap();
    let log = put(huge, "huge.bin").await;
    server.wait_idle().await;
    assert!(log.contains("Error code 3"), "{log}");
    assert!(!uploads.path().join("huge.bin").exists(), "{log}");
    // Nothing was written into the read-only root.
    assert!(!fx.path("new.bin").exists());
    let s = server.stats.snapshot();
    assert_eq!(s.completed, 1, "{s:?}");
    assert_eq!(s.bytes_received, 5000 + 195 * 512, "{s:?}");
    assert_eq!(s.error(ErrorKind::FileExists), 1, "{s:?}");
    assert_eq!(s.error(ErrorKind::AccessViolation), 1, "{s:?}");
    assert_eq!(s.error(ErrorKind::TooLarge), 1, "{s:?}");
    server.stop().await;
}

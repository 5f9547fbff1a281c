//! The HTTP boot service against curl (GET, HEAD, ranges, 404) and raw requests (traversal in
//! forms curl would normalise away).

mod common;

use common::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `curl -sS` with `args`; returns (HTTP status, headers, body file) and fails on curl errors.
async fn curl(http: &Http, fx: &Fixture, out: &str, args: &[&str]) -> (u16, String, String) {
    require("curl", "curl");
    let body = fx.out(out);
    let headers = fx.out(&format!("{out}.headers"));
    let mut all = vec![
        "-sS",
        "--max-time",
        "60",
        "-o",
        body.to_str().unwrap(),
        "-D",
        headers.to_str().unwrap(),
        "-w",
        "%{http_code}",
    ];
    all.extend_from_slice(args);
    let output = run("curl", &all).await;
    let log = describe("curl", &all, &output);
    assert!(output.status.success(), "{log}");
    let status: u16 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no status: {log}"));
    let _ = http;
    (
        status,
        std::fs::read_to_string(&headers)
            .unwrap_or_default()
            .to_ascii_lowercase(),
        body.to_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_get_head_and_ranges() {
    let fx = Fixture::new();
    let big_sha = fx.add_big();
    let http = Http::start(fx.root.path()).await;
    for name in ["empty", "exact512", "small.bin", "sub/inner.bin", "inside"] {
        let (status, headers, body) = curl(&http, &fx, "get", &[&http.url(name)]).await;
        assert_eq!(status, 200, "{name}");
        let len = std::fs::metadata(fx.path(name)).unwrap().len();
        assert!(
            headers.contains(&format!("content-length: {len}\r\n")),
            "{name}: {headers}"
        );
        assert_eq!(
            sha256_file(body.as_ref()),
            sha256_file(&fx.path(name)),
            "{name}"
        );
    }
    let (status, _, body) = curl(&http, &fx, "big", &[&http.url("big.bin")]).await;
    assert_eq!(status, 200);
    assert_eq!(sha256_file(body.as_ref()), big_sha);

    let small = std::fs::read(fx.path("small.bin")).unwrap();
    for (range, start, end) in [
        ("100-199", 100, 199),
        ("2900-", 2900, 2999),
        ("-50", 2950, 2999),
        ("2990-9999", 2990, 2999),
    ] {
        let url = http.url("small.bin");
        let (status, headers, body) = curl(&http, &fx, "range", &["-r", range, &url]).await;
        assert_eq!(status, 206, "{range}");
        assert!(
            headers.contains(&format!("content-range: bytes {start}-{end}/3000\r\n")),
            "{range}: {headers}"
        );
        assert_eq!(
            std::fs::read(&body).unwrap(),
            &small[start..=end],
            "{range}"
        );
    }
    let url = http.url("small.bin");
    let (status, headers, _) = curl(&http, &fx, "unsat", &["-r", "3000-", &url]).await;
    assert_eq!(status, 416);
    assert!(
        headers.contains("content-range: bytes */3000\r\n"),
        "{headers}"
    );

    let (status, headers, body) = curl(&http, &fx, "head", &["-I", &url]).await;
    assert_eq!(status, 200);
    assert!(headers.contains("content-length: 3000\r\n"), "{headers}");
    assert!(headers.contains("accept-ranges: bytes\r\n"), "{headers}");
    drop(body); // curl -I writes the headers there
                // The raw answer to HEAD ends after the headers: no body.
    let answer = raw_request(&http, "HEAD", b"/small.bin").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-length: 3000\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with("\r\n\r\n"),
        "HEAD answered with a body: {answer}"
    );

    for missing in ["nothing", "dir", "dir/", "", "sub/nothing"] {
        let (status, _, _) = curl(&http, &fx, "missing", &[&http.url(missing)]).await;
        assert_eq!(status, 404, "{missing:?}");
    }
    let (status, headers, _) = curl(&http, &fx, "post", &["-X", "POST", &url]).await;
    assert_eq!(status, 405);
    assert!(headers.contains("allow: get, head"), "{headers}");

    let s = http.stats.snapshot();
    assert_eq!(s.ok, 8, "{s:?}");
    assert_eq!(s.partial, 4, "{s:?}");
    assert_eq!(s.range_not_satisfiable, 1, "{s:?}");
    assert_eq!(s.not_found, 5, "{s:?}");
    assert_eq!(s.method_not_allowed, 1, "{s:?}");
    assert_eq!(s.requests, 19, "{s:?}");
    http.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), http.task)
        .await
        .expect("http service did not stop")
        .unwrap()
        .unwrap();
}

/// Sends a raw HTTP/1.1 request (the target unnormalised) and returns the whole answer.
async fn raw_request(http: &Http, method: &str, target: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(http.addr).await.unwrap();
    let mut req = format!("{method} ").into_bytes();
    req.extend_from_slice(target);
    req.extend_from_slice(b" HTTP/1.1\r\nHost: boot\r\nConnection: close\r\n\r\n");
    stream.write_all(&req).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("no answer within 10 s")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// Sends a raw GET and returns the status code.
async fn raw_status(http: &Http, target: &[u8]) -> u16 {
    let text = raw_request(http, "GET", target).await;
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_is_refused_over_http() {
    let fx = Fixture::new();
    let http = Http::start(fx.root.path()).await;
    let refused: &[&[u8]] = &[
        b"/../x",
        b"/../../../../etc/passwd",
        b"/%2e%2e/%2e%2e/etc/passwd",
        b"/sub/../../x",
        b"/a/%2E%2E/%2e%2e/x",
        b"//etc/passwd",
        b"/%2fetc/passwd",
        b"/..%5cx",
        b"/sub%5cinner.bin",
        b"/small.bin%00.png",
        b"/escape",
        b"/up/etc/passwd",
        b"/up/up/etc/passwd",
    ];
    for target in refused {
        let status = raw_status(&http, target).await;
        assert_eq!(status, 403, "{}", String::from_utf8_lossy(target));
    }
    // curl with --path-as-is sends the dots unnormalised too.
    require("curl", "curl");
    let url = format!("http://{}/../../etc/passwd", http.addr);
    let args = [
        "-sS",
        "--path-as-is",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
    ];
    let out = run("curl", &args).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "403",
        "{}",
        describe("curl", &args, &out)
    );
    // Inside symlinks and encoded names that stay inside work.
    assert_eq!(raw_status(&http, b"/inside").await, 200);
    assert_eq!(raw_status(&http, b"/sub/%69nner.bin").await, 200);
    let s = http.stats.snapshot();
    assert_eq!(s.forbidden, refused.len() as u64 + 1, "{s:?}");
    assert_eq!(s.ok, 2, "{s:?}");
    http.shutdown.cancel();
}

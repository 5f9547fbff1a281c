//! The control API and `leasehold ctl` against a real server on 127.0.0.1: reads, filters,
//! paging, writes with and without the token, engine-consistent add/delete, history, OpenAPI.

mod observe_support;

use observe_support::{client, delete, dora, get, post, start, TOKEN};
use std::process::Command;

#[test]
fn leases_pools_history_and_writes() {
    let server = start(&["127.0.0.100-127.0.0.199"], false, "");
    let api = server.api.clone();
    let sock = client();
    let (n1, a1) = dora(&sock, server.port, [0x52, 0x54, 0, 0, 0xa0, 1], 100);
    let (n2, a2) = dora(&sock, server.port, [0x52, 0x54, 0, 0, 0xa0, 2], 200);
    assert_eq!((n1, n2), (2, 2));
    let (a1, a2) = (a1.expect("ack 1"), a2.expect("ack 2"));

    assert_eq!(get(&format!("{api}/api/health")).json()["status"], "ok");
    let v = get(&format!("{api}/api/version")).json();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));

    let page = get(&format!("{api}/api/leases")).json();
    assert_eq!(page["total"], 2);
    let page = get(&format!(
        "{api}/api/leases?mac=52:54:00:00:a0:02&state=bound"
    ))
    .json();
    assert_eq!(page["total"], 1);
    assert_eq!(page["leases"][0]["address"], a2.to_string());
    let page = get(&format!("{api}/api/leases?limit=1&offset=1")).json();
    assert_eq!(page["leases"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["total"], 2);
    assert_eq!(
        get(&format!("{api}/api/leases?subnet=1")).json()["total"],
        2
    );
    assert_eq!(get(&format!("{api}/api/leases?subnet=9")).status, 400);
    assert_eq!(get(&format!("{api}/api/leases?state=bogus")).status, 400);

    let one = get(&format!("{api}/api/leases/{a1}")).json();
    assert_eq!(one["state"], "bound");
    assert_eq!(one["mac"], "52:54:00:00:a0:01");
    assert_eq!(get(&format!("{api}/api/leases/127.0.0.250")).status, 404);
    assert_eq!(get(&format!("{api}/api/leases/not-an-ip")).status, 400);

    let pools = get(&format!("{api}/api/pools")).json();
    assert_eq!(pools["pools"][0]["assigned"], 2);
    assert_eq!(pools["pools"][0]["total"], 100);
    let res = get(&format!("{api}/api/reservations")).json();
    assert_eq!(res["reservations"][0]["address"], "127.0.0.10");

    // Writes need the token.
    let body = r#"{"address":"127.0.0.150","mac":"52:54:00:00:b0:01","hostname":"printer"}"#;
    assert_eq!(post(&format!("{api}/api/leases"), body, false).status, 401);
    let added = post(&format!("{api}/api/leases"), body, true);
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.json()["state"], "bound");
    // The engine sees it: another client cannot take it, and the lease lists show it.
    let taken = format!(r#"{{"address":"{a1}","mac":"52:54:00:00:b0:02"}}"#);
    assert_eq!(post(&format!("{api}/api/leases"), &taken, true).status, 409);
    let reserved = r#"{"address":"127.0.0.10","mac":"52:54:00:00:b0:02"}"#;
    assert_eq!(
        post(&format!("{api}/api/leases"), reserved, true).status,
        409
    );
    assert_eq!(post(&format!("{api}/api/leases"), "{}", true).status, 400);
    assert_eq!(
        get(&format!("{api}/api/leases?hostname=print")).json()["total"],
        1
    );

    // Delete frees the address (record kept as expired, no client) and is durable.
    assert_eq!(delete(&format!("{api}/api/leases/{a2}"), false).status, 401);
    assert_eq!(delete(&format!("{api}/api/leases/{a2}"), true).status, 200);
    let freed = get(&format!("{api}/api/leases/{a2}")).json();
    assert_eq!(freed["state"], "expired");
    assert!(freed["client"].is_null());
    assert_eq!(
        delete(&format!("{api}/api/leases/127.0.0.251"), true).status,
        404
    );

    // History, through the store.
    let h = get(&format!("{api}/api/history?address={a2}")).json();
    let states: Vec<&str> = h["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["lease"]["state"].as_str())
        .collect();
    assert_eq!(states, ["expired", "bound"], "newest first: {h}");
    let h = get(&format!("{api}/api/history?client=52:54:00:00:a0:01")).json();
    assert!(!h["entries"].as_array().expect("entries").is_empty());
    assert_eq!(get(&format!("{api}/api/history")).status, 400);

    assert_eq!(
        post(&format!("{api}/api/leases/reclaim"), "", true).json()["reclaimed"],
        0
    );

    // Config: current with the token file redacted; test a body.
    let c = get(&format!("{api}/api/config")).json();
    assert_eq!(c["config"]["control"]["token_file"], "<redacted>");
    let ok = post(
        &format!("{api}/api/config/test"),
        "[server]\nlease_time = 60\n",
        true,
    );
    assert_eq!(ok.status, 200);
    let bad = post(
        &format!("{api}/api/config/test"),
        "[server]\n\nlease_tmie = 60\n",
        true,
    );
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["line"], 3);

    // Statistics and rates.
    let s = get(&format!("{api}/api/statistics")).json();
    assert_eq!(s["requests"], 4);
    assert_eq!(s["acks"], 2);
    let r = get(&format!("{api}/api/rates")).json();
    let total: u64 = r["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .filter_map(|b| b["requests"].as_u64())
        .sum();
    assert_eq!(total, 4);

    // Per-subnet log level.
    let set = post(
        &format!("{api}/api/log-level"),
        r#"{"subnet":1,"level":"debug"}"#,
        true,
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        get(&format!("{api}/api/log-level")).json()["levels"][0]["level"],
        "debug"
    );
    let none = post(
        &format!("{api}/api/log-level"),
        r#"{"subnet":7,"level":"debug"}"#,
        true,
    );
    assert_eq!(none.status, 404);

    // The OpenAPI document parses and names the lease routes.
    let doc = get(&format!("{api}/api/openapi.json")).json();
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/api/leases/{address}"]["delete"].is_object());

    // The ctl client.
    let ctl = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_leasehold"))
            .args(["ctl", "--url", &api])
            .args(args)
            .output()
            .expect("run ctl")
    };
    let out = ctl(&["leases", "list", "--state", "bound"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&a1.to_string()) && text.contains("127.0.0.150"),
        "{text}"
    );
    let out = ctl(&["leases", "delete", "127.0.0.150"]);
    assert!(!out.status.success(), "a write without the token must fail");
    let token_file = server.dir.path().join("token");
    let tf = token_file.to_string_lossy().to_string();
    let out = ctl(&["--token-file", &tf, "leases", "delete", "127.0.0.150"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = ctl(&["pools"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"total\": 100"));
    assert!(!TOKEN.is_empty());
}

#[test]
fn without_a_token_file_the_api_is_read_only() {
    let server = start(&["127.0.0.100-127.0.0.110"], true, "");
    let api = &server.api;
    assert_eq!(get(&format!("{api}/api/leases")).status, 200);
    let r = post(
        &format!("{api}/api/leases"),
        r#"{"address":"127.0.0.100","mac":"52:54:00:00:b0:01"}"#,
        true,
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        post(&format!("{api}/api/config/reload"), "", true).status,
        403
    );
}

#[test]
fn non_loopback_control_listener_is_refused_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[server]\nserver_port = 1067\n\n[control]\nlisten = \"0.0.0.0:8067\"\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .arg("check-config")
        .arg(&cfg)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("c.toml:5"), "{err}");
    assert!(err.contains("loopback"), "{err}");
}

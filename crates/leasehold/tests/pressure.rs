//! The pressure defence on a running server (127.0.0.1, a `leasehold serve` child), as an
//! operator sees it: with `pressure_new_bindings = 2`, two new clients put the link under
//! pressure; the `link_pressure` log line, `GET /api/pressure`, the `leasehold_link_pressure`
//! metric and the `link_pressure:<link>` alert say so; a third new client's first DISCOVER goes
//! unanswered, its retransmission a second later is offered an address with a 120 s lease, and
//! its first renewal gets the normal lease. A reload with `pressure = false` takes the link out:
//! the log says so and the alert clears.

mod observe_support;

use leasehold_wire::options::code;
use leasehold_wire::MessageType;
use observe_support::{client_socket, config_text, dora, exchange, get, post, request};
use serde_json::Value;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

const LINK: &str = "127.0.0.0/8";
const POOL: &str = "127.0.0.100-127.0.0.109";
const SECURITY: &str = "\n[security]\npressure_new_bindings = 2\n";

/// The value of the series `series` (name and labels, exactly) in `/metrics`, if present.
fn metric(api: &str, series: &str) -> Option<f64> {
    let text = get(&format!("{api}/metrics")).body;
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Calls `f` every 100 ms until it returns `Some`, for at most `limit`.
fn poll<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The next `link_pressure` log line (JSON), waiting at most 10 s.
fn pressure_line(log: &Receiver<String>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = log
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no link_pressure line in the log ({e})"));
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if v["event"] == "link_pressure" {
            return v;
        }
    }
}

/// The active alert with `key`, if any.
fn active_alert(api: &str, key: &str) -> Option<Value> {
    let alerts = get(&format!("{api}/api/alerts")).json();
    alerts["active"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .cloned()
}

#[test]
fn two_new_clients_put_the_link_under_pressure_and_a_reload_takes_it_out() {
    let (server, log) = observe_support::start_logged(&[POOL], false, SECURITY);
    let (port, api) = (server.port, server.api.clone());
    let sock = client_socket(Duration::from_secs(10));
    assert!(dora(&sock, port, [2, 0, 0, 0, 0x51, 1], 100).1.is_some());
    assert!(dora(&sock, port, [2, 0, 0, 0, 0x51, 2], 200).1.is_some());

    // The log line, at WARN.
    let line = pressure_line(&log);
    assert_eq!(line["level"], "WARN", "{line}");
    assert_eq!(line["link"], LINK, "{line}");
    assert_eq!(line["state"], "entered", "{line}");
    assert_eq!(line["new_bindings_per_minute"], 2, "{line}");
    assert_eq!(line["trigger"], 2, "{line}");
    assert_eq!(
        (line["bound"].as_u64(), line["size"].as_u64()),
        (Some(2), Some(10))
    );

    // The API.
    let answer = get(&format!("{api}/api/pressure"));
    assert_eq!(answer.status, 200);
    let p = answer.json();
    assert_eq!(p["enabled"], true, "{p}");
    let link = &p["links"][0];
    assert_eq!(link["link"], LINK, "{p}");
    assert_eq!(link["under_pressure"], true, "{p}");
    assert!(link["since"].as_u64().is_some(), "{p}");
    assert_eq!(link["new_bindings_per_minute"], 2, "{p}");
    assert_eq!(link["trigger_per_minute"], 2, "{p}");
    assert_eq!(link["entered_total"], 1, "{p}");
    assert_eq!(
        (link["bound"].as_u64(), link["size"].as_u64()),
        (Some(2), Some(10))
    );

    // `leasehold ctl pressure` prints the same.
    let ctl = std::process::Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .args(["ctl", "--url", &api, "pressure"])
        .output()
        .expect("run ctl");
    assert!(ctl.status.success());
    let printed: Value = serde_json::from_slice(&ctl.stdout).expect("ctl prints JSON");
    assert_eq!(printed["links"][0]["under_pressure"], true, "{printed}");

    // The metric.
    let series = |name: &str| format!("{name}{{link=\"{LINK}\"}}");
    assert_eq!(metric(&api, &series("leasehold_link_pressure")), Some(1.0));
    assert_eq!(
        metric(&api, &series("leasehold_pressure_entered_total")),
        Some(1.0)
    );

    // A third new client: its first DISCOVER goes unanswered (counted as pressure_unseen)...
    let mac = [2, 0, 0, 0, 0x51, 3];
    let quick = client_socket(Duration::from_millis(300));
    let first = Instant::now();
    let discover = request(MessageType::Discover, mac, 300, &[]);
    assert!(
        exchange(&quick, port, &discover, 300).is_none(),
        "no OFFER to the first DISCOVER"
    );
    poll(Duration::from_secs(10), "the pressure_unseen drop", || {
        let unseen = "leasehold_packets_dropped_total{reason=\"pressure_unseen\"}";
        (metric(&api, unseen) == Some(1.0)).then_some(())
    });
    // ...its retransmission at least a second later is offered an address...
    std::thread::sleep(Duration::from_millis(1100).saturating_sub(first.elapsed()));
    let offer = exchange(&sock, port, &discover, 300).expect("an OFFER to the retransmission");
    assert_eq!(offer.message_type(), Some(MessageType::Offer));
    let sid = offer.options.server_id().expect("server id");
    let select = request(
        MessageType::Request,
        mac,
        301,
        &[
            (code::REQUESTED_IP, offer.yiaddr.octets().to_vec()),
            (code::SERVER_ID, sid.octets().to_vec()),
        ],
    );
    // ...and bound for the short pressure lease.
    let ack = exchange(&sock, port, &select, 301).expect("ACK");
    assert_eq!(ack.message_type(), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr, offer.yiaddr);
    assert_eq!(
        ack.options.lease_time(),
        Some(120),
        "option 51: the short lease"
    );
    // Its first renewal (INIT-REBOOT) gets the normal lease and counts as renewed.
    let reboot = request(
        MessageType::Request,
        mac,
        302,
        &[(code::REQUESTED_IP, ack.yiaddr.octets().to_vec())],
    );
    let renewed = exchange(&sock, port, &reboot, 302).expect("ACK to the renewal");
    assert_eq!(renewed.message_type(), Some(MessageType::Ack));
    assert_eq!(renewed.options.lease_time(), Some(600), "the normal lease");
    for (name, want) in [
        ("leasehold_pressure_short_leases_total", 1.0),
        ("leasehold_pressure_renewed_total", 1.0),
        ("leasehold_pressure_unseen_total", 1.0),
        ("leasehold_pressure_reclaimed_total", 0.0),
        ("leasehold_pressure_rationed_total", 0.0),
    ] {
        assert_eq!(metric(&api, &series(name)), Some(want), "{name}");
    }

    // The alert (the evaluator runs every 5 s).
    let key = format!("link_pressure:{LINK}");
    let alert = poll(Duration::from_secs(20), "the pressure alert", || {
        active_alert(&api, &key)
    });
    assert_eq!(alert["threshold"], 2.0, "{alert}");
    assert_eq!(alert["since"], link["since"], "{alert}");
    let message = alert["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("link {LINK} is under pressure")),
        "{alert}"
    );

    // A reload turning the defence off takes the link out of pressure: logged at INFO, the API
    // and the metric follow at once, the alert clears at the next evaluation.
    let token = server.dir.path().join("token");
    let off = config_text(
        port,
        &[POOL],
        Some(&token),
        &format!("{SECURITY}pressure = false\n"),
    );
    std::fs::write(&server.config, off).expect("write config");
    let reload = post(&format!("{api}/api/config/reload"), "", true);
    assert_eq!(reload.status, 200, "{}", reload.body);
    let line = pressure_line(&log);
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(
        (&line["link"], &line["state"]),
        (&LINK.into(), &"left".into())
    );
    let p = get(&format!("{api}/api/pressure")).json();
    assert_eq!(p["enabled"], false, "{p}");
    assert_eq!(p["links"][0]["under_pressure"], false, "{p}");
    assert_eq!(p["links"][0]["since"], Value::Null, "{p}");
    assert_eq!(metric(&api, &series("leasehold_link_pressure")), Some(0.0));
    poll(Duration::from_secs(20), "the alert to clear", || {
        active_alert(&api, &key).is_none().then_some(())
    });
    let recent = get(&format!("{api}/api/alerts")).json()["recent"].clone();
    let events: Vec<&str> = recent
        .as_array()
        .map(|r| {
            r.iter()
                .filter(|e| e["key"] == key.as_str())
                .filter_map(|e| e["event"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(events, ["raised", "cleared"]);
}

//! The OpenAPI 3.0 document of the control API, served at `/api/openapi.json`.
//!
//! Written by hand (no code generation); the test `openapi_lists_every_route` checks it names
//! exactly the routes of `api::ROUTES`, and `tests/api/schemathesis.sh` fuzzes the
//! running server against it.

use serde_json::{json, Value};

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn err(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn text(description: &str, mime: &str) -> Value {
    json!({ "description": description, "content": { mime: { "schema": { "type": "string" } } } })
}

fn write_errors(mut responses: Value) -> Value {
    if let Some(m) = responses.as_object_mut() {
        m.insert("401".into(), err("missing or wrong bearer token"));
        m.insert(
            "403".into(),
            err("the API is read-only (no token_file configured)"),
        );
    }
    responses
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description })
}

/// The document.
pub fn document() -> Value {
    let address_param = json!({
        "name": "address", "in": "path", "required": true,
        "schema": { "type": "string", "format": "ipv4" },
        "description": "IPv4 address"
    });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Leasehold control API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Inspect and steer a Leasehold DHCPv4 server. Reads are open on a loopback listener; every write (POST, DELETE) needs `Authorization: Bearer <token>` from `[control] token_file`. Served over HTTPS when `[control] tls_cert` and `tls_key` are set; a listener that is not on loopback (allowed only with TLS and a token) needs the token on every request, reads included (401 without it)."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": { "error": { "type": "string" } }
                },
                "Lease": {
                    "type": "object",
                    "required": ["address", "state", "starts"],
                    "properties": {
                        "address": { "type": "string", "format": "ipv4" },
                        "state": { "type": "string", "enum": ["bound", "released", "expired", "declined"] },
                        "client": { "type": "string", "nullable": true },
                        "mac": { "type": "string", "nullable": true },
                        "hostname": { "type": "string", "nullable": true },
                        "starts": { "type": "integer", "minimum": 0 },
                        "expires": { "type": "integer", "minimum": 0, "nullable": true },
                        "subnet_id": { "type": "integer", "minimum": 0, "nullable": true },
                        "server": { "type": "string", "description": "the server that wrote the record (several servers on PostgreSQL; listings only)" }
                    }
                },
                "LeasePage": {
                    "type": "object", "required": ["total", "offset", "limit", "leases"],
                    "properties": {
                        "total": { "type": "integer" }, "offset": { "type": "integer" },
                        "limit": { "type": "integer" },
                        "leases": { "type": "array", "items": { "$ref": "#/components/schemas/Lease" } }
                    }
                },
                "NewLease": {
                    "type": "object", "required": ["address"], "additionalProperties": false,
                    "properties": {
                        "address": { "type": "string", "format": "ipv4" },
                        "mac": { "type": "string", "example": "52:54:00:12:34:56" },
                        "client_id": { "type": "string", "example": "01525400123456" },
                        "hostname": { "type": "string" },
                        "lease_time": { "type": "integer", "minimum": 1, "maximum": 4294967295u64 }
                    }
                },
                "Pool": {
                    "type": "object",
                    "properties": {
                        "subnet_id": { "type": "integer" }, "subnet": { "type": "string" },
                        "pool": { "type": "integer" },
                        "start": { "type": "string", "format": "ipv4" },
                        "end": { "type": "string", "format": "ipv4" },
                        "total": { "type": "integer" }, "assigned": { "type": "integer" },
                        "declined": { "type": "integer" }, "offered": { "type": "integer" },
                        "reserved": { "type": "integer" }, "free": { "type": "integer" },
                        "utilization": { "type": "number", "minimum": 0, "maximum": 1 }
                    }
                },
                "LinkPressure": {
                    "type": "object",
                    "required": ["link", "size", "bound", "under_pressure", "since", "new_bindings_per_minute", "trigger_per_minute",
                        "entered_total", "short_leases_total", "reclaimed_total", "renewed_total", "unseen_total", "rationed_total"],
                    "properties": {
                        "link": { "type": "string", "description": "the link's shared_network, else its subnet (CIDR)" },
                        "size": { "type": "integer", "minimum": 0, "description": "pool addresses on the link" },
                        "bound": { "type": "integer", "minimum": 0, "description": "addresses bound (or declined) now" },
                        "under_pressure": { "type": "boolean" },
                        "since": { "type": "integer", "nullable": true, "description": "Unix time the link entered pressure; null when it is not under pressure" },
                        "new_bindings_per_minute": { "type": "integer", "minimum": 0 },
                        "trigger_per_minute": { "type": "integer", "minimum": 0 },
                        "entered_total": { "type": "integer", "minimum": 0 },
                        "short_leases_total": { "type": "integer", "minimum": 0 },
                        "reclaimed_total": { "type": "integer", "minimum": 0 },
                        "renewed_total": { "type": "integer", "minimum": 0 },
                        "unseen_total": { "type": "integer", "minimum": 0 },
                        "rationed_total": { "type": "integer", "minimum": 0 }
                    }
                },
                "ConfigCheck": {
                    "type": "object", "required": ["valid"],
                    "properties": {
                        "valid": { "type": "boolean" }, "subnets": { "type": "integer" },
                        "error": { "type": "string" }, "line": { "type": "integer", "nullable": true }
                    }
                },
                "Alert": {
                    "type": "object",
                    "properties": {
                        "key": { "type": "string" }, "message": { "type": "string" },
                        "value": { "type": "number" }, "threshold": { "type": "number" },
                        "since": { "type": "integer" }
                    }
                },
                "AlertEvent": {
                    "type": "object",
                    "properties": {
                        "at": { "type": "integer" },
                        "event": { "type": "string", "enum": ["raised", "cleared"] },
                        "key": { "type": "string" }, "message": { "type": "string" },
                        "value": { "type": "number" }, "threshold": { "type": "number" }
                    }
                },
                "LogLevel": {
                    "type": "object", "required": ["subnet", "level"], "additionalProperties": false,
                    "properties": {
                        "subnet": { "type": "integer", "minimum": 0, "maximum": 4294967295u64 },
                        "level": { "type": "string", "enum": ["info", "debug", "trace"] }
                    }
                }
            }
        },
        "paths": {
            "/": { "get": { "summary": "Dashboard (HTML)", "responses": { "200": text("the dashboard page", "text/html") } } },
            "/dashboard.js": { "get": { "summary": "Dashboard script", "responses": { "200": text("script", "text/javascript") } } },
            "/dashboard.css": { "get": { "summary": "Dashboard style sheet", "responses": { "200": text("style sheet", "text/css") } } },
            "/metrics": { "get": { "summary": "Prometheus metrics (OpenMetrics text)", "responses": { "200": text("metrics", "application/openmetrics-text") } } },
            "/api/openapi.json": { "get": { "summary": "This document", "responses": { "200": ok("OpenAPI document", json!({ "type": "object" })) } } },
            "/api/health": { "get": { "summary": "Health: the serve task answers; the lease store's state",
                "responses": { "200": ok("healthy", json!({ "type": "object", "properties": {
                    "status": { "type": "string" },
                    "store": { "type": "object", "properties": {
                        "up": { "type": "boolean" },
                        "feed_up": { "type": "boolean", "nullable": true },
                        "error": { "type": "string" } } } } })), "503": err("shutting down") } } },
            "/api/version": { "get": { "summary": "Server version",
                "responses": { "200": ok("version", json!({ "type": "object", "properties": { "name": { "type": "string" }, "version": { "type": "string" } } })) } } },
            "/api/config": { "get": { "summary": "The configuration in force, secrets redacted",
                "responses": { "200": ok("configuration", json!({ "type": "object", "properties": { "file": { "type": "string" }, "config": { "type": "object" } } })), "503": err("unavailable") } } },
            "/api/config/test": { "post": { "summary": "Validate a configuration (TOML body) without applying it",
                "security": [{ "bearer": [] }],
                "requestBody": { "required": true, "content": { "text/plain": { "schema": { "type": "string" } }, "application/toml": { "schema": { "type": "string" } } } },
                "responses": write_errors(json!({
                    "200": ok("valid", json!({ "$ref": "#/components/schemas/ConfigCheck" })),
                    "422": ok("invalid, with file:line:col", json!({ "$ref": "#/components/schemas/ConfigCheck" }))
                })) } },
            "/api/config/reload": { "post": { "summary": "Re-read and apply the configuration file (like SIGHUP)",
                "security": [{ "bearer": [] }],
                "responses": write_errors(json!({
                    "200": ok("applied", json!({ "type": "object", "properties": { "reloaded": { "type": "boolean" }, "subnets": { "type": "integer" }, "warnings": { "type": "array", "items": { "type": "string" } } } })),
                    "422": ok("refused; the old configuration keeps serving", json!({ "type": "object", "properties": { "reloaded": { "type": "boolean" }, "error": { "type": "string" }, "line": { "type": "integer", "nullable": true } } })),
                    "503": err("shutting down")
                })) } },
            "/api/leases": {
                "get": { "summary": "List leases (filters, paging)",
                    "parameters": [
                        query("subnet", json!({ "type": "string" }), "subnet id or CIDR"),
                        query("mac", json!({ "type": "string" }), "hardware address"),
                        query("client_id", json!({ "type": "string" }), "client identifier, hex"),
                        query("hostname", json!({ "type": "string" }), "host name substring"),
                        query("state", json!({ "type": "string", "enum": ["bound", "released", "expired", "declined"] }), "lease state"),
                        query("offset", json!({ "type": "integer", "minimum": 0 }), "leases to skip"),
                        query("limit", json!({ "type": "integer", "minimum": 1, "maximum": 1000 }), "page size")
                    ],
                    "responses": { "200": ok("a page of leases", json!({ "$ref": "#/components/schemas/LeasePage" })), "400": err("bad filter"), "503": err("shutting down") } },
                "post": { "summary": "Add a bound lease (durable before the answer)",
                    "security": [{ "bearer": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewLease" } } } },
                    "responses": write_errors(json!({
                        "201": ok("added", json!({ "$ref": "#/components/schemas/Lease" })),
                        "400": err("invalid lease"), "409": err("address held or reserved by another client"),
                        "503": err("not stored")
                    })) }
            },
            "/api/leases/reclaim": { "post": { "summary": "Reclaim leases whose time is up",
                "security": [{ "bearer": [] }],
                "responses": write_errors(json!({
                    "200": ok("reclaimed", json!({ "type": "object", "properties": { "reclaimed": { "type": "integer" } } })),
                    "503": err("not stored")
                })) } },
            "/api/leases/{address}": {
                "get": { "summary": "The lease of one address", "parameters": [address_param.clone()],
                    "responses": { "200": ok("the lease", json!({ "$ref": "#/components/schemas/Lease" })), "400": err("bad address"), "404": err("no lease"), "503": err("shutting down") } },
                "delete": { "summary": "Free an address (its record becomes expired with no client)",
                    "security": [{ "bearer": [] }], "parameters": [address_param],
                    "responses": write_errors(json!({
                        "200": ok("freed", json!({ "type": "object", "properties": { "address": { "type": "string" }, "deleted": { "type": "boolean" } } })),
                        "400": err("bad address"), "404": err("no lease"), "503": err("not stored")
                    })) }
            },
            "/api/pools": { "get": { "summary": "Usage of every pool",
                "responses": { "200": ok("pools", json!({ "type": "object", "properties": { "pools": { "type": "array", "items": { "$ref": "#/components/schemas/Pool" } } } })), "503": err("shutting down") } } },
            "/api/pressure": { "get": { "summary": "Pressure state and counters of every link (the starvation defence)",
                "responses": { "200": ok("links", json!({ "type": "object", "required": ["enabled", "links"], "properties": {
                    "enabled": { "type": "boolean", "description": "[security] pressure" },
                    "links": { "type": "array", "items": { "$ref": "#/components/schemas/LinkPressure" } } } })) } } },
            "/api/reservations": { "get": { "summary": "Configured reservations",
                "responses": { "200": ok("reservations", json!({ "type": "object", "properties": { "reservations": { "type": "array", "items": { "type": "object" } } } })), "503": err("shutting down") } } },
            "/api/history": { "get": { "summary": "Lease history of an address or a client (newest first)",
                "parameters": [
                    query("address", json!({ "type": "string", "format": "ipv4" }), "address"),
                    query("client", json!({ "type": "string" }), "client key (hw:1:.., id:..) or MAC"),
                    query("limit", json!({ "type": "integer", "minimum": 1, "maximum": 1000 }), "entries")
                ],
                "responses": { "200": ok("history", json!({ "type": "object", "properties": { "entries": { "type": "array", "items": { "type": "object" } } } })), "400": err("give exactly one of address or client"), "503": err("unavailable") } } },
            "/api/statistics": { "get": { "summary": "Counters, store and pool statistics",
                "responses": { "200": ok("statistics", json!({ "type": "object" })), "503": err("shutting down") } } },
            "/api/rates": { "get": { "summary": "Requests/OFFERs/ACKs/NAKs/drops per 10 s over the last 10 minutes",
                "responses": { "200": ok("rates", json!({ "type": "object", "properties": { "bucket_seconds": { "type": "integer" }, "buckets": { "type": "array", "items": { "type": "object" } } } })) } } },
            "/api/alerts": { "get": { "summary": "Active alerts and recent raise/clear events",
                "responses": { "200": ok("alerts", json!({ "type": "object", "properties": {
                    "active": { "type": "array", "items": { "$ref": "#/components/schemas/Alert" } },
                    "recent": { "type": "array", "items": { "$ref": "#/components/schemas/AlertEvent" } } } })) } } },
            "/api/log-level": {
                "get": { "summary": "Subnets whose log level is raised",
                    "responses": { "200": ok("levels", json!({ "type": "object", "properties": { "levels": { "type": "array", "items": { "$ref": "#/components/schemas/LogLevel" } } } })) } },
                "post": { "summary": "Raise (or reset to info) the log level of one subnet",
                    "security": [{ "bearer": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/LogLevel" } } } },
                    "responses": write_errors(json!({
                        "200": ok("set", json!({ "$ref": "#/components/schemas/LogLevel" })),
                        "400": err("bad body"), "404": err("no such subnet"), "503": err("shutting down")
                    })) }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_lists_every_route() {
        let doc = document();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        let mut documented: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object()
                    .map(|o| o.keys().map(|m| (m.clone(), p.clone())).collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .collect();
        let mut routed: Vec<(String, String)> = super::super::api::ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        documented.sort();
        routed.sort();
        assert_eq!(documented, routed);
    }
}

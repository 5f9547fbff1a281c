//! HTTP (todo)

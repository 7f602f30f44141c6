//! How requests and replies cross between the page and its workers: bincode
//! with variable-length integers (`bincode::DefaultOptions`), where
//! gloo-worker's own codec uses fixed-width ones. Counts, ids and times are
//! mostly small numbers, so a run's messages take about a third fewer bytes
//! (the incident's 8.5 MB become 5.5 MB): less to copy into and out of each
//! side's JavaScript heap, and less garbage waiting there for collection,
//! which a tab's memory counts.

use bincode::Options;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn options() -> impl Options {
    bincode::DefaultOptions::new()
}

/// The bytes of `value`.
///
/// Serialising the project's messages cannot fail (every sequence has a
/// known length); the error is for a type that would break that.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    options().serialize(value).map_err(|e| e.to_string())
}

/// The value `bytes` encode (an error if they are not a whole `T`).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    options().deserialize(bytes).map_err(|e| e.to_string())
}

/// The bytes of an enum's first variant when it has no fields: what
/// [`super::Request::Unreadable`] and [`super::Reply::Unreadable`] are in
/// every build.
const FIRST_VARIANT: [u8; 1] = [0];

/// The value `bytes` encode, or, if they do not (a page and a worker from
/// two builds), `T`'s first variant: [`super::Request::Unreadable`] or
/// [`super::Reply::Unreadable`]. `None` only for a type without such a
/// variant, which the messages' tests rule out.
pub fn decode_or_unreadable<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    decode(bytes).or_else(|_| decode(&FIRST_VARIANT)).ok()
}

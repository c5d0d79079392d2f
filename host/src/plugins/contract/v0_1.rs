//! The binding of `wit/0.1.0` (frozen): plugins built against the first contract.

wasmtime::component::bindgen!({
    path: "../wit/0.1.0",
    world: "action",
    // Native plugins of ABI 1 exchange the same types as JSON.
    additional_derives: [serde::Serialize, serde::Deserialize],
});

pub use self::ticketbot::plugin::types::*;

//! The binding of `wit/0.2.0`: the contract the lifecycle speaks.

wasmtime::component::bindgen!({
    path: "../wit/0.2.0",
    world: "action",
    // Native plugins of ABI 2 exchange the same types as JSON.
    additional_derives: [serde::Serialize, serde::Deserialize],
});

//! native-audit: a native ticketbot plugin (the trusted tier). An *Audit* button for staff adds
//! a numbered staff note to the ticket and answers privately. It speaks the host's C ABI with
//! the contract's types as JSON (see `host/src/plugins/native.rs`).

use std::ffi::c_void;

use serde_json::{json, Value};

/// What the host passes during a call.
#[repr(C)]
pub struct TicketbotHost {
    context: *mut c_void,
    call: extern "C" fn(*mut c_void, *const u8, usize, *mut usize) -> *mut u8,
    free: extern "C" fn(*mut u8, usize),
}

impl TicketbotHost {
    /// A host read: JSON in, JSON out.
    fn ask(&self, request: &Value) -> Value {
        let bytes = serde_json::to_vec(request).unwrap_or_default();
        let mut len = 0usize;
        let answer = (self.call)(self.context, bytes.as_ptr(), bytes.len(), &mut len);
        if answer.is_null() {
            return Value::Null;
        }
        // SAFETY: the host returned `len` bytes it owns until `free`.
        let value = serde_json::from_slice(unsafe { std::slice::from_raw_parts(answer, len) }).unwrap_or(Value::Null);
        (self.free)(answer, len);
        value
    }
}

/// The ABI version this library speaks.
#[no_mangle]
pub extern "C" fn ticketbot_native_abi() -> u32 {
    1
}

/// One call: a JSON request in, a JSON answer out (released with `ticketbot_native_free`).
///
/// # Safety
/// `request` points to `len` readable bytes, `out_len` is writable and `host` valid for the
/// call, as the host guarantees.
#[no_mangle]
pub unsafe extern "C" fn ticketbot_native_call(
    request: *const u8,
    len: usize,
    out_len: *mut usize,
    host: *const TicketbotHost,
) -> *mut u8 {
    let request: Value = serde_json::from_slice(std::slice::from_raw_parts(request, len)).unwrap_or(Value::Null);
    let answer = answer(&request, &*host);
    let bytes = serde_json::to_vec(&answer).unwrap_or_default().into_boxed_slice();
    *out_len = bytes.len();
    Box::into_raw(bytes) as *mut u8
}

/// Releases an answer of `ticketbot_native_call`.
///
/// # Safety
/// `answer` and `len` come from `ticketbot_native_call`.
#[no_mangle]
pub unsafe extern "C" fn ticketbot_native_free(answer: *mut u8, len: usize) {
    if !answer.is_null() {
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(answer, len)));
    }
}

fn answer(request: &Value, host: &TicketbotHost) -> Value {
    if request.get("describe").is_some() {
        return json!({
            "id": "native-audit",
            "name": "Audit (native)",
            "version": env!("CARGO_PKG_VERSION"),
            "buttons": [{"id": "audit", "label": "Audit", "emoji": "🔎", "style": "Secondary", "audience": "Staff"}],
            "capabilities": ["notes", "storage"],
            "subscriptions": [],
        });
    }
    if request.get("check_settings").is_some() {
        return json!([]);
    }
    let Some(handle) = request.get("handle") else {
        return json!({"Err": "unknown request"});
    };
    if handle["event"]["Button"] != "audit" {
        return json!({"Ok": {"reply": null, "effects": []}});
    }
    let ticket = handle["context"]["ticket"]["id"].as_i64().unwrap_or_default();
    let who = handle["context"]["user"]["name"].as_str().unwrap_or("?");
    let key = format!("audits:{ticket}");
    let stored = host.ask(&json!({"get": key}));
    if let Some(refused) = stored["Err"]["NotGranted"].as_str() {
        return json!({"Err": format!("needs {refused}")});
    }
    let count = stored["Ok"].as_str().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + 1;
    host.ask(&json!({"log": ["Info", format!("audit {count} of ticket {ticket}")]}));
    json!({"Ok": {
        "reply": {"Message": [{"content": format!("Audit #{count} noted."), "embeds": [], "rows": []}, true]},
        "effects": [
            {"AddNote": format!("Audit #{count} by {who}")},
            {"Store": [key, count.to_string()]},
        ],
    }})
}

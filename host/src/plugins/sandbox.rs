//! What of WASI a plugin gets: randomness, the wall and monotonic clocks, and an empty
//! environment with standard streams that go nowhere, so ordinary Rust (`rand`, `HashMap`,
//! `std::time`, `println!`) just works. Nothing else: no files (no preopened directories, and
//! the filesystem interfaces are not linked), no sockets (outbound HTTP is the `http`
//! capability), no environment variables or arguments. Sleeping is refused at load: a thread
//! blocked in the host cannot be stopped, and a plugin that needs to wait schedules a timer.
//!
//! [`unsupported_imports`] names what a component asks for that the sandbox does not offer,
//! with what to do, so it is reported when the plugin loads (and by `ticketbot check`), never
//! at a user's click.

use wasmtime::component::{Component, HasData, Linker, ResourceTable};
use wasmtime::Engine;
use wasmtime_wasi::p2::bindings::{cli, clocks, random, sync};
use wasmtime_wasi::{WasiCtx, WasiView};

/// Adds the sandbox's WASI interfaces to `linker`.
pub fn add_to_linker<T: WasiView>(l: &mut Linker<T>) -> wasmtime::Result<()> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
    use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView as _};
    use wasmtime_wasi::random::{WasiRandom, WasiRandomView as _};
    clocks::wall_clock::add_to_linker::<T, WasiClocks>(l, T::clocks)?;
    clocks::monotonic_clock::add_to_linker::<T, WasiClocks>(l, T::clocks)?;
    random::random::add_to_linker::<T, WasiRandom>(l, T::random)?;
    random::insecure::add_to_linker::<T, WasiRandom>(l, T::random)?;
    random::insecure_seed::add_to_linker::<T, WasiRandom>(l, T::random)?;
    cli::exit::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::environment::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::stdin::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::stdout::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::stderr::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_input::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_output::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_stdin::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_stdout::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_stderr::add_to_linker::<T, WasiCli>(l, T::cli)?;
    sync::io::error::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    sync::io::poll::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    sync::io::streams::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    Ok(())
}

struct HasIo;

impl HasData for HasIo {
    type Data<'a> = &'a mut ResourceTable;
}

/// A fresh, empty WASI context for one call: no arguments, no environment, no directories,
/// standard input empty and output discarded.
pub fn context() -> WasiCtx {
    WasiCtx::builder().build()
}

/// Interfaces (by name without version) a plugin may import besides the contract.
const OFFERED: &[&str] = &[
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:cli/exit",
    "wasi:cli/environment",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "ticketbot:plugin/types",
    "ticketbot:plugin/host",
];

/// What `component` imports that the sandbox does not offer, each with what to do about it;
/// empty when it loads as it is.
pub fn unsupported_imports(engine: &Engine, component: &Component) -> Vec<String> {
    let mut out = Vec::new();
    for (name, item) in component.component_type().imports(engine) {
        let interface = name.split('@').next().unwrap_or(name);
        if !OFFERED.contains(&interface) {
            out.push(format!("{name}: {}", advice(interface)));
            continue;
        }
        // The monotonic clock is offered for reading; waiting on it would block the host.
        if interface == "wasi:clocks/monotonic-clock" {
            if let wasmtime::component::types::ComponentItem::ComponentInstance(instance) = item.ty
            {
                if instance
                    .exports(engine)
                    .any(|(function, _)| function.starts_with("subscribe-"))
                {
                    out.push(format!(
                        "{name} (subscribe): the plugin sleeps or waits (std::thread::sleep); \
                         a plugin cannot wait inside an event: schedule a timer effect instead"
                    ));
                }
            }
        }
    }
    out
}

fn advice(interface: &str) -> &'static str {
    match interface.split('/').next().unwrap_or_default() {
        "wasi:filesystem" => {
            "plugins have no files; keep data with the `storage` capability (host::get and the store effect)"
        }
        "wasi:sockets" => {
            "plugins have no sockets; call HTTP hosts through the host with the `http` capability"
        }
        "wasi:http" => "use the `http` capability's host::http instead of wasi:http",
        _ => "the sandbox does not offer it; remove the dependency that imports it",
    }
}

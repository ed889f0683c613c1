//! The bare platform node: what `meddesk platform serve` runs, as its own small binary so the
//! platform's tests can start it as a child process and SIGKILL it.
//!
//! Usage: meddesk-platform --listen 127.0.0.1:PORT [--database URL] [--accounts FILE]
//!        [--access-ttl-seconds N] [--assets DIR] [--trusted-proxy IP]...  (DIR/formulary is the knowledge pack;
//!        default $MEDDESK_ASSETS or ./assets)

use std::process::ExitCode;

use meddesk_platform::{Database, ServeConfig, serve};

/// The allocator `meddesk platform serve` runs with (the shipped binary, crates/cli), so
/// tests and benchmarks that start this node measure what deployments run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut listen = "127.0.0.1:0".to_owned();
    let mut database = None;
    let mut accounts = None;
    let mut ttl = meddesk_platform::auth::ACCESS_TTL_S;
    let mut trusted_proxies = Vec::new();
    let mut assets = std::env::var_os("MEDDESK_ASSETS")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || std::path::PathBuf::from("assets"),
            std::path::PathBuf::from,
        );
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--listen", Some(v)) => listen = v,
            ("--database", Some(v)) => database = Some(v),
            ("--accounts", Some(v)) => accounts = Some(v),
            ("--assets", Some(v)) => assets = v.into(),
            ("--trusted-proxy", Some(v)) => match v.parse() {
                Ok(ip) => trusted_proxies.push(ip),
                Err(_) => return fail("invalid_request: --trusted-proxy needs an IP address"),
            },
            ("--access-ttl-seconds", Some(v)) => match v.parse() {
                Ok(n) => ttl = n,
                Err(_) => return fail("invalid_request: --access-ttl-seconds needs a number"),
            },
            (other, _) => {
                return fail(&format!(
                    "invalid_request: unknown or incomplete argument `{other}`"
                ));
            }
        }
    }
    let Ok(listen) = listen.parse() else {
        return fail("invalid_request: --listen needs IP:PORT");
    };
    let database = match Database::parse(database.as_deref(), std::path::Path::new(".")) {
        Ok(d) => d,
        Err(e) => return fail(&e.to_string()),
    };
    let accounts = match accounts.map(|p| meddesk_platform::serve::read_accounts(p.as_ref())) {
        Some(Ok(a)) => a,
        Some(Err(e)) => return fail(&e.to_string()),
        None => Vec::new(),
    };
    let pack = match meddesk_platform::serve::load_pack(&assets) {
        Ok(p) => p,
        Err(e) => return fail(&e.to_string()),
    };
    let triage = match meddesk_platform::serve::load_triage(&assets) {
        Ok(t) => t,
        Err(e) => return fail(&e.to_string()),
    };
    let cfg = ServeConfig {
        listen,
        database,
        accounts,
        access_ttl_s: ttl,
        trusted_proxies,
        pack,
        triage,
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("internal: {e}")),
    };
    match rt.block_on(serve(cfg, |addr| {
        // Tests read this line to find the port.
        println!("platform listening on http://{addr}");
    })) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("meddesk-platform: {message}");
    ExitCode::FAILURE
}

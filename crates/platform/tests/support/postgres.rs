//! A throw-away PostgreSQL cluster per test: `initdb` into a temporary directory, started
//! with `pg_ctl` on a free loopback port, trust authentication, stopped (immediate) and
//! deleted on drop. PostgreSQL refuses to run as root, so as root the binaries run as the
//! `postgres` user through `runuser`.
//!
//! Missing binaries make the test FAIL, naming the Debian package (`postgresql`): a test
//! that silently skips would hide that the PostgreSQL backend went untested.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug)]
pub struct PgCluster {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    pub port: u16,
    pub url: String,
}

fn bin_dir() -> PathBuf {
    let preferred = PathBuf::from("/usr/lib/postgresql/15/bin");
    if preferred.join("initdb").is_file() {
        return preferred;
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join("initdb").is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: \
             install the Debian package `postgresql` (apt-get install -y postgresql); \
             the PostgreSQL backend tests cannot run without it"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Run a PostgreSQL binary, as `postgres` when we are root.
fn run(bin: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl PgCluster {
    /// Start a cluster; `settings` are extra `-c name=value` server settings.
    pub fn start(settings: &[(&str, &str)]) -> PgCluster {
        Self::start_with_files(settings, &[])
    }

    /// A cluster that speaks TLS only (`hostssl` for TCP), with this certificate and key
    /// (PEM); `sslmode` decides the rest on the client side.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> PgCluster {
        Self::start_with_files(
            &[
                ("fsync", "off"),
                ("ssl", "on"),
                ("ssl_cert_file", "@DIR@/server.crt"),
                ("ssl_key_file", "@DIR@/server.key"),
                ("hba_file", "@DIR@/pg_hba.conf"),
            ],
            &[
                ("server.crt", cert_pem.as_bytes()),
                ("server.key", key_pem.as_bytes()),
                // TCP only over TLS: a plaintext attempt is refused by the server too.
                (
                    "pg_hba.conf",
                    b"local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 0.0.0.0/0 reject\n",
                ),
            ],
        )
    }

    /// [`Self::start`] with `files` written into the cluster's directory first (`@DIR@` in a
    /// setting's value names that directory).
    pub fn start_with_files(settings: &[(&str, &str)], files: &[(&str, &[u8])]) -> PgCluster {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("meddesk-pg-")
            .tempdir()
            .expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        for (name, bytes) in files {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("cluster file");
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("0600");
        }
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown of the cluster directory failed");
        }
        let data_s = data.to_str().expect("utf-8 path").to_owned();
        let out = run(
            &bin.join("initdb"),
            &[
                "-D",
                &data_s,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let mut opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1",
            dir.path().display()
        );
        for (k, v) in settings {
            let v = v.replace("@DIR@", &dir.path().display().to_string());
            opts.push_str(&format!(" -c {k}={v}"));
        }
        let log = dir.path().join("postgres.log");
        let log_s = log.to_str().expect("utf-8 path").to_owned();
        let out = run(
            &bin.join("pg_ctl"),
            &[
                "-D", &data_s, "-o", &opts, "-l", &log_s, "-w", "-t", "60", "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed: {} {}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        PgCluster {
            bin,
            data,
            _dir: dir,
            port,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data.to_string_lossy().into_owned();
        let _ = run(
            &self.bin.join("pg_ctl"),
            &["-D", &data, "-m", "immediate", "-w", "stop"],
        );
    }
}

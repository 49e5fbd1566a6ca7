//! The `docker-credential-*` helper protocol: `docker-credential-<name> get`, the server address
//! on stdin, `{"ServerURL","Username","Secret"}` on stdout. Run without a shell, with a timeout;
//! "credentials not found" means anonymous. Helper output is never echoed (it may hold secrets).

use std::io::{Read as _, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::RegistryError;

/// Username and secret as the helper returned them.
pub struct HelperCredential {
    pub username: String,
    pub secret: String,
}

impl std::fmt::Debug for HelperCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HelperCredential({}, ***)", self.username)
    }
}

/// A helper name may only name a program `docker-credential-<name>` on `PATH`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Ask helper `name` for the credentials of `server`. `Ok(None)`: it has none.
pub fn get(
    name: &str,
    server: &str,
    timeout: Duration,
) -> Result<Option<HelperCredential>, RegistryError> {
    let program = format!("docker-credential-{name}");
    if !valid_name(name) {
        return Err(RegistryError::Helper {
            helper: program,
            server: server.to_owned(),
            message: "not a valid helper name".into(),
        });
    }
    run(&program, server, timeout)
}

/// Run `program get` (found on `PATH` unless it is a path).
fn run(
    program: &str,
    server: &str,
    timeout: Duration,
) -> Result<Option<HelperCredential>, RegistryError> {
    let fail = |message: String| RegistryError::Helper {
        helper: program.to_owned(),
        server: server.to_owned(),
        message,
    };
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            fail(if e.kind() == std::io::ErrorKind::NotFound {
                "not found on PATH".into()
            } else {
                format!("cannot start it: {e}")
            })
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is judged by its exit status below.
        let _ = stdin.write_all(server.as_bytes());
    }
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(1 << 20).read_to_end(&mut out);
        }
        out
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "no answer within {} s",
                    timeout.as_secs_f64()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(fail(format!("cannot wait for it: {e}"))),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        if String::from_utf8_lossy(&out).contains("credentials not found") {
            return Ok(None);
        }
        return Err(fail(match status.code() {
            Some(code) => format!("it exited with status {code}"),
            None => "it was killed by a signal".into(),
        }));
    }
    #[derive(serde::Deserialize)]
    struct Reply {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let reply: Reply = serde_json::from_slice(&out)
        .map_err(|_| fail("its answer is not the JSON the helper protocol defines".into()))?;
    if reply.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(HelperCredential {
        username: reply.username,
        secret: reply.secret,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &std::path::Path, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join("docker-credential-t");
        fs_err::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    #[test]
    fn protocol_not_found_failure_and_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let t = Duration::from_secs(5);
        let ok = script(dir.path(), "read s; [ \"$1 $s\" = \"get reg:5000\" ] || exit 9\necho '{\"ServerURL\":\"reg:5000\",\"Username\":\"<token>\",\"Secret\":\"tok\"}'\n");
        let c = run(&ok, "reg:5000", t).unwrap().unwrap();
        assert_eq!((c.username.as_str(), c.secret.as_str()), ("<token>", "tok"));

        let dir = tempfile::tempdir().unwrap();
        let none = script(
            dir.path(),
            "echo 'credentials not found in native keychain'; exit 1\n",
        );
        assert!(run(&none, "reg", t).unwrap().is_none());

        let dir = tempfile::tempdir().unwrap();
        let bad = script(dir.path(), "echo 'the-secret'; exit 1\n");
        let err = run(&bad, "reg", t).unwrap_err().to_string();
        assert!(
            err.contains("exited with status 1") && !err.contains("the-secret"),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        let garbage = script(dir.path(), "echo 'the-secret'\n");
        let err = run(&garbage, "reg", t).unwrap_err().to_string();
        assert!(
            err.contains("not the JSON") && !err.contains("the-secret"),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        let slow = script(dir.path(), "sleep 5\n");
        let start = std::time::Instant::now();
        let err = run(&slow, "reg", Duration::from_millis(200))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no answer within 0.2 s"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(3));

        assert!(get("../../bin/sh", "reg", t)
            .unwrap_err()
            .to_string()
            .contains("not a valid helper name"));
        assert!(get("surely-not-installed-helper", "reg", t)
            .unwrap_err()
            .to_string()
            .contains("not found on PATH"));
    }
}

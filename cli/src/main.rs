//! The native `burgee` binary: the library's commands over std and a blocking HTTP client.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use burgee_cli::{FileError, Io, Request, Response};

/// The native host: files, standard streams, the clock, the environment, and ureq (http and
/// https through rustls with its bundled root certificates).
struct Native {
    agent: ureq::Agent,
}

impl Native {
    fn new() -> Native {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Native { agent }
    }
}

impl Io for Native {
    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, FileError> {
        std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => FileError::NotFound,
            _ => FileError::Other(e.to_string()),
        })
    }

    fn write_file(&mut self, path: &str, bytes: &[u8]) -> Result<(), String> {
        std::fs::write(path, bytes).map_err(|e| e.to_string())
    }

    fn read_stdin(&mut self) -> Result<Vec<u8>, String> {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        Ok(bytes)
    }

    fn write_stdout(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| e.to_string())
    }

    fn write_stderr(&mut self, text: &str) {
        let _ = std::io::stderr().write_all(text.as_bytes());
    }

    fn now_millis(&mut self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }

    fn env_var(&mut self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn http(&mut self, request: &Request) -> Result<Response, String> {
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let body = request.body.clone().unwrap_or_default();
        let built = builder.body(body).map_err(|e| e.to_string())?;
        let mut response = self.agent.run(built).map_err(|e| e.to_string())?;
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| e.to_string())?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    ExitCode::from(burgee_cli::run(&args, &mut Native::new()))
}

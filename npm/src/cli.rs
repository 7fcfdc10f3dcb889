//! The `burgee` command in Node (the full build only): the CLI crate's `run` over a host
//! object that `bin/burgee.mjs` builds from `node:fs`, `process` and a synchronous HTTP bridge.
//! The commands themselves are the native binary's, so both give the same outputs.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use burgee_cli::{FileError, Io, Request, Response};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The JavaScript host. Methods that can fail throw a string: `"ENOENT"` for a missing
    /// file, else the message.
    pub type CliHost;

    #[wasm_bindgen(method, catch, js_name = readFile)]
    fn read_file(this: &CliHost, path: &str) -> Result<Vec<u8>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = writeFile)]
    fn write_file(this: &CliHost, path: &str, bytes: &[u8]) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = readStdin)]
    fn read_stdin(this: &CliHost) -> Result<Vec<u8>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = writeStdout)]
    fn write_stdout(this: &CliHost, bytes: &[u8]) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_name = writeStderr)]
    fn write_stderr(this: &CliHost, text: &str);
    #[wasm_bindgen(method, js_name = nowMillis)]
    fn now_millis(this: &CliHost) -> f64;
    #[wasm_bindgen(method, js_name = envVar)]
    fn env_var(this: &CliHost, name: &str) -> Option<String>;
    /// `request`: `{method, url, headers: [[name, value]], body?}` as JSON; answers
    /// `{status, headers: [[name, value]], body}` as JSON, or throws the network error.
    #[wasm_bindgen(method, catch)]
    fn http(this: &CliHost, request: &str) -> Result<String, JsValue>;
}

fn message(e: JsValue) -> String {
    e.as_string().unwrap_or_else(|| "failed".to_string())
}

impl Io for &CliHost {
    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, FileError> {
        CliHost::read_file(self, path).map_err(|e| match message(e) {
            code if code == "ENOENT" => FileError::NotFound,
            other => FileError::Other(other),
        })
    }

    fn write_file(&mut self, path: &str, bytes: &[u8]) -> Result<(), String> {
        CliHost::write_file(self, path, bytes).map_err(message)
    }

    fn read_stdin(&mut self) -> Result<Vec<u8>, String> {
        CliHost::read_stdin(self).map_err(message)
    }

    fn write_stdout(&mut self, bytes: &[u8]) -> Result<(), String> {
        CliHost::write_stdout(self, bytes).map_err(message)
    }

    fn write_stderr(&mut self, text: &str) {
        CliHost::write_stderr(self, text);
    }

    fn now_millis(&mut self) -> i64 {
        CliHost::now_millis(self) as i64
    }

    fn env_var(&mut self, name: &str) -> Option<String> {
        CliHost::env_var(self, name)
    }

    fn http(&mut self, request: &Request) -> Result<Response, String> {
        let headers: Vec<[&str; 2]> = request
            .headers
            .iter()
            .map(|(n, v)| [n.as_str(), v.as_str()])
            .collect();
        let json = serde_json::json!({
            "method": request.method,
            "url": request.url,
            "headers": headers,
            "body": request.body,
        });
        let answer = CliHost::http(self, &json.to_string()).map_err(message)?;
        let answer: serde_json::Value = serde_json::from_str(&answer).map_err(|e| e.to_string())?;
        let headers = answer["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|pair| {
                Some((
                    pair.get(0)?.as_str()?.to_ascii_lowercase(),
                    pair.get(1)?.as_str()?.to_string(),
                ))
            })
            .collect();
        Ok(Response {
            status: answer["status"].as_u64().unwrap_or(0) as u16,
            headers,
            body: answer["body"].as_str().unwrap_or("").to_string(),
        })
    }
}

/// Runs the `burgee` command line `args` (without the program name); answers the exit code.
#[wasm_bindgen(js_name = runCli)]
pub fn run_cli(args: Vec<String>, host: &CliHost) -> u8 {
    let mut io = host;
    burgee_cli::run(&args, &mut io)
}

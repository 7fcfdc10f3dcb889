//! Everything the command touches outside itself, behind one trait, so that the same commands
//! run natively (std and a blocking HTTP client, `main.rs`) and in Node (the npm package's
//! `bin/burgee.mjs` over its full wasm build). Two hosts, one set of outputs.

/// Why a file could not be read: a missing file is worded by the command (hosts word it
/// differently), anything else by the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
    NotFound,
    Other(String),
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::NotFound => f.write_str("no such file"),
            FileError::Other(message) => f.write_str(message),
        }
    }
}

/// One HTTP request: the command builds it, the host sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// An HTTP answer, whatever its status. Header names are lower case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The host of the command.
pub trait Io {
    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, FileError>;
    fn write_file(&mut self, path: &str, bytes: &[u8]) -> Result<(), String>;
    fn read_stdin(&mut self) -> Result<Vec<u8>, String>;
    fn write_stdout(&mut self, bytes: &[u8]) -> Result<(), String>;
    fn write_stderr(&mut self, text: &str);
    /// Milliseconds since the Unix epoch.
    fn now_millis(&mut self) -> i64;
    fn env_var(&mut self, name: &str) -> Option<String>;
    /// Sends `request` and waits for the answer; `Err` only when there is none (a network
    /// error: refused connection, DNS, TLS, timeout), never for an HTTP status.
    fn http(&mut self, request: &Request) -> Result<Response, String>;
}

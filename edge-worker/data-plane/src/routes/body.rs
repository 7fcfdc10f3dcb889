//! Request bodies read with a cap, so that a hostile body costs the isolate at most the cap.
//!
//! A declared `Content-Length` over the cap is refused before a byte is read, and one within it
//! is read in one call (the runtime never delivers more than a request declares); a body without
//! one (chunked) is read chunk by chunk from the request's stream and refused as soon as it
//! passes the cap, without waiting for (or holding) the rest. The stream is read through its
//! JavaScript reader directly: the Rust stream adapter would cost the data plane's size budget
//! more than these lines.

use worker::js_sys::{IteratorNext, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{ReadableStream, ReadableStreamDefaultReader, Request};

/// Whether a declared `Content-Length` is over `limit` (an unparsable one is left to the read).
pub fn declared_over(content_length: Option<&str>, limit: usize) -> bool {
    content_length
        .and_then(|l| l.parse::<u64>().ok())
        .is_some_and(|l| l > limit as u64)
}

/// The body, or `None` when it is longer than `limit` bytes. A body that cannot be read is
/// an empty one, as it always was for evaluation.
pub async fn read(req: &Request, limit: usize) -> Option<Vec<u8>> {
    let declared = req.headers().get("Content-Length").ok().flatten();
    if declared_over(declared.as_deref(), limit) {
        return None;
    }
    if declared.is_some_and(|l| l.parse::<u64>().is_ok()) {
        let whole = match req.array_buffer() {
            Ok(promise) => JsFuture::from(promise).await.ok(),
            Err(_) => None,
        };
        return Some(whole.map_or_else(Vec::new, |b| Uint8Array::new(&b).to_vec()));
    }
    match req.body() {
        Some(stream) => read_stream(stream, limit).await.unwrap_or(Some(Vec::new())),
        None => Some(Vec::new()),
    }
}

async fn read_stream(stream: ReadableStream, limit: usize) -> Result<Option<Vec<u8>>, JsValue> {
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::new();
    loop {
        // A read's result has an iterator result's shape: `{done, value}`.
        let chunk: IteratorNext = JsFuture::from(reader.read()).await?.unchecked_into();
        if chunk.done() {
            return Ok(Some(body));
        }
        let bytes: Uint8Array = chunk.value().unchecked_into();
        let start = body.len();
        let end = start + bytes.length() as usize;
        if end > limit {
            // The rest is never read: the runtime drops it with the request.
            return Ok(None);
        }
        body.resize(end, 0);
        bytes.copy_to(&mut body[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::declared_over;

    #[test]
    fn a_declared_length_over_the_cap_is_refused_unread() {
        assert!(!declared_over(None, 10));
        assert!(!declared_over(Some("10"), 10));
        assert!(declared_over(Some("11"), 10));
        assert!(declared_over(Some("104857600"), 65_536));
        assert!(!declared_over(Some("lots"), 10), "left to the capped read");
    }
}

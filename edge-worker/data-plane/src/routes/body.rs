//! Request bodies read with a cap, so that a hostile body costs the isolate at most the cap.
//!
//! A declared `Content-Length` over the cap is refused before a byte is read; a body without
//! one (chunked) is read chunk by chunk from the request's stream and refused as soon as it
//! passes the cap, without waiting for (or holding) the rest.

use futures_util::StreamExt;
use worker::{Request, Result};

/// Whether a declared `Content-Length` is over `limit` (an unparsable one is left to the read).
pub fn declared_over(content_length: Option<&str>, limit: usize) -> bool {
    content_length
        .and_then(|l| l.trim().parse::<u64>().ok())
        .is_some_and(|l| l > limit as u64)
}

/// The body, or `None` when it is longer than `limit` bytes.
pub async fn read(req: &mut Request, limit: usize) -> Result<Option<Vec<u8>>> {
    let declared = req.headers().get("Content-Length").ok().flatten();
    if declared_over(declared.as_deref(), limit) {
        return Ok(None);
    }
    if req.inner().body().is_none() {
        return Ok(Some(Vec::new()));
    }
    let mut chunks = req.stream()?;
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::declared_over;

    #[test]
    fn a_declared_length_over_the_cap_is_refused_unread() {
        assert!(!declared_over(None, 10));
        assert!(!declared_over(Some("10"), 10));
        assert!(declared_over(Some("11"), 10));
        assert!(declared_over(Some(" 104857600 "), 65_536));
        assert!(!declared_over(Some("lots"), 10), "left to the capped read");
    }
}

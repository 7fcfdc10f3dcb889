//! URLs and their query strings, read from the URL text directly: the `url` crate would bring
//! Unicode tables (tens of kilobytes of wasm) into the data plane for nothing (it never needs a
//! host).

use burgee_api::percent_decode;

/// `application/x-www-form-urlencoded` decoding of one component: `+` is a space, then `%XX`.
pub fn form_decode(text: &str) -> String {
    percent_decode(&text.replace('+', " "))
}

/// The decoded query parameters of a URL, in order.
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (form_decode(k), form_decode(v)),
            None => (form_decode(pair), String::new()),
        })
        .collect()
}

/// A URL's text cut in three: `(scheme and authority, path, query with its `?`)`; a fragment
/// is dropped. `https://h/p?q#f` is `("https://h", "/p", "?q")`.
pub fn split_url(url: &str) -> (&str, &str, &str) {
    let url = url.split_once('#').map_or(url, |(u, _)| u);
    let authority_at = url.find("://").map_or(0, |i| i + 3);
    let path_at = url
        .get(authority_at..)
        .and_then(|rest| rest.find(['/', '?']))
        .map_or(url.len(), |i| authority_at + i);
    let (origin, target) = url.split_at(path_at);
    let (path, query) = target.split_at(target.find('?').unwrap_or(target.len()));
    (origin, if path.is_empty() { "/" } else { path }, query)
}

/// `url` with its path replaced by `path` (query kept, fragment dropped).
pub fn with_path(url: &str, path: &str) -> String {
    let (origin, _, query) = split_url(url);
    format!("{origin}{path}{query}")
}

/// The first value of `name`.
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_cut_without_parsing_hosts() {
        assert_eq!(
            split_url("https://h:8/a/b?x=1&y#f"),
            ("https://h:8", "/a/b", "?x=1&y")
        );
        assert_eq!(split_url("http://h"), ("http://h", "/", ""));
        assert_eq!(split_url("http://h?q"), ("http://h", "/", "?q"));
        assert_eq!(split_url("/only/path?q"), ("", "/only/path", "?q"));
        assert_eq!(
            with_path("http://127.0.0.1:9/_burgee/api/v1/x?a=%2F#f", "/api/v1/x"),
            "http://127.0.0.1:9/api/v1/x?a=%2F"
        );
    }

    #[test]
    fn pairs() {
        let p = query_pairs("https://x/y?a=1&b=%41+c&flag&d=%zz#frag");
        assert_eq!(
            p,
            [
                ("a".into(), "1".into()),
                ("b".into(), "A c".into()),
                ("flag".into(), String::new()),
                ("d".into(), "%zz".into())
            ]
        );
        assert_eq!(param(&p, "b"), Some("A c"));
        assert!(query_pairs("https://x/y").is_empty());
    }
}

//! Query strings, read from the URL text directly: the `url` crate would bring Unicode tables
//! into the data plane for nothing (it never needs a host).

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

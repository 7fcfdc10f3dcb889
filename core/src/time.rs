//! RFC 3339 timestamps, as epoch milliseconds.
//!
//! The core never reads a clock: `now` is an argument, and schedule steps, `before`/`after`
//! literals and time-valued attributes are parsed here. Precision is the millisecond; further
//! digits are truncated, so every host compares the same integers.

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.bytes.get(self.at..self.at + n)?;
        let mut v = 0u32;
        for &b in slice {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.at += n;
        Some(v)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, allowed: &[u8]) -> Option<()> {
        let b = self.peek()?;
        if allowed.contains(&b) {
            self.at += 1;
            Some(())
        } else {
            None
        }
    }
}

/// Parses an RFC 3339 date-time (`2026-12-01T09:00:00Z`, `…T09:00:00.250+01:00`) into epoch
/// milliseconds. `None` for anything else, including impossible dates.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let mut c = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let year = i64::from(c.digits(4)?);
    c.expect(b"-")?;
    let month = c.digits(2)?;
    c.expect(b"-")?;
    let day = c.digits(2)?;
    c.expect(b"Tt ")?;
    let hour = c.digits(2)?;
    c.expect(b":")?;
    let minute = c.digits(2)?;
    c.expect(b":")?;
    let second = c.digits(2)?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut millis = 0i64;
    if c.peek() == Some(b'.') {
        c.at += 1;
        let mut count = 0;
        while let Some(b) = c.peek().filter(u8::is_ascii_digit) {
            if count < 3 {
                millis = millis * 10 + i64::from(b - b'0');
            }
            count += 1;
            c.at += 1;
        }
        if count == 0 {
            return None;
        }
        for _ in count..3 {
            millis *= 10;
        }
    }
    let offset_minutes = match c.peek()? {
        b'Z' | b'z' => {
            c.at += 1;
            0i64
        }
        sign @ (b'+' | b'-') => {
            c.at += 1;
            let oh = c.digits(2)?;
            c.expect(b":")?;
            let om = c.digits(2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let m = i64::from(oh * 60 + om);
            if sign == b'-' { -m } else { m }
        }
        _ => return None,
    };
    if c.at != c.bytes.len() {
        return None;
    }
    // A leap second (:60) is folded onto the following second's start, as most systems do.
    let seconds = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3_600
        + i64::from(minute) * 60
        + i64::from(second)
        - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian: the inverse of
/// [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Formats epoch milliseconds as RFC 3339 in UTC: `2026-12-01T09:00:00Z`, with `.mmm` only when
/// the time is not a whole second (`2026-12-01T09:00:00.250Z`). [`parse_rfc3339`] reads it back
/// to the same integer. Every host writes times with this one function (store stamps, history,
/// schedule steps the admin app creates).
pub fn format_rfc3339(ms: i64) -> alloc::string::String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let mut out = alloc::format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    );
    if millis != 0 {
        out.push_str(&alloc::format!(".{millis:03}"));
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_and_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-12-01T09:00:00Z"),
            Some(1_796_115_600_000)
        );
        assert_eq!(
            parse_rfc3339("2026-12-01T10:00:00+01:00"),
            parse_rfc3339("2026-12-01T09:00:00Z")
        );
        assert_eq!(
            parse_rfc3339("2000-02-29T00:00:00.5Z"),
            Some(951_782_400_500)
        );
        assert_eq!(
            parse_rfc3339("2000-02-29t00:00:00.123456z"),
            Some(951_782_400_123)
        );
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Some(-1_000));
    }

    #[test]
    fn rejects_impossible_and_malformed() {
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00Zjunk",
            "2026-1-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_and_reads_back() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_rfc3339(1_796_115_600_123),
            "2026-12-01T09:00:00.123Z"
        );
        assert_eq!(format_rfc3339(1_796_720_400_000), "2026-12-08T09:00:00Z");
        assert_eq!(format_rfc3339(-1_000), "1969-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(951_782_400_500), "2000-02-29T00:00:00.500Z");
        for ms in [
            0,
            1,
            -1,
            999,
            951_782_400_500,
            1_796_115_600_123,
            4_102_444_800_000,
            -62_135_596_800_000,
        ] {
            let text = format_rfc3339(ms);
            assert_eq!(parse_rfc3339(&text), Some(ms), "{text}");
        }
    }
}

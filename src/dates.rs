//! Dates as editors write them, read in the site's timezone, and formatted per language.
//!
//! Takes `YYYY-MM-DD` or RFC 3339 text and a [`TimeZone`], gives [`ZonedDateTime`] values whose
//! calendar date is the one in the site's zone; formats them for pages in en, kk and ru.

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ZonedDateTime};

/// The site's timezone from an IANA name (`Asia/Almaty`) or a fixed offset (`+05:00`).
pub fn parse_timezone(text: &str) -> Result<TimeZone, String> {
    if let Some(offset) = parse_offset(text) {
        return Ok(TimeZone::fixed(offset));
    }
    TimeZone::get(text).map_err(|_| format!("unknown timezone `{text}`"))
}

fn parse_offset(text: &str) -> Option<Offset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
        return None;
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

/// How dates are written, as a hint for one that could not be read.
pub const DATE_FORMATS: &str =
    "write `YYYY-MM-DD` or RFC 3339, e.g. `2020-03-26` or `2020-03-26T10:00:00+05:00`";

/// Reads the date under `key` (of front matter or a poll) as [`parse_date`] does; when it
/// cannot, gives what was wrong and a hint that names the fix. An `optional` key may be removed.
pub fn read_date(
    key: &str,
    text: &str,
    tz: &TimeZone,
    optional: bool,
) -> Result<ZonedDateTime, (String, String)> {
    if text.trim().is_empty() {
        let or_remove = if optional { ", or remove the line" } else { "" };
        return Err((
            format!("`{key}` is empty"),
            format!("write a date like `{key}: 2020-03-26`{or_remove}"),
        ));
    }
    parse_date(text, tz).map_err(|message| (message, DATE_FORMATS.to_string()))
}

/// Reads a front-matter date: `YYYY-MM-DD` (midnight in `tz`), a date and time without an
/// offset (in `tz`), or RFC 3339 with an offset (the same instant, seen from `tz`).
pub fn parse_date(text: &str, tz: &TimeZone) -> Result<ZonedDateTime, String> {
    let text = text.trim();
    let wrong = || format!("`{text}` is not a date");
    // Dates are ASCII; checking it first also keeps the byte slicing below on char boundaries.
    let looks_like_date = text.is_ascii()
        && text.len() >= 10
        && text.as_bytes()[4] == b'-'
        && text.as_bytes()[7] == b'-'
        && text[..4].bytes().all(|b| b.is_ascii_digit());
    if !looks_like_date {
        return Err(wrong());
    }
    if text.len() > 10 {
        if let Ok(instant) = text.parse::<Timestamp>() {
            return Ok(instant.to_zoned_datetime(tz.clone()));
        }
        if has_offset(text) {
            return Err(impossible(text).unwrap_or_else(wrong));
        }
        return match text.parse::<DateTime>() {
            Ok(local) => local
                .to_zoned_datetime(tz.clone())
                .map_err(|e| e.to_string()),
            Err(_) => Err(impossible(text).unwrap_or_else(wrong)),
        };
    }
    match text.parse::<Date>() {
        Ok(day) => day.to_zoned_datetime(tz.clone()).map_err(|e| e.to_string()),
        Err(_) => Err(impossible(text).unwrap_or_else(wrong)),
    }
}

fn has_offset(text: &str) -> bool {
    let time = &text[10..];
    time.ends_with('Z') || time.ends_with('z') || time.contains('+') || time[1..].contains('-')
}

/// A message for dates that have the right shape but do not exist (2020-02-30).
fn impossible(text: &str) -> Option<String> {
    let year: i16 = text.get(0..4)?.parse().ok()?;
    let month: i8 = text.get(5..7)?.parse().ok()?;
    let day: i8 = text.get(8..10)?.parse().ok()?;
    match Date::new(year, month, day) {
        Ok(_) => None,
        Err(_) if !(1..=12).contains(&month) => Some(format!(
            "`{text}` is not a real date: there is no month {month}"
        )),
        Err(_) => Some(format!(
            "`{text}` is not a real date: {} {year} has no day {day}",
            month_name(month, "en")
        )),
    }
}

/// The last instant of `day` in `tz` (23:59:59.999…), for inclusive closing dates.
pub fn end_of_day(day: Date, tz: &TimeZone) -> Result<ZonedDateTime, String> {
    let next = day.tomorrow().map_err(|e| e.to_string())?;
    let start = next
        .to_zoned_datetime(tz.clone())
        .map_err(|e| e.to_string())?;
    start
        .checked_sub(jiff::SignedDuration::from_nanos(1))
        .map_err(|e| e.to_string())
}

/// RFC 3339 with the zone's offset, e.g. `2020-03-26T00:00:00+06:00`.
pub fn rfc3339(zoned: &ZonedDateTime) -> String {
    zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// RFC 2822, as RSS wants it, e.g. `Thu, 26 Mar 2020 00:00:00 +0600`.
pub fn rfc2822(zoned: &ZonedDateTime) -> String {
    zoned.strftime("%a, %d %b %Y %H:%M:%S %z").to_string()
}

/// The name of a month (1-12) in a language, as it stands alone ("March", "Март", "Наурыз").
pub fn month_name(month: i8, lang: &str) -> &'static str {
    let index = (month.clamp(1, 12) - 1) as usize;
    match lang {
        "ru" => [
            "Январь",
            "Февраль",
            "Март",
            "Апрель",
            "Май",
            "Июнь",
            "Июль",
            "Август",
            "Сентябрь",
            "Октябрь",
            "Ноябрь",
            "Декабрь",
        ][index],
        "kk" => [
            "Қаңтар",
            "Ақпан",
            "Наурыз",
            "Сәуір",
            "Мамыр",
            "Маусым",
            "Шілде",
            "Тамыз",
            "Қыркүйек",
            "Қазан",
            "Қараша",
            "Желтоқсан",
        ][index],
        _ => [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ][index],
    }
}

/// The month as it stands in a date ("26 марта 2020", "2020 жылғы 26 наурыз").
fn month_in_date(month: i8, lang: &str) -> String {
    let index = (month.clamp(1, 12) - 1) as usize;
    match lang {
        "ru" => [
            "января",
            "февраля",
            "марта",
            "апреля",
            "мая",
            "июня",
            "июля",
            "августа",
            "сентября",
            "октября",
            "ноября",
            "декабря",
        ][index]
            .to_string(),
        "kk" => month_name(month, lang).to_lowercase(),
        _ => month_name(month, lang).to_string(),
    }
}

/// A calendar date written out for readers of `lang`.
pub fn long_date(date: Date, lang: &str) -> String {
    let (day, month, year) = (date.day(), date.month(), date.year());
    match lang {
        "kk" => format!("{year} жылғы {day} {}", month_in_date(month, lang)),
        "ru" => format!("{day} {} {year}", month_in_date(month, lang)),
        _ => format!("{day} {} {year}", month_in_date(month, lang)),
    }
}

/// A month and year written out for readers of `lang` ("March 2020", "Наурыз 2020").
pub fn month_year(year: i16, month: i8, lang: &str) -> String {
    match lang {
        "kk" => format!("{year} жыл, {}", month_name(month, lang).to_lowercase()),
        _ => format!("{} {year}", month_name(month, lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn almaty() -> TimeZone {
        parse_timezone("Asia/Almaty").unwrap()
    }

    #[test]
    fn dates_take_the_site_zone() {
        let d = parse_date("2020-03-26", &almaty()).unwrap();
        assert_eq!(rfc3339(&d), "2020-03-26T00:00:00+06:00");
        // Almaty moved to UTC+5 on 1 March 2024.
        let d = parse_date("2024-06-01", &almaty()).unwrap();
        assert_eq!(rfc3339(&d), "2024-06-01T00:00:00+05:00");
        let d = parse_date("2020-03-25T20:00:00Z", &almaty()).unwrap();
        assert_eq!(d.date().to_string(), "2020-03-26");
        let d = parse_date("2020-03-25T20:00:00", &almaty()).unwrap();
        assert_eq!(rfc3339(&d), "2020-03-25T20:00:00+06:00");
        let fixed = parse_timezone("+05:00").unwrap();
        let d = parse_date("2020-03-26T10:00:00", &fixed).unwrap();
        assert_eq!(rfc3339(&d), "2020-03-26T10:00:00+05:00");
    }

    #[test]
    fn bad_dates_are_explained() {
        assert_eq!(
            parse_date("2020-02-30", &almaty()).unwrap_err(),
            "`2020-02-30` is not a real date: February 2020 has no day 30"
        );
        assert_eq!(
            parse_date("2020-13-01", &almaty()).unwrap_err(),
            "`2020-13-01` is not a real date: there is no month 13"
        );
        assert_eq!(
            read_date("date", "yesterday", &almaty(), false).unwrap_err(),
            (
                "`yesterday` is not a date".to_string(),
                DATE_FORMATS.to_string()
            )
        );
        assert_eq!(
            read_date("date", "2020-13-45", &almaty(), false).unwrap_err(),
            (
                "`2020-13-45` is not a real date: there is no month 13".to_string(),
                "write `YYYY-MM-DD` or RFC 3339, e.g. `2020-03-26` or `2020-03-26T10:00:00+05:00`"
                    .to_string()
            )
        );
        assert_eq!(
            read_date("updated", " ", &almaty(), true).unwrap_err(),
            (
                "`updated` is empty".to_string(),
                "write a date like `updated: 2020-03-26`, or remove the line".to_string()
            )
        );
        assert_eq!(
            read_date("date", "", &almaty(), false).unwrap_err().1,
            "write a date like `date: 2020-03-26`"
        );
        assert!(parse_timezone("Mars/Olympus").is_err());
    }

    #[test]
    fn non_ascii_dates_are_refused_not_a_panic() {
        // Found by fuzzing (data_files): a poll's `closes` with a Cyrillic letter at byte 9
        // made the offset check slice inside it.
        for text in ["2020-04-3еXX10:00:0e", "2020-04-30Ж10:00", "2020-04-30"] {
            let result = parse_date(text, &almaty());
            assert_eq!(result.is_ok(), text.is_ascii(), "{text}");
        }
    }

    #[test]
    fn dates_in_three_languages() {
        let day = Date::new(2020, 3, 26).unwrap();
        assert_eq!(long_date(day, "en"), "26 March 2020");
        assert_eq!(long_date(day, "ru"), "26 марта 2020");
        assert_eq!(long_date(day, "kk"), "2020 жылғы 26 наурыз");
        let z = parse_date("2020-03-26", &almaty()).unwrap();
        assert_eq!(rfc2822(&z), "Thu, 26 Mar 2020 00:00:00 +0600");
        let end = end_of_day(day, &almaty()).unwrap();
        assert_eq!(end.strftime("%H:%M:%S").to_string(), "23:59:59");
    }
}

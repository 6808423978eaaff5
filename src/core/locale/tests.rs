use proptest::prelude::*;

use super::*;

fn m(minor: i64, currency: Currency) -> Money {
    Money::from_minor(minor, currency)
}

/// Milliseconds of a UTC date and time, through the `time` crate (independent of the zone code).
fn utc(y: i32, mo: u8, d: u8, h: u8, mi: u8) -> Millis {
    let date = time::Date::from_calendar_date(y, time::Month::try_from(mo).unwrap(), d).unwrap();
    let t = date.with_hms(h, mi, 0).unwrap().assume_utc();
    Millis(u64::try_from(t.unix_timestamp()).unwrap() * 1000)
}

fn zone(name: &str) -> Zone {
    Zone::named(name).unwrap()
}

#[test]
fn each_market_writes_its_money_as_cldr_does() {
    // The strings ICU 78 (CLDR 48) formats for these locales, separators spelled out.
    let cases = [
        (
            Locale::Nb,
            m(123_450, Currency::NOK),
            "1\u{a0}234,50\u{a0}kr",
        ),
        (
            Locale::Nb,
            m(-123_450, Currency::NOK),
            "\u{2212}1\u{a0}234,50\u{a0}kr",
        ),
        (
            Locale::Fr,
            m(123_450, Currency::HTG),
            "1\u{202f}234,50\u{a0}G",
        ),
        (
            Locale::Ht,
            m(123_450, Currency::HTG),
            "1\u{202f}234,50\u{a0}G",
        ),
        (
            Locale::Ar,
            m(1_234_500, Currency::LYD),
            "1.234,500\u{a0}د.ل.",
        ),
        (Locale::Si, m(123_450, Currency::LKR), "රු.\u{a0}1,234.50"),
        (
            Locale::Ta,
            m(123_456_750, Currency::LKR),
            "Rs.\u{a0}12,34,567.50",
        ),
        (Locale::En, m(123_450, Currency::USD), "$1,234.50"),
        (Locale::En, m(-123_450, Currency::USD), "-$1,234.50"),
        // Kassa's English: the code after the number (CLDR en puts it first).
        (Locale::En, m(123_450, Currency::NOK), "1,234.50 NOK"),
        (Locale::En, m(1_234_500, Currency::LYD), "1,234.500 LYD"),
        (Locale::En, m(-1_250, Currency::NOK), "-12.50 NOK"),
        (Locale::Si, m(123_450, Currency::NOK), "NOK\u{a0}1,234.50"),
        (
            Locale::Nb,
            m(123_450, Currency::USD),
            "1\u{a0}234,50\u{a0}USD",
        ),
        (
            Locale::Fr,
            m(123_450, Currency::USD),
            "1\u{202f}234,50\u{a0}$US",
        ),
        (Locale::Ar, m(123_450, Currency::USD), "1.234,50\u{a0}US$"),
    ];
    for (locale, amount, want) in cases {
        assert_eq!(locale.money(amount), want, "{locale:?} {amount:?}");
    }
}

#[test]
fn numbers_keep_every_decimal_and_group_only_the_whole_part() {
    assert_eq!(Locale::En.number(m(5, Currency::LYD)), "0.005");
    assert_eq!(Locale::Ar.number(m(5, Currency::LYD)), "0,005");
    assert_eq!(Locale::Nb.number(m(99_999, Currency::NOK)), "999,99");
    assert_eq!(
        Locale::Nb.number(m(100_000_000, Currency::NOK)),
        "1\u{a0}000\u{a0}000,00"
    );
    assert_eq!(
        Locale::Ta.number(m(100_000_000, Currency::LKR)),
        "10,00,000.00"
    );
    assert_eq!(
        Locale::En.number(m(100_000_000, Currency::LKR)),
        "1,000,000.00"
    );
    assert_eq!(
        Locale::En.number(m(1_234_567, Currency::from_code("JPY").unwrap())),
        "1,234,567"
    );
    assert_eq!(Locale::Nb.decimal_separator(), ",");
    assert_eq!(Locale::En.decimal_separator(), ".");
}

#[test]
fn locale_codes_parse_strictly() {
    for l in Locale::ALL {
        assert_eq!(Locale::from_code(l.code()), Ok(l));
    }
    assert_eq!(
        Locale::from_code("no"),
        Err(UnknownLocale("no".to_string()))
    );
    assert!(Locale::from_code("EN").is_err());
}

#[test]
fn every_demo_market_has_a_zone_and_a_locale() {
    for (market, zone_name, locale) in [
        ("no", "Europe/Oslo", Locale::Nb),
        ("ht", "America/Port-au-Prince", Locale::Fr),
        ("ly", "Africa/Tripoli", Locale::Ar),
        ("lk", "Asia/Colombo", Locale::Si),
        ("us", "America/New_York", Locale::En),
    ] {
        let l = Local::for_market(market).unwrap();
        assert_eq!((l.zone.name(), l.locale), (zone_name, locale));
    }
    assert_eq!(Local::for_market("xx"), None);
}

#[test]
fn an_unknown_zone_is_an_error_naming_it() {
    assert_eq!(
        Zone::named("Europe/Olso"),
        Err(crate::core::time::UnknownZone("Europe/Olso".into()))
    );
    assert!(Zone::named("").is_err());
    assert_eq!(zone("UTC"), Zone::utc());
    let json = serde_json::to_string(&zone("Asia/Colombo")).unwrap();
    assert_eq!(json, "\"Asia/Colombo\"");
    assert_eq!(
        serde_json::from_str::<Zone>(&json).unwrap(),
        zone("Asia/Colombo")
    );
    assert!(serde_json::from_str::<Zone>("\"Mars/Olympus\"").is_err());
}

#[test]
fn colombo_closes_its_day_at_local_midnight() {
    let colombo = zone("Asia/Colombo");
    // 2024-10-04 00:00 in Colombo (UTC+5:30) is 2024-10-03 18:30 UTC.
    let (start, end) = colombo.day_bounds(colombo.day_of(utc(2024, 10, 4, 12, 0)));
    assert_eq!(start, utc(2024, 10, 3, 18, 30));
    assert_eq!(end, utc(2024, 10, 4, 18, 30));
    let day = colombo.day_of(utc(2024, 10, 3, 18, 30));
    assert_eq!(crate::journal::day_string(day), "2024-10-04");
    assert_eq!(
        colombo.day_of(Millis(utc(2024, 10, 3, 18, 30).0 - 1)),
        day - 1
    );
    let l = colombo.local(utc(2024, 10, 3, 18, 29));
    assert_eq!(
        (l.date(), l.hms()),
        ("2024-10-03".into(), "23:59:00".into())
    );
    assert_eq!(l.rfc3339(), "2024-10-03T23:59:00+05:30");
}

#[test]
fn dst_days_are_23_and_25_hours_long() {
    const HOUR: u64 = 3_600_000;
    let oslo = zone("Europe/Oslo");
    // 2024-03-31: 02:00 CET becomes 03:00 CEST. 2024-10-27: 03:00 CEST becomes 02:00 CET.
    let spring = oslo.day_of(utc(2024, 3, 31, 12, 0));
    let (s, e) = oslo.day_bounds(spring);
    assert_eq!((s, e.0 - s.0), (utc(2024, 3, 30, 23, 0), 23 * HOUR));
    let autumn = oslo.day_of(utc(2024, 10, 27, 12, 0));
    let (s, e) = oslo.day_bounds(autumn);
    assert_eq!((s, e.0 - s.0), (utc(2024, 10, 26, 22, 0), 25 * HOUR));
    let ny = zone("America/New_York");
    // 2024-03-10 and 2024-11-03 at 02:00 local.
    let (s, e) = ny.day_bounds(ny.day_of(utc(2024, 3, 10, 12, 0)));
    assert_eq!((s, e.0 - s.0), (utc(2024, 3, 10, 5, 0), 23 * HOUR));
    let (s, e) = ny.day_bounds(ny.day_of(utc(2024, 11, 3, 12, 0)));
    assert_eq!((s, e.0 - s.0), (utc(2024, 11, 3, 4, 0), 25 * HOUR));
    // The repeated hour reads 01:xx twice in New York, the skipped one never appears.
    assert_eq!(ny.local(utc(2024, 11, 3, 5, 30)).hour, 1);
    assert_eq!(ny.local(utc(2024, 11, 3, 6, 30)).hour, 1);
    assert_eq!(ny.local(utc(2024, 3, 10, 7, 30)).hour, 3);
}

#[test]
fn the_clock_says_utc_only_when_it_is() {
    let t = utc(2023, 11, 14, 22, 13);
    assert_eq!(Local::default().clock(t), "22:13 UTC");
    let oslo = Local::new(zone("Europe/Oslo"), Locale::Nb);
    assert_eq!(oslo.clock(t), "23:13");
    assert_eq!(oslo.date_time(t), "2023-11-14 23:13");
    let tripoli = Local::new(zone("Africa/Tripoli"), Locale::Ar);
    assert_eq!(tripoli.date_time(t), "2023-11-15 00:13");
}

fn any_currency() -> impl Strategy<Value = Currency> {
    proptest::sample::select(Currency::all().collect::<Vec<_>>())
}

fn any_locale() -> impl Strategy<Value = Locale> {
    proptest::sample::select(Locale::ALL.to_vec())
}

proptest! {
    /// What a locale shows reads back as the same exact amount: strip the grouping, turn the
    /// locale's decimal separator into a point, and the strict wire parser gives the amount back.
    #[test]
    fn the_display_is_exact(minor in any::<i64>(), currency in any_currency(), locale in any_locale()) {
        let amount = Money::from_minor(minor, currency);
        let style = locale.style();
        let shown = locale.number(amount);
        let plain = shown
            .replace(style.group, "")
            .replace(style.decimal, ".")
            .replace(style.minus, "-");
        prop_assert_eq!(Money::parse_wire_str(&plain, currency), Ok(amount));
        // The wire form never depends on the locale.
        prop_assert_eq!(amount.to_decimal_string(), Money::from_minor(minor, currency).to_decimal_string());
        let full = locale.money(amount);
        prop_assert!(full.contains(&locale.symbol(currency)));
        if locale != Locale::En {
            prop_assert!(!full.contains(' '), "an amount never breaks: {:?}", full);
        }
    }

    /// Every local day is one contiguous span, 23 to 25 hours long, and its bounds belong to it.
    #[test]
    fn local_days_tile_time(
        secs in 0u64..4_102_444_800,
        name in proptest::sample::select(vec![
            "UTC", "Europe/Oslo", "America/New_York", "America/Port-au-Prince",
            "Asia/Colombo", "Africa/Tripoli",
        ]),
    ) {
        let z = zone(name);
        let t = Millis(secs * 1000);
        let day = z.day_of(t);
        let (start, end) = z.day_bounds(day);
        prop_assert!(start <= t && t < end);
        prop_assert_eq!(z.day_of(start), day);
        prop_assert_eq!(z.day_of(Millis(end.0 - 1)), day);
        prop_assert_eq!(z.day_of(end), day + 1);
        let len = end.0 - start.0;
        prop_assert!((82_800_000..=90_000_000).contains(&len), "{} ms", len);
    }
}

//! Business-hours calendars: weekly opening hours in a time zone (DST-correct via chrono-tz),
//! holidays (listed dates and, optionally, the German nationwide public holidays), and the
//! two questions response-time targets ask: how much business time lies between two
//! instants, and when a given amount of business time has passed.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Weekday};
use chrono_tz::Tz;
use model::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A time of day in minutes since local midnight, `00:00` ..= `24:00` (so a day can end at
/// midnight). Written `"HH:MM"` in config files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayTime(u16);

impl DayTime {
    pub const MIDNIGHT: DayTime = DayTime(0);
    pub const END_OF_DAY: DayTime = DayTime(24 * 60);

    pub fn new(hour: u16, minute: u16) -> Option<Self> {
        let m = hour * 60 + minute;
        (minute < 60 && m <= 24 * 60).then_some(DayTime(m))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl FromStr for DayTime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a time of day HH:MM between 00:00 and 24:00");
        let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
        let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        DayTime::new(h, m).ok_or_else(bad)
    }
}

impl fmt::Display for DayTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for DayTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DayTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Opening hours on some weekdays, e.g. Mon-Fri 08:00-18:00.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenHours {
    /// `["mon", "tue", ...]` (chrono's weekday names, any case).
    pub days: Vec<Weekday>,
    pub from: DayTime,
    pub to: DayTime,
}

/// Sets of public holidays computed per year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PublicHolidays {
    /// The nine nationwide German holidays (Neujahr, Karfreitag, Ostermontag, 1. Mai,
    /// Christi Himmelfahrt, Pfingstmontag, Tag der Deutschen Einheit, 1. und 2. Weihnachtstag).
    /// Regional ones go into `holidays`.
    De,
}

impl PublicHolidays {
    pub fn contains(self, date: NaiveDate) -> bool {
        match self {
            PublicHolidays::De => {
                let (m, d) = (date.month(), date.day());
                if matches!((m, d), (1, 1) | (5, 1) | (10, 3) | (12, 25) | (12, 26)) {
                    return true;
                }
                let Some(easter) = easter_sunday(date.year()) else {
                    return false;
                };
                let offset = (date - easter).num_days();
                matches!(offset, -2 | 1 | 39 | 50)
            }
        }
    }
}

/// Easter Sunday (Gregorian), anonymous Gregorian algorithm (Meeus/Jones/Butcher). Written by
/// hand: twelve lines of arithmetic do not justify a dependency.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// A business-hours calendar. A calendar without any hours is never open (targets on it
/// never come due); use [`Calendar::always`] for 24/7.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    pub name: String,
    /// IANA name such as `Europe/Berlin`; default UTC.
    #[serde(default = "utc")]
    pub time_zone: Tz,
    #[serde(default)]
    pub hours: Vec<OpenHours>,
    /// Closed dates (local dates).
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    #[serde(default)]
    pub public_holidays: Option<PublicHolidays>,
}

fn utc() -> Tz {
    Tz::UTC
}

/// How far [`Calendar::add_business_time`] looks ahead before giving up.
const HORIZON_DAYS: u64 = 3 * 366;

impl Calendar {
    /// Open around the clock, every day, no holidays; named `always`.
    pub fn always() -> Self {
        Calendar {
            name: "always".into(),
            time_zone: Tz::UTC,
            hours: vec![OpenHours {
                days: ALL_DAYS.to_vec(),
                from: DayTime::MIDNIGHT,
                to: DayTime::END_OF_DAY,
            }],
            holidays: Vec::new(),
            public_holidays: None,
        }
    }

    /// Mon-Fri 08:00-18:00 Europe/Berlin with the German nationwide holidays; named `office`.
    pub fn german_office() -> Self {
        Calendar {
            name: "office".into(),
            time_zone: chrono_tz::Europe::Berlin,
            hours: vec![OpenHours {
                days: ALL_DAYS[..5].to_vec(),
                from: DayTime(8 * 60),
                to: DayTime(18 * 60),
            }],
            holidays: Vec::new(),
            public_holidays: Some(PublicHolidays::De),
        }
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date) || self.public_holidays.is_some_and(|p| p.contains(date))
    }

    /// The open intervals of one local date, in UTC, sorted and merged.
    pub fn open_intervals(&self, date: NaiveDate) -> Vec<(Timestamp, Timestamp)> {
        if self.is_holiday(date) {
            return Vec::new();
        }
        let weekday = date.weekday();
        let mut out: Vec<(Timestamp, Timestamp)> = self
            .hours
            .iter()
            .filter(|h| h.days.contains(&weekday) && h.from < h.to)
            .map(|h| (self.instant(date, h.from), self.instant(date, h.to)))
            .filter(|(a, b)| a < b)
            .collect();
        out.sort();
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(out.len());
        for (a, b) in out {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    /// The UTC instant of a local date and time of day. Times in a DST gap move forward to
    /// the first valid local time; ambiguous times take the earlier instant.
    fn instant(&self, date: NaiveDate, t: DayTime) -> Timestamp {
        let base: NaiveDateTime = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        let mut local = base + Duration::minutes(i64::from(t.0));
        for _ in 0..8 {
            match self.time_zone.from_local_datetime(&local) {
                LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => {
                    return x.with_timezone(&chrono::Utc);
                }
                LocalResult::None => local += Duration::minutes(30),
            }
        }
        chrono::Utc.from_utc_datetime(&local)
    }

    fn local_date(&self, t: Timestamp) -> NaiveDate {
        t.with_timezone(&self.time_zone).date_naive()
    }

    pub fn is_open(&self, t: Timestamp) -> bool {
        self.open_intervals(self.local_date(t))
            .iter()
            .any(|&(a, b)| a <= t && t < b)
    }

    /// Business time between `from` and `to` (zero if `to <= from`).
    pub fn business_time(&self, from: Timestamp, to: Timestamp) -> Duration {
        self.business_time_by(from, to, |date| self.open_intervals(date))
    }

    /// [`Calendar::business_time`] with the open intervals of each local date taken from
    /// `open` (for callers that keep [`Calendar::open_intervals`] per date, such as reports over
    /// millions of conversations).
    pub fn business_time_by<I>(
        &self,
        from: Timestamp,
        to: Timestamp,
        mut open: impl FnMut(NaiveDate) -> I,
    ) -> Duration
    where
        I: IntoIterator<Item = (Timestamp, Timestamp)>,
    {
        if to <= from {
            return Duration::zero();
        }
        let mut total = Duration::zero();
        let mut date = self.local_date(from);
        let last = self.local_date(to);
        while date <= last {
            for (a, b) in open(date) {
                let (s, e) = (a.max(from), b.min(to));
                if s < e {
                    total += e - s;
                }
            }
            date = date + Days::new(1);
        }
        total
    }

    /// The instant when `amount` of business time has passed after `from` (`from` itself when
    /// `amount` is zero or negative). `None` if the calendar is not open within three years.
    pub fn add_business_time(&self, from: Timestamp, amount: Duration) -> Option<Timestamp> {
        if amount <= Duration::zero() {
            return Some(from);
        }
        let mut left = amount;
        let mut date = self.local_date(from);
        for _ in 0..HORIZON_DAYS {
            for (a, b) in self.open_intervals(date) {
                let s = a.max(from);
                if s >= b {
                    continue;
                }
                if left <= b - s {
                    return Some(s + left);
                }
                left -= b - s;
            }
            date = date + Days::new(1);
        }
        None
    }
}

const ALL_DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    /// `YYYY-MM-DD HH:MM` read as Europe/Berlin local time.
    fn berlin(s: &str) -> Timestamp {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Europe::Berlin
            .from_local_datetime(&naive)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn easter() {
        for (y, m, d) in [(2024, 3, 31), (2025, 4, 20), (2026, 4, 5), (2027, 3, 28)] {
            assert_eq!(easter_sunday(y), NaiveDate::from_ymd_opt(y, m, d));
        }
    }

    #[test]
    fn add_business_time_table() {
        let office = Calendar::german_office();
        let mut extra = Calendar::german_office();
        extra
            .holidays
            .push(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        let always = Calendar::always();
        // (calendar, start, minutes, expected due), local Berlin times
        let cases: &[(&Calendar, &str, i64, &str)] = &[
            (&office, "2026-11-24 10:00", 120, "2026-11-24 12:00"),
            // before opening: the clock starts at 08:00
            (&office, "2026-11-24 06:00", 30, "2026-11-24 08:30"),
            // weekend
            (&office, "2026-11-27 17:00", 120, "2026-11-30 09:00"),
            (&office, "2026-11-28 12:00", 30, "2026-11-30 08:30"),
            // exactly at closing: due at closing
            (&office, "2026-11-24 17:00", 60, "2026-11-24 18:00"),
            // Christmas Day and Boxing Day (Fri, Sat) are holidays, Christmas Eve is not
            (&office, "2026-12-24 17:00", 120, "2026-12-28 09:00"),
            // Good Friday .. Easter Monday 2026
            (&office, "2026-04-02 17:30", 60, "2026-04-07 08:30"),
            // across the switch to summer time (Sunday 2026-03-29)
            (&office, "2026-03-27 17:00", 120, "2026-03-30 09:00"),
            // a listed extra holiday
            (&extra, "2026-11-24 17:00", 120, "2026-11-26 09:00"),
            // 24/7
            (&always, "2026-11-28 23:30", 90, "2026-11-29 01:00"),
        ];
        for &(cal, start, minutes, due) in cases {
            let got = cal.add_business_time(berlin(start), Duration::minutes(minutes));
            assert_eq!(got, Some(berlin(due)), "{} {start} + {minutes}m", cal.name);
            if cal.is_open(berlin(start)) {
                assert_eq!(
                    cal.business_time(berlin(start), berlin(due)),
                    Duration::minutes(minutes),
                    "{} {start}..{due}",
                    cal.name
                );
            }
        }
    }

    #[test]
    fn business_time_table() {
        let office = Calendar::german_office();
        let cases: &[(&str, &str, i64)] = &[
            ("2026-11-24 10:00", "2026-11-24 11:30", 90),
            ("2026-11-27 16:00", "2026-11-30 10:00", 240),
            ("2026-11-28 00:00", "2026-11-29 23:59", 0),
            ("2026-12-24 00:00", "2026-12-28 00:00", 600),
            ("2026-11-23 00:00", "2026-11-30 00:00", 5 * 600),
            ("2026-11-24 12:00", "2026-11-24 11:00", 0),
        ];
        for &(a, b, minutes) in cases {
            assert_eq!(
                office.business_time(berlin(a), berlin(b)),
                Duration::minutes(minutes),
                "{a}..{b}"
            );
        }
        assert!(office.is_open(berlin("2026-11-24 08:00")));
        assert!(!office.is_open(berlin("2026-11-24 18:00")));
        assert!(!office.is_open(berlin("2026-10-03 10:00")));
    }

    #[test]
    fn closed_calendar_never_due_and_config_parses() {
        let closed: Calendar = toml::from_str(r#"name = "closed""#).unwrap();
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(closed.add_business_time(t, Duration::minutes(1)), None);
        let cal: Calendar = toml::from_str(
            r#"
            name = "support"
            time_zone = "America/New_York"
            holidays = ["2026-11-26"]
            [[hours]]
            days = ["Mon", "tue", "Wednesday", "thu", "fri"]
            from = "09:00"
            to = "17:30"
            [[hours]]
            days = ["sat"]
            from = "10:00"
            to = "24:00"
            "#,
        )
        .unwrap();
        assert_eq!(cal.hours[0].days.len(), 5);
        assert_eq!(cal.hours[1].to, DayTime::END_OF_DAY);
        // Sat 2026-11-28 23:00 New York = Sun 04:00 UTC
        assert!(cal.is_open(Utc.with_ymd_and_hms(2026, 11, 29, 4, 0, 0).unwrap()));
        let bad = toml::from_str::<Calendar>(
            "name = \"x\"\n[[hours]]\ndays = [\"mon\"]\nfrom = \"25:00\"\nto = \"26:00\"",
        );
        assert!(bad.unwrap_err().to_string().contains("25:00"));
    }
}

//! Business hours: the working-time variant of every duration (first response, resolution).
//! The calendar is the workflow's [`Calendar`] (the one response-time targets run on): weekly
//! opening hours in a time zone (DST-correct), listed closed dates and, optionally, the German
//! nationwide public holidays.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, NaiveTime, Timelike, Weekday};
use chrono_tz::Tz;
use workflow::{Calendar, DayTime, OpenHours, PublicHolidays};

use crate::{ReportError, Timestamp};

/// The open intervals of one local date, in UTC.
type DayIntervals = Arc<[(Timestamp, Timestamp)]>;

/// Opening hours of the business-time variants, with the open intervals of each date kept
/// once computed (a report asks for the same few hundred dates millions of times).
#[derive(Debug)]
pub struct BusinessHours {
    calendar: Calendar,
    /// How the zone is shown: `UTC+01:00` for a fixed offset, else the IANA name.
    zone_label: String,
    days: Mutex<HashMap<NaiveDate, DayIntervals>>,
}

impl Clone for BusinessHours {
    fn clone(&self) -> Self {
        Self::from_calendar(self.calendar.clone(), self.zone_label.clone())
    }
}

impl PartialEq for BusinessHours {
    fn eq(&self, other: &Self) -> bool {
        self.calendar == other.calendar && self.zone_label == other.zone_label
    }
}

impl Default for BusinessHours {
    /// Monday to Friday, 09:00-17:00 UTC, no holidays.
    fn default() -> Self {
        Self::weekdays(9 * 60, 17 * 60, Tz::UTC, "UTC+00:00".into())
    }
}

const WORKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

impl BusinessHours {
    /// The business-time variants on `calendar` (e.g. a response-time policy's calendar).
    pub fn new(calendar: Calendar) -> Self {
        let zone_label = calendar.time_zone.name().to_owned();
        Self::from_calendar(calendar, zone_label)
    }

    fn from_calendar(calendar: Calendar, zone_label: String) -> Self {
        Self {
            calendar,
            zone_label,
            days: Mutex::new(HashMap::new()),
        }
    }

    fn weekdays(start_minute: u16, end_minute: u16, zone: Tz, zone_label: String) -> Self {
        let at = |m: u16| DayTime::new(m / 60, m % 60).unwrap_or(DayTime::MIDNIGHT);
        let calendar = Calendar {
            name: "report".into(),
            time_zone: zone,
            hours: vec![OpenHours {
                days: WORKDAYS.to_vec(),
                from: at(start_minute),
                to: at(end_minute),
            }],
            holidays: Vec::new(),
            public_holidays: None,
        };
        Self::from_calendar(calendar, zone_label)
    }

    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Parses `HH:MM-HH:MM[+HH:MM|-HH:MM]`, e.g. `09:00-17:00+01:00` (Monday to Friday; the
    /// offset in whole hours, or use [`BusinessHours::with_time_zone`] for a zone with summer
    /// time).
    pub fn parse(spec: &str) -> Result<Self, ReportError> {
        let bad = |why: &str| ReportError::Option {
            option: "--business-hours".into(),
            message: format!("{why} in {spec:?}; expected e.g. 09:00-17:00+01:00"),
        };
        let spec = spec.trim();
        if spec.len() < 11 || !spec.is_char_boundary(11) {
            return Err(bad("too short"));
        }
        let (hours, offset) = spec.split_at(11);
        let (start, end) = hours.split_once('-').ok_or_else(|| bad("no '-'"))?;
        let minute = |s: &str| -> Result<u16, ReportError> {
            let t = NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| bad("bad time"))?;
            Ok((t.hour() * 60 + t.minute()) as u16)
        };
        let (start_minute, end_minute) = (minute(start)?, minute(end)?);
        if end_minute <= start_minute {
            return Err(bad("end before start"));
        }
        let offset_minutes = if offset.is_empty() {
            0
        } else {
            let sign = match &offset[..1] {
                "+" => 1,
                "-" => -1,
                _ => return Err(bad("offset must start with + or -")),
            };
            sign * i32::from(minute(&offset[1..])?)
        };
        if offset_minutes % 60 != 0 {
            return Err(bad(
                "the offset must be whole hours (use --time-zone for e.g. Asia/Kolkata)",
            ));
        }
        let hours = offset_minutes / 60;
        // The IANA `Etc/GMT` zones count the other way round: Etc/GMT-1 is UTC+01:00.
        let zone: Tz = if hours == 0 {
            Tz::UTC
        } else {
            format!("Etc/GMT{:+}", -hours)
                .parse()
                .map_err(|_| bad("offset out of range"))?
        };
        let label = format!(
            "UTC{}{:02}:00",
            if hours < 0 { '-' } else { '+' },
            hours.abs()
        );
        Ok(Self::weekdays(start_minute, end_minute, zone, label))
    }

    /// The same opening hours in an IANA time zone such as `Europe/Berlin` (summer time
    /// included).
    pub fn with_time_zone(self, zone: &str) -> Result<Self, ReportError> {
        let zone: Tz = zone.parse().map_err(|_| ReportError::Option {
            option: "--time-zone".into(),
            message: format!("{zone:?} is not an IANA time zone such as Europe/Berlin"),
        })?;
        let mut calendar = self.calendar;
        calendar.time_zone = zone;
        Ok(Self::new(calendar))
    }

    /// Closed days: a comma-separated list of `de` (the German nationwide public holidays)
    /// and dates `YYYY-MM-DD`; `none` or empty for none.
    pub fn with_holidays(self, spec: &str) -> Result<Self, ReportError> {
        let mut calendar = self.calendar;
        calendar.holidays.clear();
        calendar.public_holidays = None;
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "none" => {}
                "de" => calendar.public_holidays = Some(PublicHolidays::De),
                date => {
                    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
                        ReportError::Option {
                            option: "--holidays".into(),
                            message: format!(
                                "{date:?} is neither `de` nor a date YYYY-MM-DD (in {spec:?})"
                            ),
                        }
                    })?;
                    calendar.holidays.push(d);
                }
            }
        }
        calendar.holidays.sort();
        calendar.holidays.dedup();
        Ok(Self::from_calendar(calendar, self.zone_label))
    }

    /// Seconds of opening time between `from` and `to` (0 when `to <= from`).
    pub fn seconds_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        self.calendar
            .business_time_by(from, to, |date| {
                // A poisoned lock only means another thread panicked mid-insert; the map
                // itself is still whole.
                let day = self
                    .days
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(date)
                    .or_insert_with(|| self.calendar.open_intervals(date).into())
                    .clone();
                (0..day.len()).map(move |i| day[i])
            })
            .num_seconds()
    }

    /// A human-readable form for the method block, e.g.
    /// `Mon,Tue,Wed,Thu,Fri 09:00-17:00 Europe/Berlin; closed: German public holidays, 2026-12-24`.
    pub fn describe(&self) -> String {
        let c = &self.calendar;
        let hours: Vec<String> = c
            .hours
            .iter()
            .map(|h| {
                let days: Vec<String> = h.days.iter().map(Weekday::to_string).collect();
                format!("{} {}-{}", days.join(","), h.from, h.to)
            })
            .collect();
        let mut closed: Vec<String> = Vec::new();
        if c.public_holidays == Some(PublicHolidays::De) {
            closed.push("German public holidays".into());
        }
        closed.extend(c.holidays.iter().map(|d| d.to_string()));
        let mut out = format!("{} {}", hours.join("; "), self.zone_label);
        if !closed.is_empty() {
            out.push_str("; closed: ");
            out.push_str(&closed.join(", "));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn counts_only_opening_hours() {
        let h = BusinessHours::default();
        // Friday 16:00 -> Monday 10:00: 1 h Friday + 1 h Monday.
        assert_eq!(
            h.seconds_between(ts("2017-10-27T16:00:00Z"), ts("2017-10-30T10:00:00Z")),
            2 * 3600
        );
        // Saturday only: nothing.
        assert_eq!(
            h.seconds_between(ts("2017-10-28T10:00:00Z"), ts("2017-10-28T12:00:00Z")),
            0
        );
        // Inside one day.
        assert_eq!(
            h.seconds_between(ts("2017-10-31T09:30:00Z"), ts("2017-10-31T09:31:15Z")),
            75
        );
        assert_eq!(
            h.seconds_between(ts("2017-10-31T12:00:00Z"), ts("2017-10-31T11:00:00Z")),
            0
        );
    }

    #[test]
    fn offset_shifts_the_window() {
        let h = BusinessHours::parse("09:00-17:00+01:00").unwrap();
        // 07:30-08:30 UTC = 08:30-09:30 local: 30 min open.
        assert_eq!(
            h.seconds_between(ts("2017-10-31T07:30:00Z"), ts("2017-10-31T08:30:00Z")),
            1800
        );
        assert_eq!(h.describe(), "Mon,Tue,Wed,Thu,Fri 09:00-17:00 UTC+01:00");
        let west = BusinessHours::parse("09:00-17:00-05:00").unwrap();
        // 14:00-15:00 UTC = 09:00-10:00 local.
        assert_eq!(
            west.seconds_between(ts("2017-10-31T13:00:00Z"), ts("2017-10-31T15:00:00Z")),
            3600
        );
        assert!(BusinessHours::parse("17:00-09:00").is_err());
        assert!(BusinessHours::parse("nine to five").is_err());
        assert!(BusinessHours::parse("09:00-17:00+05:30").is_err());
    }

    #[test]
    fn holidays_are_closed() {
        let h = BusinessHours::parse("09:00-17:00")
            .unwrap()
            .with_time_zone("Europe/Berlin")
            .unwrap()
            .with_holidays("de, 2026-12-24")
            .unwrap();
        // Wednesday 2026-12-23 16:00 Berlin (15:00 UTC) -> Monday 2026-12-28 10:00 Berlin:
        // 1 h on the 23rd; the 24th is listed, the 25th and 26th are public holidays, then
        // the weekend; 1 h on the 28th.
        assert_eq!(
            h.seconds_between(ts("2026-12-23T15:00:00Z"), ts("2026-12-28T09:00:00Z")),
            2 * 3600
        );
        // Without holidays the 24th and 25th count: 2 h + 8 h + 8 h.
        let plain = BusinessHours::parse("09:00-17:00")
            .unwrap()
            .with_time_zone("Europe/Berlin")
            .unwrap();
        assert_eq!(
            plain.seconds_between(ts("2026-12-23T15:00:00Z"), ts("2026-12-28T09:00:00Z")),
            (1 + 8 + 8 + 1) * 3600
        );
        // Good Friday 2026 (April 3rd) is closed; summer time has begun (UTC+2).
        assert_eq!(
            h.seconds_between(ts("2026-04-03T07:00:00Z"), ts("2026-04-03T15:00:00Z")),
            0
        );
        assert_eq!(
            h.describe(),
            "Mon,Tue,Wed,Thu,Fri 09:00-17:00 Europe/Berlin; closed: German public holidays, 2026-12-24"
        );
        // The cache gives the same answer the second time.
        assert_eq!(
            h.seconds_between(ts("2026-12-23T15:00:00Z"), ts("2026-12-28T09:00:00Z")),
            2 * 3600
        );
        assert!(h.clone().with_holidays("xmas").is_err());
        assert!(
            BusinessHours::default()
                .with_time_zone("Mars/Olympus")
                .is_err()
        );
    }
}

//! Business hours: the working-time variant of every duration (first response, resolution).
//! A fixed UTC offset and weekly opening hours; public holidays are not modelled (see
//! docs/METRICS.md).

use chrono::{Datelike, Duration, FixedOffset, NaiveTime, TimeZone, Weekday};
use serde::{Deserialize, Serialize};

use crate::{ReportError, Timestamp};

/// Opening hours: the same window on each working day, in a fixed UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    /// Minutes after midnight, local time, when work starts (09:00 = 540).
    pub start_minute: u32,
    /// Minutes after midnight, local time, when work ends (17:00 = 1020).
    pub end_minute: u32,
    /// Offset of local time from UTC in minutes (+01:00 = 60).
    pub utc_offset_minutes: i32,
    /// Working days as a bit set, bit 0 = Monday ... bit 6 = Sunday.
    pub weekdays: u8,
}

impl Default for BusinessHours {
    /// Monday to Friday, 09:00-17:00 UTC.
    fn default() -> Self {
        Self {
            start_minute: 9 * 60,
            end_minute: 17 * 60,
            utc_offset_minutes: 0,
            weekdays: 0b001_1111,
        }
    }
}

impl BusinessHours {
    /// Parses `HH:MM-HH:MM[+HH:MM|-HH:MM]`, e.g. `09:00-17:00+01:00` (Monday to Friday).
    pub fn parse(spec: &str) -> Result<Self, ReportError> {
        let bad = |why: &str| ReportError::Option {
            option: "--business-hours".into(),
            message: format!("{why} in {spec:?}; expected e.g. 09:00-17:00+01:00"),
        };
        let spec = spec.trim();
        if spec.len() < 11 {
            return Err(bad("too short"));
        }
        let (hours, offset) = spec.split_at(11);
        let (start, end) = hours.split_once('-').ok_or_else(|| bad("no '-'"))?;
        let minute = |s: &str| -> Result<u32, ReportError> {
            let t = NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| bad("bad time"))?;
            Ok(t.hour_minute())
        };
        let (start_minute, end_minute) = (minute(start)?, minute(end)?);
        if end_minute <= start_minute {
            return Err(bad("end before start"));
        }
        let utc_offset_minutes = if offset.is_empty() {
            0
        } else {
            let sign = match &offset[..1] {
                "+" => 1,
                "-" => -1,
                _ => return Err(bad("offset must start with + or -")),
            };
            sign * minute(&offset[1..])? as i32
        };
        Ok(Self {
            start_minute,
            end_minute,
            utc_offset_minutes,
            weekdays: 0b001_1111,
        })
    }

    /// Seconds of opening time between `from` and `to` (0 when `to <= from`).
    pub fn seconds_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        let Some(tz) = FixedOffset::east_opt(self.utc_offset_minutes * 60) else {
            return 0;
        };
        let (a, b) = (from.with_timezone(&tz), to.with_timezone(&tz));
        let mut day = a.date_naive();
        let last = b.date_naive();
        let mut total = 0i64;
        while day <= last {
            if self.weekdays & (1 << day.weekday().num_days_from_monday()) != 0 {
                let open = tz
                    .from_local_datetime(&day.and_time(time_of(self.start_minute)))
                    .single();
                let close = tz
                    .from_local_datetime(&day.and_time(time_of(self.end_minute)))
                    .single();
                if let (Some(open), Some(close)) = (open, close) {
                    let s = open.max(a);
                    let e = close.min(b);
                    if e > s {
                        total += (e - s).num_seconds();
                    }
                }
            }
            day += Duration::days(1);
        }
        total
    }

    /// A human-readable form for the method block, e.g. `Mon-Fri 09:00-17:00 UTC+01:00`.
    pub fn describe(&self) -> String {
        let names = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        let days: Vec<String> = names
            .iter()
            .enumerate()
            .filter(|(i, _)| self.weekdays & (1 << i) != 0)
            .map(|(_, d)| d.to_string())
            .collect();
        let off = self.utc_offset_minutes;
        format!(
            "{} {:02}:{:02}-{:02}:{:02} UTC{}{:02}:{:02}",
            days.join(","),
            self.start_minute / 60,
            self.start_minute % 60,
            self.end_minute / 60,
            self.end_minute % 60,
            if off < 0 { '-' } else { '+' },
            off.abs() / 60,
            off.abs() % 60
        )
    }
}

fn time_of(minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap_or(NaiveTime::MIN)
}

trait HourMinute {
    fn hour_minute(&self) -> u32;
}

impl HourMinute for NaiveTime {
    fn hour_minute(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
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
        assert_eq!(h.utc_offset_minutes, 60);
        // 07:30-08:30 UTC = 08:30-09:30 local: 30 min open.
        assert_eq!(
            h.seconds_between(ts("2017-10-31T07:30:00Z"), ts("2017-10-31T08:30:00Z")),
            1800
        );
        assert_eq!(h.describe(), "Mon,Tue,Wed,Thu,Fri 09:00-17:00 UTC+01:00");
        assert!(BusinessHours::parse("17:00-09:00").is_err());
        assert!(BusinessHours::parse("nine to five").is_err());
    }
}

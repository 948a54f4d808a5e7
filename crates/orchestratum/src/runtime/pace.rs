//! How many commands the claimer holds beyond its run slots: as many as it takes in about
//! [`AHEAD_HORIZON`] at its recent pace, between a floor and a ceiling. Fast handlers get a
//! deep queue, so claims and outcome writes go in large batches; slow ones a shallow one, so a
//! worker does not sit on commands that another instance could start now.

use std::time::{Duration, Instant};

/// How far ahead, in time at the recent claim rate, the claimer keeps commands claimed.
const AHEAD_HORIZON: Duration = Duration::from_millis(20);
/// Shortest interval a rate is measured over; claims closer together add up first.
const SAMPLE: Duration = Duration::from_millis(10);
/// The ceiling, in multiples of `max_command_pull` (decision 0009: 4 measured about 1.3 times
/// the throughput of 1 at the default 100, and once the worker's own CPU per command was cut,
/// 8 about 1.13 times that of 4; 16, with or without a longer horizon, nothing measurable).
const CEILING_FACTOR: usize = 8;

/// The most commands ever claimed ahead: the claim room is `max_command_pull` plus this, and
/// holds at most `u32::MAX` slots (a semaphore's limit, far above any real setting).
pub(crate) fn ceiling(max_command_pull: usize) -> usize {
    let room = u32::MAX as usize;
    max_command_pull
        .saturating_mul(CEILING_FACTOR)
        .min(room.saturating_sub(max_command_pull))
}

/// The claim rate, measured claim by claim.
pub(crate) struct Pace {
    run_slots: usize,
    floor: usize,
    ceiling: usize,
    /// Commands claimed per second, smoothed.
    rate: f64,
    since: Instant,
    counted: usize,
}

impl Pace {
    pub fn new(max_command_pull: usize, now: Instant) -> Self {
        Self {
            run_slots: max_command_pull,
            floor: (max_command_pull / 4).max(1),
            ceiling: ceiling(max_command_pull),
            rate: 0.0,
            since: now,
            counted: 0,
        }
    }

    /// Records a claim of `n` commands.
    pub fn claimed(&mut self, n: usize, now: Instant) {
        self.counted += n;
        let elapsed = now.saturating_duration_since(self.since);
        if elapsed < SAMPLE {
            return;
        }
        let rate = self.counted as f64 / elapsed.as_secs_f64();
        self.rate = if self.rate == 0.0 {
            rate
        } else {
            (self.rate + rate) / 2.0
        };
        self.since = now;
        self.counted = 0;
    }

    /// How many commands to hold claimed ahead now.
    pub fn ahead(&self) -> usize {
        // The rate is a count over a positive duration: finite and never negative, and a value
        // past usize::MAX saturates, which the ceiling clamps anyway.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let paced = (self.rate * AHEAD_HORIZON.as_secs_f64()) as usize;
        paced.clamp(self.floor, self.ceiling.max(self.floor))
    }

    /// How many usable slots a backlogged claimer waits for before it claims again: a quarter
    /// of the paced room (the run slots and the commands held ahead), so claims stay large.
    pub fn refill_at(&self) -> usize {
        (self.run_slots.saturating_add(self.ahead()) / 4).max(1)
    }

    /// Of `free` slots in the claim room, how many to claim now: the room beyond what the pace
    /// asks for stays unused.
    pub fn usable(&self, free: usize) -> usize {
        free.saturating_sub(self.ceiling - self.ahead().min(self.ceiling))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Claims of `n` every `every`, `times` times, starting at `at`; returns the time after.
    fn claims(pace: &mut Pace, at: Instant, n: usize, every: Duration, times: u32) -> Instant {
        let mut now = at;
        for _ in 0..times {
            now += every;
            pace.claimed(n, now);
        }
        now
    }

    #[test]
    fn a_new_worker_claims_its_run_slots_and_the_floor() {
        let pace = Pace::new(100, Instant::now());
        assert_eq!(pace.ahead(), 25);
        // The room is 100 + 800: with all of it free, 100 run slots and 25 ahead.
        assert_eq!(pace.usable(900), 125);
        assert_eq!(pace.usable(700), 0);
        assert_eq!(pace.refill_at(), 31);
    }

    #[test]
    fn fast_claims_deepen_the_queue_up_to_the_ceiling() {
        let start = Instant::now();
        let mut pace = Pace::new(100, start);
        // 200 commands every 10 ms: 20,000 a second, 400 in 20 ms.
        claims(&mut pace, start, 200, Duration::from_millis(10), 8);
        assert_eq!(pace.ahead(), 400);
        assert_eq!(pace.usable(900), 500);
        assert_eq!(pace.refill_at(), 125);
        // Faster still: held at the ceiling.
        let mut pace = Pace::new(100, start);
        claims(&mut pace, start, 1_000, Duration::from_millis(10), 8);
        assert_eq!(pace.ahead(), 800);
        assert_eq!(pace.usable(900), 900);
        assert_eq!(pace.refill_at(), 225);
    }

    #[test]
    fn slow_claims_keep_only_the_floor_ahead() {
        let start = Instant::now();
        let mut pace = Pace::new(100, start);
        // Handlers of a second each: 100 a second, 2 in 20 ms.
        claims(&mut pace, start, 10, Duration::from_millis(100), 20);
        assert_eq!(pace.ahead(), 25);
    }

    #[test]
    fn the_queue_shrinks_when_the_pace_drops() {
        let start = Instant::now();
        let mut pace = Pace::new(100, start);
        let now = claims(&mut pace, start, 200, Duration::from_millis(10), 8);
        assert_eq!(pace.ahead(), 400);
        claims(&mut pace, now, 5, Duration::from_millis(100), 10);
        assert_eq!(pace.ahead(), 25);
    }

    #[test]
    fn claims_closer_than_a_sample_add_up() {
        let start = Instant::now();
        let mut pace = Pace::new(100, start);
        // 50 commands every millisecond: 50,000 a second, measured over 10 ms at a time.
        claims(&mut pace, start, 50, Duration::from_millis(1), 30);
        assert_eq!(pace.ahead(), 800);
    }

    #[test]
    fn a_huge_max_command_pull_still_claims() {
        let pull = u32::MAX as usize - 10;
        assert_eq!(ceiling(pull), 10);
        let pace = Pace::new(pull, Instant::now());
        assert_eq!(pace.usable(u32::MAX as usize), u32::MAX as usize);
        assert_eq!(pace.usable(1), 1);
    }

    #[test]
    fn one_run_slot_still_claims_one_ahead() {
        let pace = Pace::new(1, Instant::now());
        assert_eq!(pace.ahead(), 1);
        assert_eq!(pace.usable(9), 2);
    }
}

//! One knob for every property test's size: `TENANTRY_TEST_SCALE`, a factor
//! applied to each suite's own default number of cases (`0.1` for a quick run
//! on a laptop, `4` for a long one; unset means `1`). A suite never runs fewer
//! than one case, and a value that is not a positive number stops the run
//! instead of being ignored.

/// The environment variable.
pub const VAR: &str = "TENANTRY_TEST_SCALE";

/// Why the knob was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{VAR}={0:?} is not a positive number (e.g. 0.1, 1 or 4)")]
pub struct BadScale(pub String);

/// The factor `value` sets (`None`: unset, 1).
pub fn factor(value: Option<&str>) -> Result<f64, BadScale> {
    match value.map(str::trim) {
        None | Some("") => Ok(1.0),
        Some(text) => match text.parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 => Ok(f),
            _ => Err(BadScale(text.to_owned())),
        },
    }
}

/// `default` cases scaled by `factor`, at least one.
pub fn scaled(default: u32, factor: f64) -> u32 {
    let cases = (f64::from(default) * factor).round();
    if cases >= f64::from(u32::MAX) {
        u32::MAX
    } else if cases < 1.0 {
        1
    } else {
        cases as u32
    }
}

/// A suite's number of cases: its `default` scaled by `TENANTRY_TEST_SCALE`.
///
/// # Panics
/// When the variable is set to something that is not a positive number: a
/// mistyped knob must stop the run, not shrink or grow it silently.
#[allow(clippy::panic)] // test support: a bad knob fails the test run
pub fn cases(default: u32) -> u32 {
    match factor(std::env::var(VAR).ok().as_deref()) {
        Ok(f) => scaled(default, f),
        Err(e) => panic!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_factor_scales_each_default_and_never_reaches_zero() {
        assert_eq!(factor(None), Ok(1.0));
        assert_eq!(factor(Some("0.1")), Ok(0.1));
        assert_eq!(scaled(2_500, 0.1), 250);
        assert_eq!(scaled(48, 1.0), 48);
        assert_eq!(scaled(16, 0.01), 1);
        assert_eq!(scaled(250, 4.0), 1_000);
        for bad in ["0", "-1", "many", "NaN", "inf"] {
            assert_eq!(factor(Some(bad)), Err(BadScale(bad.into())), "{bad}");
        }
    }
}

//! The HAT's lines: bytes to lines ([`LineBuffer`]) and a line to what it means ([`HatLine`]).
//!
//! Every line is split on commas and matched field by field, whole words only: `c,STATUS,VEND`,
//! `c,VEND,SUCCESS` and `c,ERR,VEND 3` can never be taken for one another (substring matching
//! did that in other projects). A line that is not ASCII, too long, or not understood is
//! `Unknown`, logged and otherwise ignored.

/// The longest line kept; anything longer is garbage (the HAT's longest is well under 64).
pub const MAX_LINE: usize = 200;

/// What one line from the HAT says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HatLine {
    /// `r,ACK`: the VMC polled. Dozens between events; never an event.
    Ack,
    /// `c,0` / `c,1`: the cashless device was disabled / enabled (answer to `C,0` / `C,1`).
    Off,
    On,
    /// `c,SET,OK`: a `C,SETCONF` was taken.
    SetOk,
    /// `c,STATUS,...`.
    Status(Status),
    /// `c,STATUS,VEND,<amount>,<item>`: a vend request; the amount as the HAT printed it.
    VendRequest {
        amount: String,
        item: u32,
    },
    /// `c,VEND,SUCCESS`.
    VendSuccess,
    /// `c,ERR,VEND <n>`: 1 the VMC gave up while payment was pending, 3 the product did not
    /// dispense after approval, 5 seen in the field and undocumented.
    VendError(u8),
    /// `c,ERR,"cashless is on"`: already enabled.
    AlreadyOn,
    /// `c,ERR,"START -3"`: a session cannot start now.
    StartRefused,
    /// Any other `c,ERR,...`.
    Error(String),
    Unknown(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Inactive,
    Disabled,
    Enabled,
    /// Old firmware's word for enabled.
    Online,
    /// A session is open; `funds` when the HAT gave them (after `C,START`).
    Idle {
        funds: Option<String>,
    },
}

impl HatLine {
    pub fn parse(line: &str) -> HatLine {
        let unknown = || HatLine::Unknown(line.to_string());
        if line.len() > MAX_LINE || !line.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return unknown();
        }
        let fields: Vec<&str> = line.split(',').collect();
        match fields.as_slice() {
            ["r", "ACK"] => HatLine::Ack,
            ["c", "0"] => HatLine::Off,
            ["c", "1"] => HatLine::On,
            ["c", "SET", "OK"] => HatLine::SetOk,
            ["c", "VEND", "SUCCESS"] => HatLine::VendSuccess,
            ["c", "STATUS", "VEND", amount, item] => match (is_amount(amount), item.parse()) {
                (true, Ok(item)) => HatLine::VendRequest {
                    amount: amount.to_string(),
                    item,
                },
                _ => unknown(),
            },
            ["c", "STATUS", word] => match *word {
                "INACTIVE" => HatLine::Status(Status::Inactive),
                "DISABLED" => HatLine::Status(Status::Disabled),
                "ENABLED" => HatLine::Status(Status::Enabled),
                "ONLINE" => HatLine::Status(Status::Online),
                "IDLE" => HatLine::Status(Status::Idle { funds: None }),
                _ => unknown(),
            },
            ["c", "STATUS", "IDLE", funds] if is_amount(funds) => HatLine::Status(Status::Idle {
                funds: Some(funds.to_string()),
            }),
            ["c", "ERR", rest @ ..] => {
                let text = rest.join(",");
                let bare = text.trim_matches('"');
                match bare.strip_prefix("VEND ") {
                    Some(n) => match n.parse() {
                        Ok(n) => HatLine::VendError(n),
                        Err(_) => HatLine::Error(bare.to_string()),
                    },
                    None if bare == "cashless is on" => HatLine::AlreadyOn,
                    None if bare == "START -3" => HatLine::StartRefused,
                    None => HatLine::Error(bare.to_string()),
                }
            }
            _ => unknown(),
        }
    }
}

/// Digits with at most one decimal point: the form the HAT prints amounts in.
fn is_amount(s: &str) -> bool {
    let mut parts = s.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let frac = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Bytes in, whole lines out. Lines end with `\n` (the HAT sends `\r\n`); a partial line waits
/// for the rest; a line longer than [`MAX_LINE`] is dropped up to its end.
#[derive(Debug, Default)]
pub struct LineBuffer {
    partial: Vec<u8>,
    overlong: bool,
}

impl LineBuffer {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                if !self.overlong {
                    let mut line = std::mem::take(&mut self.partial);
                    while line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    let text = String::from_utf8_lossy(&line).trim().to_string();
                    if !text.is_empty() {
                        lines.push(text);
                    }
                }
                self.partial.clear();
                self.overlong = false;
            } else if self.partial.len() >= MAX_LINE {
                self.overlong = true;
                self.partial.clear();
            } else if !self.overlong {
                self.partial.push(b);
            }
        }
        lines
    }

    /// Forgets a partial line (after a reset of the link).
    pub fn clear(&mut self) {
        self.partial.clear();
        self.overlong = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vend_lines_are_told_apart_by_whole_fields() {
        assert_eq!(
            HatLine::parse("c,STATUS,VEND,15.19,2"),
            HatLine::VendRequest {
                amount: "15.19".into(),
                item: 2
            }
        );
        assert_eq!(HatLine::parse("c,VEND,SUCCESS"), HatLine::VendSuccess);
        assert_eq!(HatLine::parse("c,ERR,VEND 3"), HatLine::VendError(3));
        assert_eq!(HatLine::parse("c,ERR,\"VEND 1\""), HatLine::VendError(1));
        assert_eq!(HatLine::parse("c,ERR,VEND 5"), HatLine::VendError(5));
        assert_eq!(HatLine::parse("r,ACK"), HatLine::Ack);
        assert_eq!(
            HatLine::parse("c,ERR,\"cashless is on\""),
            HatLine::AlreadyOn
        );
        assert_eq!(HatLine::parse("c,ERR,\"START -3\""), HatLine::StartRefused);
        assert_eq!(
            HatLine::parse("c,STATUS,IDLE,10.00"),
            HatLine::Status(Status::Idle {
                funds: Some("10.00".into())
            })
        );
        for bad in [
            "c,STATUS,VEND,2,15.19x",
            "c,STATUS,VEND,1.00",
            "c,STATUS,VENDX,1.00,2",
            "c,VEND,SUCCESSFUL",
            "xc,VEND,SUCCESS",
            "c,STATUS,VEND,-1.00,2",
            "c,STATUS,VEND,1..0,2",
            "c,STATUS,\u{1}IDLE",
        ] {
            assert!(
                matches!(HatLine::parse(bad), HatLine::Unknown(_)),
                "{bad} must not be understood"
            );
        }
    }

    #[test]
    fn partial_lines_wait_and_garbage_and_overlong_lines_are_dropped() {
        let mut b = LineBuffer::default();
        assert!(b.push(b"c,STATUS,VE").is_empty());
        assert_eq!(b.push(b"ND,1.00,2\r\nr,A"), vec!["c,STATUS,VEND,1.00,2"]);
        assert_eq!(b.push(b"CK\r\n\r\n"), vec!["r,ACK"]);
        let mut long = vec![b'x'; MAX_LINE * 3];
        long.extend_from_slice(b"\r\nc,VEND,SUCCESS\r\n");
        assert_eq!(b.push(&long), vec!["c,VEND,SUCCESS"]);
        let lines = b.push(b"\xff\x00\xfe\r\nc,1\r\n");
        assert_eq!(lines.len(), 2);
        assert!(matches!(HatLine::parse(&lines[0]), HatLine::Unknown(_)));
        assert_eq!(HatLine::parse(&lines[1]), HatLine::On);
    }
}

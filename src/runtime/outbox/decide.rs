//! What the worker does with a provider's answer to an outbox item: the item's fate (done,
//! retried, replaced by a follow-up call, dead), the records for its sale, and what the answer
//! says about the network. Pure decisions; the worker in the parent module carries them out.

use super::*;

/// What a try decided: the item's fate, the records for its sale, what the network looked like.
pub(super) struct Decision {
    pub(super) settle: Settle,
    pub(super) records: Vec<Record>,
    pub(super) online: bool,
    pub(super) tried: Tried,
}

/// A provider's answer to an item: an ordinary reply, or a report close's line for a person.
pub(super) enum Answer {
    Reply(Reply),
    ReportClosed(String),
}

impl OutboxWorker {
    pub(super) fn decide(&self, item: &OutboxItem, answer: Result<Answer, Failure>) -> Decision {
        let done = |records: Vec<Record>| Decision {
            settle: Settle::Complete,
            records,
            online: true,
            tried: Tried::Done,
        };
        let dead = |error: String, online: bool| Decision {
            settle: Settle::Fail {
                error: error.clone(),
                permanent: true,
                jitter: 0,
            },
            records: vec![Record::Flagged {
                reason: format!(
                    "outbox: {} failed for good ({error}); retry or drop it with `kassa queue`",
                    item.op.describe()
                ),
            }],
            online,
            tried: Tried::Dead { error },
        };
        let outcome = |outcome: Outcome| Record::Outcome {
            outcome,
            late: false,
        };
        // Where a payment stands: final -> its outcome; still open -> keep asking.
        let status = |status: &PaymentStatus, mut records: Vec<Record>, handle: &PaymentHandle| {
            match Outcome::from_status(status) {
                Some(o) => {
                    records.push(outcome(o));
                    done(records)
                }
                None => Decision {
                    settle: match &item.op {
                        OutboxOp::StatusCheck { .. } => Settle::Poll {
                            next_try: self.poll(),
                        },
                        _ => Settle::Replace {
                            op: OutboxOp::StatusCheck {
                                handle: handle.clone(),
                            },
                            next_try: self.poll(),
                        },
                    },
                    records,
                    online: true,
                    tried: Tried::Continues,
                },
            }
        };
        let answer = match answer {
            Ok(a) => a,
            Err(f) => {
                return match f.kind {
                    // As when online: a refused start created no payment, so the sale is over
                    // and nothing waits for a person. (Refused credentials can be fixed: dead.)
                    FailureKind::Rejected if matches!(item.op, OutboxOp::QueuedPush { .. }) => {
                        Decision {
                            tried: Tried::Refused {
                                error: f.to_string(),
                            },
                            ..done(vec![outcome(Outcome::Failed {
                                reason: format!("The provider refused the sale: {f}"),
                            })])
                        }
                    }
                    FailureKind::Rejected | FailureKind::Auth => dead(f.to_string(), true),
                    FailureKind::InDoubt => match &item.op {
                        // The push may have arrived: from now on, only ask about it.
                        OutboxOp::QueuedPush { request } => Decision {
                            settle: Settle::Replace {
                                op: OutboxOp::Recover {
                                    request: request.clone(),
                                    queued_push: true,
                                },
                                next_try: self.clock.now() + backoff(1, rand::random()),
                            },
                            records: Vec::new(),
                            online: false,
                            tried: Tried::Retry {
                                error: format!("{f}; will ask whether it arrived"),
                            },
                        },
                        _ => Decision {
                            settle: self.failure(f.to_string()),
                            records: Vec::new(),
                            online: false,
                            tried: Tried::Retry {
                                error: f.to_string(),
                            },
                        },
                    },
                    FailureKind::Transient => Decision {
                        settle: self.failure(f.to_string()),
                        records: Vec::new(),
                        online: false,
                        tried: Tried::Retry {
                            error: f.to_string(),
                        },
                    },
                };
            }
        };
        let unexpected = |a: &dyn std::fmt::Debug| {
            dead(
                format!("unexpected answer {a:?} to {}", item.op.describe()),
                true,
            )
        };
        match (&item.op, answer) {
            (OutboxOp::ReportClose { .. }, Answer::ReportClosed(line)) => {
                tracing::info!(id = item.id, "{line}");
                done(Vec::new())
            }
            (OutboxOp::StatusCheck { handle }, Answer::Reply(Reply::Status(s))) => {
                status(&s, Vec::new(), handle)
            }
            (
                OutboxOp::StatusCheck { handle },
                Answer::Reply(Reply::Found {
                    status: s,
                    handle: h,
                    ..
                }),
            ) if &h == handle => status(&s, Vec::new(), handle),
            (OutboxOp::StatusCheck { .. }, Answer::Reply(Reply::NotFound)) => {
                dead("the provider does not know this payment".to_string(), true)
            }
            // An in-doubt sale's late recovery: a request still open (or made just now by the
            // recovery, as mCASH does when the start never arrived) is waited for by nobody,
            // since the terminal said "in doubt" long ago. Abort it, so it is never paid unseen;
            // the outbox item is the durable intent, replaced in the same write.
            (
                OutboxOp::Recover {
                    queued_push: false, ..
                },
                Answer::Reply(
                    Reply::Created { handle, .. }
                    | Reply::Found {
                        handle,
                        status: PaymentStatus::Pending,
                        ..
                    },
                ),
            ) => Decision {
                settle: Settle::Replace {
                    op: OutboxOp::Abort {
                        handle: handle.clone(),
                    },
                    next_try: self.clock.now(),
                },
                records: vec![Record::Started { handle }],
                online: true,
                tried: Tried::Continues,
            },
            (OutboxOp::Abort { handle }, Answer::Reply(Reply::Cancelled(s))) => {
                status(&s, Vec::new(), handle)
            }
            (
                OutboxOp::Recover { .. } | OutboxOp::QueuedPush { .. },
                Answer::Reply(Reply::Found {
                    handle, status: s, ..
                }),
            ) => status(
                &s,
                vec![Record::Started {
                    handle: handle.clone(),
                }],
                &handle,
            ),
            (OutboxOp::Recover { .. }, Answer::Reply(Reply::NotFound)) => {
                done(vec![outcome(Outcome::Failed {
                    reason: NEVER_RECEIVED.to_string(),
                })])
            }
            // A queued push's recover that created the request now (the push never arrived
            // before): it is the push the customer waits for, so it is watched as one started.
            (
                OutboxOp::Recover { .. } | OutboxOp::QueuedPush { .. },
                Answer::Reply(Reply::Started { handle, .. } | Reply::Created { handle, .. }),
            ) => status(
                &PaymentStatus::Pending,
                vec![Record::Started {
                    handle: handle.clone(),
                }],
                &handle,
            ),
            (OutboxOp::Capture { .. }, Answer::Reply(Reply::Captured { reference })) => {
                done(vec![outcome(Outcome::Approved { reference })])
            }
            (OutboxOp::Release { .. }, Answer::Reply(Reply::Released)) => {
                done(vec![outcome(Outcome::Released)])
            }
            (OutboxOp::Refund { .. }, Answer::Reply(Reply::Refunded { reference })) => {
                done(vec![Record::Refunded { reference }])
            }
            (_, Answer::Reply(other)) => unexpected(&other),
            (_, Answer::ReportClosed(line)) => unexpected(&line),
        }
    }
}

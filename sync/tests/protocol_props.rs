//! Properties of the wire decoder: no input makes it panic, every message kind
//! round-trips through its encoder, and a frame carries exactly one message
//! (bytes after it, or a frame cut short, are rejected).
//! The `decode` fuzz target in `fuzz/` explores the same decoder with libFuzzer.

use tandem_sync::protocol::{self, Inbound, ProtocolError};
use proptest::prelude::*;
use yrs::encoding::write::Write;

/// A message kind with its payload, and the frame its encoder builds.
#[derive(Debug, Clone)]
enum Kind {
    SyncStep1(Vec<u8>),
    SyncStep2(Vec<u8>),
    Update(Vec<u8>),
    Awareness(Vec<u8>),
    SyncStatus(u64),
    QueryAwareness,
    Auth(String),
}

impl Kind {
    fn encode(&self) -> Vec<u8> {
        match self {
            Kind::SyncStep1(p) => protocol::encode_sync_step1(p),
            Kind::SyncStep2(p) => protocol::encode_sync_step2(p),
            Kind::Update(p) => protocol::encode_update(p),
            Kind::Awareness(p) => protocol::encode_awareness(p),
            Kind::SyncStatus(n) => protocol::encode_sync_status(&protocol::sync_status_payload(*n)),
            Kind::QueryAwareness => vec![protocol::MSG_QUERY_AWARENESS as u8],
            Kind::Auth(reason) => {
                let mut out = vec![protocol::MSG_AUTH as u8, 0];
                out.write_string(reason);
                out
            }
        }
    }

    /// What decoding the encoded frame must give.
    fn expected(&self) -> Inbound<'_> {
        match self {
            Kind::SyncStep1(p) => Inbound::SyncStep1(p),
            Kind::SyncStep2(p) => Inbound::SyncStep2(p),
            Kind::Update(p) => Inbound::Update(p),
            Kind::Awareness(p) => Inbound::Awareness(p),
            Kind::SyncStatus(_) => Inbound::SyncStatus(&[]),
            Kind::QueryAwareness => Inbound::QueryAwareness,
            Kind::Auth(_) => Inbound::Auth(protocol::AUTH_PERMISSION_DENIED),
        }
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    let payload = || prop::collection::vec(any::<u8>(), 0..300);
    prop_oneof![
        payload().prop_map(Kind::SyncStep1),
        payload().prop_map(Kind::SyncStep2),
        payload().prop_map(Kind::Update),
        payload().prop_map(Kind::Awareness),
        any::<u64>().prop_map(Kind::SyncStatus),
        Just(Kind::QueryAwareness),
        ".{0,40}".prop_map(Kind::Auth),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = Inbound::decode(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_tag_never_panic(tag in 0u8..5, sub in 0u8..4, bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let frame = [&[[0, 1, 2, 3, 102][usize::from(tag)], sub][..], &bytes].concat();
        let _ = Inbound::decode(&frame);
    }

    #[test]
    fn every_message_kind_round_trips(kind in kind()) {
        let frame = kind.encode();
        let decoded = Inbound::decode(&frame);
        match (&kind, decoded) {
            (Kind::SyncStatus(n), Ok(Inbound::SyncStatus(p))) => prop_assert_eq!(p, protocol::sync_status_payload(*n)),
            (_, decoded) => prop_assert_eq!(decoded, Ok(kind.expected())),
        }
    }

    #[test]
    fn trailing_bytes_are_rejected(kind in kind(), extra in prop::collection::vec(any::<u8>(), 1..16)) {
        let frame = [kind.encode(), extra.clone()].concat();
        prop_assert_eq!(Inbound::decode(&frame), Err(ProtocolError::TrailingBytes(extra.len())));
    }

    #[test]
    fn a_frame_cut_short_is_rejected(kind in kind(), cut in any::<prop::sample::Index>()) {
        let frame = kind.encode();
        let keep = cut.index(frame.len());
        prop_assert!(Inbound::decode(&frame[..keep]).is_err(), "{} of {} bytes decoded", keep, frame.len());
    }
}

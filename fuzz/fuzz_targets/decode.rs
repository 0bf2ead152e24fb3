//! Fuzz `raft_wire::decode`: any bytes must give a message or an error,
//! never a panic; and every accepted frame must survive a re-encode.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(message) = raft_wire::decode(bytes) {
        let encoded = raft_wire::encode(&message).expect("a decoded message encodes");
        let again = raft_wire::decode(&encoded).expect("an encoded message decodes");
        assert_eq!(again, message, "encode/decode changed the message");
        // Decoding is canonical (shortest varints, no trailing bytes), so
        // the accepted input was already the exact encoding.
        assert_eq!(encoded, bytes, "decode accepted a non-canonical frame");
    }
});

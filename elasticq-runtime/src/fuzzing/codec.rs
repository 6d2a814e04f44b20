//! `Codec` decoding of arbitrary bytes, standard and derived types, with round trips.

use std::fmt::Debug;
use std::time::Duration;

use crate::codec::{from_bytes, to_bytes, Codec, DecodeError};

use super::recovery::Strict;

/// [`Codec`] decoding over arbitrary bytes: the first byte chooses a type (modulo 32), the
/// rest is decoded as one (see [`round_trip`]).
pub fn codec_decode(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    type Composite = (
        u8,
        i64,
        Option<String>,
        Vec<(bool, char)>,
        [u16; 3],
        Box<f64>,
        Duration,
        Vec<Vec<u8>>,
    );
    match which % 32 {
        0 => round_trip::<u8>(bytes),
        1 => round_trip::<u16>(bytes),
        2 => round_trip::<u32>(bytes),
        3 => round_trip::<u64>(bytes),
        4 => round_trip::<u128>(bytes),
        5 => round_trip::<i32>(bytes),
        6 => round_trip::<i64>(bytes),
        7 => round_trip::<f32>(bytes),
        8 => round_trip::<f64>(bytes),
        9 => round_trip::<usize>(bytes),
        10 => round_trip::<isize>(bytes),
        11 => round_trip::<bool>(bytes),
        12 => round_trip::<char>(bytes),
        13 => round_trip::<String>(bytes),
        14 => round_trip::<Vec<u8>>(bytes),
        15 => round_trip::<Option<u32>>(bytes),
        16 => round_trip::<Option<String>>(bytes),
        17 => round_trip::<(u8, String)>(bytes),
        18 => round_trip::<Vec<String>>(bytes),
        19 => round_trip::<Vec<Option<bool>>>(bytes),
        20 => round_trip::<[u16; 3]>(bytes),
        21 => round_trip::<Box<Option<u64>>>(bytes),
        22 => round_trip::<Duration>(bytes),
        23 => round_trip::<Vec<(u32, Vec<u8>)>>(bytes),
        24 => round_trip::<Vec<[u8; 0]>>(bytes),
        25 => round_trip::<Option<Option<char>>>(bytes),
        26 => round_trip::<(bool, char, Option<String>, Duration)>(bytes),
        27 => round_trip::<Composite>(bytes),
        28 => round_trip::<Vec<Vec<u8>>>(bytes),
        29 => round_trip::<[Option<u8>; 4]>(bytes),
        30 => round_trip::<(i8, i16, i128, Strict)>(bytes),
        _ => round_trip::<Vec<Duration>>(bytes),
    }
}

/// Decodes `bytes` as a `T` and checks what the codec promises:
/// - decoding never panics; [`from_bytes`] is `decode` plus the trailing-bytes check, with the
///   same error or the exact offset and count of what is left over;
/// - a value that decodes re-encodes ([`to_bytes`]) to bytes no longer than those it was read
///   from and at least `T::MIN_ENCODED_LEN` long (collections trust that bound), which decode
///   to the same value and re-encode to the same bytes;
/// - no strict prefix of an encoding decodes.
///
/// Values are compared through their encoding and `Debug`, so that floats (NaN) compare too.
pub fn round_trip<T: Codec + Debug>(bytes: &[u8]) {
    let mut rest = bytes;
    let decoded = T::decode(&mut rest);
    let whole = from_bytes::<T>(bytes);
    let value = match decoded {
        Err(error) => {
            assert_eq!(whole.err(), Some(error), "from_bytes is not decode");
            return;
        }
        Ok(value) => value,
    };
    let used = bytes.len() - rest.len();
    match whole {
        Ok(whole) => {
            assert!(
                rest.is_empty(),
                "from_bytes accepted {} trailing bytes",
                rest.len()
            );
            assert_eq!(format!("{whole:?}"), format!("{value:?}"));
        }
        Err(error) => assert_eq!(
            error,
            DecodeError::TrailingBytes {
                offset: used,
                count: rest.len()
            }
        ),
    }
    let encoded = to_bytes(&value);
    assert!(
        encoded.len() <= used,
        "{value:?} decoded from {used} bytes encodes to {}",
        encoded.len()
    );
    assert!(
        encoded.len() >= T::MIN_ENCODED_LEN,
        "{value:?} encodes to {} bytes, below MIN_ENCODED_LEN = {}",
        encoded.len(),
        T::MIN_ENCODED_LEN
    );
    let again = match from_bytes::<T>(&encoded) {
        Ok(again) => again,
        Err(error) => panic!("the encoding of {value:?} does not decode: {error}"),
    };
    assert_eq!(to_bytes(&again), encoded, "{value:?} does not round-trip");
    assert_eq!(format!("{again:?}"), format!("{value:?}"));
    if let Some((_, shorter)) = encoded.split_last() {
        assert!(
            from_bytes::<T>(shorter).is_err(),
            "a strict prefix of the encoding of {value:?} decodes"
        );
    }
}

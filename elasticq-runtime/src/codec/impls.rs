//! `Codec` for the standard types a message is made of.

use std::time::Duration;

use super::{decode_len, encode_varint, take, Codec, DecodeError};

macro_rules! fixed_width {
    ($($int:ty),*) => {$(
        impl Codec for $int {
            const MIN_ENCODED_LEN: usize = std::mem::size_of::<$int>();

            #[inline]
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }

            #[inline]
            fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
                let bytes = take(input, std::mem::size_of::<$int>())?;
                let mut array = [0u8; std::mem::size_of::<$int>()];
                array.copy_from_slice(bytes);
                Ok(<$int>::from_le_bytes(array))
            }
        }
    )*};
}
fixed_width!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

impl Codec for usize {
    const MIN_ENCODED_LEN: usize = 8;

    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u64).encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        let value = u64::decode(input)?;
        usize::try_from(value)
            .map_err(|_| DecodeError::invalid("usize", format!("{value} does not fit")))
    }
}

impl Codec for isize {
    const MIN_ENCODED_LEN: usize = 8;

    fn encode(&self, out: &mut Vec<u8>) {
        (*self as i64).encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        let value = i64::decode(input)?;
        isize::try_from(value)
            .map_err(|_| DecodeError::invalid("isize", format!("{value} does not fit")))
    }
}

impl Codec for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        match take(input, 1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(DecodeError::invalid(
                "bool",
                format!("byte {other} is neither 0 nor 1"),
            )),
        }
    }
}

impl Codec for char {
    const MIN_ENCODED_LEN: usize = 4;

    fn encode(&self, out: &mut Vec<u8>) {
        u32::from(*self).encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        let code = u32::decode(input)?;
        char::from_u32(code).ok_or_else(|| {
            DecodeError::invalid("char", format!("{code:#x} is not a Unicode scalar value"))
        })
    }
}

impl Codec for String {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_varint(self.len() as u64, out);
        out.extend_from_slice(self.as_bytes());
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        let len = decode_len::<u8>(input)?;
        let bytes = take(input, len)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|error| DecodeError::invalid("String", error.to_string()))
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_varint(self.len() as u64, out);
        super::nested_encode(|| {
            for item in self {
                item.encode(out);
            }
        });
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        let len = decode_len::<T>(input)?;
        let mut items = Vec::with_capacity(len.min(input.len().max(1)));
        super::nested(|| {
            for _ in 0..len {
                items.push(T::decode(input)?);
            }
            Ok(())
        })?;
        Ok(items)
    }
}

impl<T: Codec> Codec for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.encode(out);
            }
        }
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        match take(input, 1)?[0] {
            0 => Ok(None),
            1 => T::decode(input).map(Some),
            other => Err(DecodeError::invalid(
                "Option",
                format!("tag {other} is neither 0 (None) nor 1 (Some)"),
            )),
        }
    }
}

impl<T: Codec> Codec for Box<T> {
    const MIN_ENCODED_LEN: usize = T::MIN_ENCODED_LEN;

    fn encode(&self, out: &mut Vec<u8>) {
        super::nested_encode(|| (**self).encode(out));
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        super::nested(|| T::decode(input)).map(Box::new)
    }
}

impl<T: Codec, const N: usize> Codec for [T; N] {
    const MIN_ENCODED_LEN: usize = T::MIN_ENCODED_LEN.saturating_mul(N);

    fn encode(&self, out: &mut Vec<u8>) {
        for item in self {
            item.encode(out);
        }
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        let mut items = Vec::with_capacity(N.min(input.len().max(1)));
        for _ in 0..N {
            items.push(T::decode(input)?);
        }
        items
            .try_into()
            .map_err(|_| DecodeError::invalid("array", "wrong element count"))
    }
}

impl Codec for Duration {
    const MIN_ENCODED_LEN: usize = 12;

    fn encode(&self, out: &mut Vec<u8>) {
        self.as_secs().encode(out);
        self.subsec_nanos().encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        let secs = u64::decode(input)?;
        let nanos = u32::decode(input)?;
        if nanos >= 1_000_000_000 {
            return Err(DecodeError::invalid(
                "Duration",
                format!("{nanos} nanoseconds is not below one second"),
            ));
        }
        Ok(Duration::new(secs, nanos))
    }
}

macro_rules! tuples {
    ($(($($name:ident),+)),*) => {$(
        impl<$($name: Codec),+> Codec for ($($name,)+) {
            const MIN_ENCODED_LEN: usize = 0 $(+ $name::MIN_ENCODED_LEN)+;

            #[allow(non_snake_case)]
            fn encode(&self, out: &mut Vec<u8>) {
                let ($($name,)+) = self;
                $($name.encode(out);)+
            }

            fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
                Ok(($($name::decode(input)?,)+))
            }
        }
    )*};
}
tuples!(
    (A),
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F),
    (A, B, C, D, E, F, G),
    (A, B, C, D, E, F, G, H)
);

#[cfg(test)]
mod tests {
    use super::super::{decode_varint, from_bytes, to_bytes};
    use super::*;
    use proptest::prelude::*;

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

    fn composite() -> impl Strategy<Value = Composite> {
        (
            any::<u8>(),
            any::<i64>(),
            proptest::option::of(".{0,12}"),
            prop::collection::vec(any::<(bool, char)>(), 0..8),
            any::<[u16; 3]>(),
            any::<f64>().prop_filter("NaN is not equal to itself", |f| !f.is_nan()),
            (any::<u64>(), 0u32..1_000_000_000),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..16), 0..6),
        )
            .prop_map(|(a, b, c, d, e, f, (secs, nanos), h)| {
                (a, b, c, d, e, Box::new(f), Duration::new(secs, nanos), h)
            })
    }

    proptest! {
        #[test]
        fn values_round_trip(value in composite()) {
            let bytes = to_bytes(&value);
            prop_assert_eq!(from_bytes::<Composite>(&bytes), Ok(value));
        }

        #[test]
        fn every_strict_prefix_is_an_error(value in composite()) {
            let bytes = to_bytes(&value);
            for cut in 0..bytes.len() {
                prop_assert!(from_bytes::<Composite>(&bytes[..cut]).is_err());
            }
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = from_bytes::<Composite>(&bytes);
            let _ = from_bytes::<Vec<String>>(&bytes);
            let _ = from_bytes::<Vec<[u8; 0]>>(&bytes);
        }

        #[test]
        fn bit_flips_never_panic(value in composite(), flip in any::<prop::sample::Index>(), bit in 0u8..8) {
            let mut bytes = to_bytes(&value);
            if !bytes.is_empty() {
                let at = flip.index(bytes.len());
                bytes[at] ^= 1 << bit;
            }
            let _ = from_bytes::<Composite>(&bytes);
        }

        #[test]
        fn varints_round_trip(value in any::<u64>()) {
            let mut out = Vec::new();
            encode_varint(value, &mut out);
            let mut input = out.as_slice();
            prop_assert_eq!(decode_varint(&mut input), Ok(value));
            prop_assert!(input.is_empty());
        }
    }

    #[test]
    fn a_length_beyond_the_input_is_refused_before_allocating() {
        let mut bytes = Vec::new();
        encode_varint(u64::MAX / 2, &mut bytes);
        assert!(matches!(
            from_bytes::<Vec<u64>>(&bytes),
            Err(DecodeError::LengthTooLarge { .. })
        ));
        assert!(matches!(
            from_bytes::<Vec<[u8; 0]>>(&bytes),
            Err(DecodeError::LengthTooLarge { .. })
        ));
    }

    #[test]
    fn the_format_is_pinned() {
        assert_eq!(to_bytes(&(1u16, -1i8, true)), [1, 0, 0xff, 1]);
        assert_eq!(to_bytes(&String::from("ab")), [2, b'a', b'b']);
        assert_eq!(to_bytes(&Some(7usize)), [1, 7, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(to_bytes(&'é'), [0xe9, 0, 0, 0]);
    }

    #[test]
    fn invalid_values_are_named() {
        assert_eq!(
            from_bytes::<char>(&[0, 0xd8, 0, 0])
                .unwrap_err()
                .to_string(),
            "invalid char: 0xd800 is not a Unicode scalar value"
        );
        assert!(from_bytes::<String>(&[1, 0xff]).is_err());
        assert!(from_bytes::<Option<u8>>(&[2, 0]).is_err());
        assert!(from_bytes::<Duration>(
            &[0; 8].iter().chain(&[0xff; 4]).copied().collect::<Vec<_>>()
        )
        .is_err());
        let ten_continuations = [0x80u8; 10];
        assert!(from_bytes::<Vec<u8>>(&ten_continuations).is_err());
    }
}
